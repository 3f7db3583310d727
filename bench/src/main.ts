import os from 'node:os'
import { fileURLToPath } from 'node:url'
import { parseArgs } from './args'
import { BUILD_PEAK, collectGarbage, consumed, heapAfterGc, memoryHeadroom, now } from './measure'
import { peersSection, runPeers } from './peers'
import type { PeerSize } from './peers'
import { recursionMarkdown, runRecursion } from './recursion'
import { describeMachine, kindTable, resultsMarkdown, sizeSummary, table, verdict, writeResults } from './report'
import type { SizeResults } from './report'
import { DATA_SEED, MEASURED_UPDATES, STREAM_SEED, TIMED_BATCHES, WARMUP_BATCHES, WARMUP_UPDATES, medianOfRounds, runCase } from './run'
import type { CaseResult, RunOptions } from './run'
import type { Dataset } from './schema'
import { CASES } from './views'
import { generateDataset } from './workload'

const WARMUP_N = 2_000
/** Up to this size stepping runs ROUNDS rounds per view; above, one (a round at 1M takes minutes). */
const ROUNDS_UP_TO_N = 100_000
const ROUNDS = 3
const RESULTS_PATH = fileURLToPath(new URL('../RESULTS.md', import.meta.url))

function optionsFor(n: number, quick: boolean): RunOptions {
  if (quick)
    return { warmupUpdates: 1_000, coldUpdates: 500, measuredUpdates: 300, batchSize: 1_000, warmupBatches: 1, batches: 2, scratchSamples: 10, seed: STREAM_SEED }
  return {
    warmupUpdates: WARMUP_UPDATES,
    coldUpdates: 1_000,
    measuredUpdates: MEASURED_UPDATES,
    batchSize: 1_000,
    warmupBatches: WARMUP_BATCHES,
    batches: TIMED_BATCHES,
    // Recomputing a view from scratch takes up to half a second at 1M: fewer samples there.
    scratchSamples: n > 100_000 ? 10 : n >= 100_000 ? 30 : 50,
    seed: STREAM_SEED,
  }
}

/**
 * stepping on every view over `data`, `rounds` times: the views take turns round by round, so a burst of
 * other work on the machine lands in one round of several views rather than in every round of one.
 */
function runStepping(data: Dataset, options: RunOptions, rounds: number, log: boolean): SizeResults {
  const t0 = now()
  const byView = CASES.map((): CaseResult[] => [])
  for (let round = 1; round <= rounds; round++) {
    CASES.forEach((c, i) => {
      const t = now()
      byView[i]!.push(runCase(c, data, options))
      collectGarbage()
      if (log) console.log(`  ${c.id.padEnd(4)} stepping round ${round}/${rounds} done in ${((now() - t) / 1000).toFixed(1)} s — ${c.title}`)
    })
  }
  return { n: data.n, options, rounds, results: byView.map(medianOfRounds), seconds: (now() - t0) / 1000 }
}

/** What a size left in memory: enough to judge whether the next size fits. */
interface Footprint {
  readonly n: number
  readonly dataBytes: number
  readonly largestStoreBytes: number
}

const gb = (bytes: number): string => (bytes / 2 ** 30).toFixed(1)

/**
 * Why size n would not fit in memory, judged by the size before it scaled up (its dataset, and its
 * largest stepping store at its build's peak), or undefined when it fits. V8 running out of heap kills
 * the process, so a size that would is left out instead. The peers are judged one by one (peers.ts).
 */
