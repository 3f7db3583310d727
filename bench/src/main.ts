import { fileURLToPath } from 'node:url'
import { parseArgs } from './args'
import { collectGarbage, consumed, now } from './measure'
import os from 'node:os'
import { describeMachine, kindTable, resultsMarkdown, sizeSummary, table, verdict, writeResults } from './report'
import type { SizeResults } from './report'
import { recursionMarkdown, runRecursion } from './recursion'
import { runCase } from './run'
import type { CaseResult, RunOptions } from './run'
import { CASES } from './views'
import { generateDataset } from './workload'

const DATA_SEED = 0x5eed
const STREAM_SEED = 0xc4a9e5
const WARMUP_N = 2_000
const RESULTS_PATH = fileURLToPath(new URL('../RESULTS.md', import.meta.url))

function optionsFor(n: number, quick: boolean): RunOptions {
  if (quick)
    return { warmupUpdates: 1_000, coldUpdates: 500, measuredUpdates: 300, batchSize: 1_000, batches: 2, scratchSamples: 10, seed: STREAM_SEED }
  return {
    warmupUpdates: 3_000,
    coldUpdates: 1_000,
    measuredUpdates: 1_000,
    batchSize: 1_000,
    batches: n >= 100_000 ? 5 : 10,
    scratchSamples: n >= 100_000 ? 30 : 50,
    seed: STREAM_SEED,
  }
}

function runSize(n: number, options: RunOptions, log: boolean): SizeResults {
  const t0 = now()
  const data = generateDataset(n, DATA_SEED)
  const results: CaseResult[] = []
  for (const c of CASES) {
    const t = now()
    results.push(runCase(c, data, options))
    collectGarbage()
    if (log) console.log(`  ${c.id.padEnd(4)} done in ${((now() - t) / 1000).toFixed(1)} s — ${c.title}`)
  }
  return { n, options, results, seconds: (now() - t0) / 1000 }
}

function main(): void {
  const args = parseArgs(process.argv.slice(2))
  const machine = describeMachine()
  console.log(`stepping benchmark — ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, load ${machine.load.start.toFixed(2)}`)
  const t0 = now()

  // Warm-up: every code path (build, updates, batches, recomputes, checks) at a small size, untimed,
  // so the JIT has compiled the engine and the baselines before anything is measured.
  console.log(`warming up at N = ${WARMUP_N.toLocaleString('en-US')} …`)
  runSize(WARMUP_N, {
    warmupUpdates: 500,
    coldUpdates: 0,
    measuredUpdates: 500,
    batchSize: 500,
    batches: 2,
    scratchSamples: 10,
    seed: STREAM_SEED + 1,
  }, false)

  const sizes: SizeResults[] = []
  for (const n of args.sizes) {
    console.log(`\nN = ${n.toLocaleString('en-US')}`)
    const size = runSize(n, optionsFor(n, args.quick), true)
    sizes.push(size)
    console.log(`\n${sizeSummary(size)}\n\n${table(size)}\n\n${verdict(size)}\n\nmedian µs by kind of change, and over the first transactions after the build (cold):\n${kindTable(size)}`)
  }
  const forest = args.quick ? 10_000 : 100_000
  console.log(`\nrecursion: descendants with depth over ${forest.toLocaleString('en-US')} comments …`)
  const recursion = runRecursion(forest, args.quick ? 100 : 300, DATA_SEED)
  console.log(`\n${recursionMarkdown(recursion)}`)
  const total = (now() - t0) / 1000
  const finished = { ...machine, load: { start: machine.load.start, end: os.loadavg()[0] ?? 0 } }
  if (consumed() === 0.5) console.log('') // keeps the recompute results observable
  if (args.quick) console.log(`\n--quick: ${RESULTS_PATH} left unchanged. Total ${total.toFixed(0)} s.`)
  else {
    writeResults(RESULTS_PATH, resultsMarkdown(finished, sizes, total, recursionMarkdown(recursion)))
    console.log(`\nwrote ${RESULTS_PATH} (total ${total.toFixed(0)} s)`)
  }
}

main()