function wontFit(n: number, before: Footprint | undefined): string | undefined {
  if (before === undefined) return undefined
  const scale = n / before.n
  const needs = scale * (before.dataBytes + BUILD_PEAK * before.largestStoreBytes)
  const free = memoryHeadroom()
  if (needs <= free) return undefined
  return (
    `N = ${n.toLocaleString('en-US')} not run: it needs ~${gb(needs)} GB (N = ${before.n.toLocaleString('en-US')}'s dataset and ` +
    `largest store × ${scale}, the store × ${BUILD_PEAK} for its build), ${gb(free)} GB free`
  )
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2))
  const machine = describeMachine()
  console.log(
    `stepping benchmark${args.peers ? ' with peers' : ''} — ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, ` +
      `load ${machine.load.start.toFixed(2)}, ${gb(memoryHeadroom())} GB to allocate`,
  )
  const t0 = now()

  // Warm-up: every code path (build, updates, batches, recomputes, checks, the peers) at a small size,
  // untimed, so the JIT has compiled the engines and the baselines before anything is measured.
  console.log(`warming up at N = ${WARMUP_N.toLocaleString('en-US')} …`)
  const warmData = generateDataset(WARMUP_N, DATA_SEED)
  const warmOptions = { warmupUpdates: 500, coldUpdates: 0, measuredUpdates: 500, batchSize: 500, warmupBatches: 1, batches: 2, scratchSamples: 10, seed: STREAM_SEED + 1 }
  const warm = runStepping(warmData, warmOptions, 1, false)
  if (args.peers) await runPeers(warmData, warm, undefined, true, false)

  const sizes: SizeResults[] = []
  const peerSizes: PeerSize[] = []
  const notRun: string[] = []
  let footprint: Footprint | undefined
  for (const n of args.sizes) {
    console.log(`\nN = ${n.toLocaleString('en-US')}`)
    const skip = wontFit(n, footprint)
    if (skip !== undefined) {
      console.log(`  ${skip}`)
      notRun.push(skip)
      continue
    }
    const heapBefore = heapAfterGc()
    const data = generateDataset(n, DATA_SEED)
    const dataBytes = heapAfterGc() - heapBefore
    const rounds = args.rounds ?? (args.quick || n > ROUNDS_UP_TO_N ? 1 : ROUNDS)
    const size = runStepping(data, optionsFor(n, args.quick), rounds, true)
    sizes.push(size)
    console.log(`\n${sizeSummary(size)}\n\n${table(size)}\n\n${verdict(size)}\n\nmedian µs by kind of change, and over the first transactions after the build (cold):\n${kindTable(size)}\n`)
    if (args.peers) {
      console.log(`peers at N = ${n.toLocaleString('en-US')} …`)
      peerSizes.push(await runPeers(data, size, peerSizes.at(-1), args.quick, true))
    }
    footprint = { n, dataBytes, largestStoreBytes: Math.max(...size.results.map((r) => r.heapBytes)) }
  }
  const peers = args.peers && peerSizes.length > 0 ? peersSection(machine, peerSizes, steppingRounds(sizes)) : undefined
  if (peers !== undefined) console.log(`\n${peers}`)

  const forest = args.quick ? 10_000 : 100_000
  console.log(`\nrecursion: descendants with depth over ${forest.toLocaleString('en-US')} comments …`)
  const recursion = runRecursion(forest, args.quick ? 100 : 300, DATA_SEED)
  console.log(`\n${recursionMarkdown(recursion)}`)
  const total = (now() - t0) / 1000
  const finished = { ...machine, load: { start: machine.load.start, end: os.loadavg()[0] ?? 0 } }
  if (consumed() === 0.5) console.log('') // keeps the recompute results observable
  if (args.quick) console.log(`\n--quick: ${RESULTS_PATH} left unchanged. Total ${total.toFixed(0)} s.`)
  else {
    writeResults(RESULTS_PATH, resultsMarkdown(finished, sizes, total, recursionMarkdown(recursion), notRun, peers))
    console.log(`\nwrote ${RESULTS_PATH} (total ${total.toFixed(0)} s)`)
  }
}

/** How many rounds stepping's figures are the median of, size by size. */
function steppingRounds(sizes: readonly SizeResults[]): string {
  const each = sizes.map((s) => `${s.rounds} at N = ${s.n.toLocaleString('en-US')}`).join(', ')
  return `every figure is the median over rounds of a fresh store (${each})`
}

await main()
