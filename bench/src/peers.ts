import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import { parseArgs } from './args'
import { collectGarbage, heapAfterGc, median, now, percentile } from './measure'
import { d2ts } from './peers/d2ts'
import { dbIvm } from './peers/db-ivm'
import { tanstackDb } from './peers/tanstack-db'
import { isUnsupported } from './peers/types'
import type { PeerEngine, PeerView, ViewId } from './peers/types'
import { describeMachine } from './report'
import { runCase } from './run'
import type { CaseResult, RunOptions } from './run'
import { ScratchDb } from './scratch'
import { editsFor } from './stream'
import type { Edit } from './stream'
import { verifyRows } from './verify'
import { CASES } from './views'
import type { BenchCase } from './views'
import { generateDataset } from './workload'

const DATA_SEED = 0x5eed
const STREAM_SEED = 0xc4a9e5
const WARMUP_N = 2_000
const RESULTS_PATH = fileURLToPath(new URL('../RESULTS.md', import.meta.url))
const BENCH_DIR = fileURLToPath(new URL('../', import.meta.url))
const START = '<!-- bench:peers -->'
const END = '<!-- /bench:peers -->'
const PEERS: readonly PeerEngine[] = [dbIvm, d2ts, tanstackDb]

/** How much each peer runs, and the caps that keep a slow peer from stalling the whole run. */
interface PeerOptions {
  readonly warmupUpdates: number
  readonly measuredUpdates: number
  readonly batchSize: number
  readonly batches: number
  /** Past this build time, the peer's updates and batches are skipped (its initial result is still checked). */
  readonly buildCapMs: number
  /** Each phase (warm-up, timed updates, batches) stops once it has run this long; what ran is reported. */
  readonly phaseCapMs: number
}

/** The targets for stepping. */
const TARGET = { medianUs: 5, p99Us: 100, vsPeer: 3, buildVsScratch: 3, batchPerSec: 500_000 }

/** stepping's measurement: the main benchmark's (run.ts), with the same options. */
function steppingOptions(n: number, quick: boolean): RunOptions {
  if (quick) return { warmupUpdates: 1_000, coldUpdates: 500, measuredUpdates: 300, batchSize: 1_000, batches: 2, scratchSamples: 10, seed: STREAM_SEED }
  return { warmupUpdates: 3_000, coldUpdates: 1_000, measuredUpdates: 1_000, batchSize: 1_000, batches: n >= 100_000 ? 5 : 10, scratchSamples: n >= 100_000 ? 30 : 50, seed: STREAM_SEED }
}

function peerOptions(n: number, quick: boolean): PeerOptions {
  if (quick) return { warmupUpdates: 300, measuredUpdates: 300, batchSize: 1_000, batches: 2, buildCapMs: 20_000, phaseCapMs: 5_000 }
  return { warmupUpdates: 500, measuredUpdates: 1_000, batchSize: 1_000, batches: n >= 100_000 ? 3 : 5, buildCapMs: 20_000, phaseCapMs: n >= 100_000 ? 3_000 : 4_000 }
}

/** One engine on one view at one size. Times in ms unless named otherwise; NaN where not measured. */
interface Row {
  readonly engine: string
  readonly view: ViewId
  readonly buildMs: number
  readonly updateMedianUs: number
  readonly updateP99Us: number
  readonly updates: number
  readonly batchChangesPerSec: number
  readonly batches: number
  readonly heapBytes: number
  /** 'ok', or what went wrong / was skipped (n/a, capped, mismatch: …, error: …). */
  readonly status: string
  /** The final result equals the from-scratch result (false also when not checked). */
  readonly correct: boolean
  readonly scratchBuildMs: number
}

interface SizeRun {
  readonly n: number
  readonly rows: readonly Row[]
  readonly seconds: number
}

const SORT_KEY: Record<ViewId, 'ordered' | 'id' | 'key'> = { Q1: 'ordered', Q2: 'id', Q3a: 'key', Q3b: 'key', Q4: 'key', Q5: 'ordered' }

function numberField(row: unknown, field: 'id' | 'key'): number {
  if (typeof row !== 'object' || row === null || !(field in row)) throw new Error(`row without ${field}: ${JSON.stringify(row)}`)
  const value: unknown = (row as Record<string, unknown>)[field]
  if (typeof value !== 'number') throw new Error(`row with a non-numeric ${field}: ${JSON.stringify(row)}`)
  return value
}

/** Throws unless the peer's rows equal the from-scratch result (verify.ts, as for stepping). */
function check(c: BenchCase, peer: PeerView, db: ScratchDb): void {
  const sort = SORT_KEY[c.id as ViewId]
  verifyRows<unknown>(c.id, peer.rows(), c.recompute(db), sort === 'ordered' ? 'ordered' : (r) => numberField(r, sort))
}

async function step(peer: PeerView, edits: readonly Edit[]): Promise<void> {
  const pending = peer.apply(edits)
  if (pending !== undefined) await pending
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 300)

async function runPeer(engine: PeerEngine, c: BenchCase, data: ReturnType<typeof generateDataset>, o: PeerOptions, scratchBuildMs: number): Promise<Row> {
  const view = c.id as ViewId
  const base = { engine: engine.name, view, scratchBuildMs }
  const none = { updateMedianUs: NaN, updateP99Us: NaN, updates: 0, batchChangesPerSec: NaN, batches: 0 }
  const heapBefore = heapAfterGc()
  const t0 = now()
  let built
  try {
    built = engine.build(view, data, c.reads)
  } catch (e) {
    return { ...base, ...none, buildMs: NaN, heapBytes: NaN, status: `error in build: ${message(e)}`, correct: false }
  }
  const buildMs = now() - t0
  if (isUnsupported(built)) return { ...base, ...none, buildMs: NaN, heapBytes: NaN, status: `n/a: ${built.unsupported}`, correct: false }
  const peer = built
  const heapBytes = heapAfterGc() - heapBefore

  const db = ScratchDb.load(data, c.reads)
  const problems: string[] = []
  const verify = (when: string): void => {
    try {
      check(c, peer, db)
    } catch (e) {
      // verify.ts words its message for stepping; here the rows checked are the peer's.
      problems.push(`mismatch ${when}: ${message(e).replace('the stepping view', 'the peer view').replace('stepping {', 'peer {')}`)
    }
  }
  verify('after the build')
  if (buildMs > o.buildCapMs) {
    const status = `capped: build took ${(buildMs / 1000).toFixed(1)} s > ${o.buildCapMs / 1000} s, updates skipped`
    return { ...base, ...none, buildMs, heapBytes, status: [status, ...problems].join('; '), correct: problems.length === 0 }
  }

  const total = o.warmupUpdates + o.measuredUpdates + o.batchSize / 10 + (o.batches + 1) * o.batchSize
  const edits = editsFor(data, STREAM_SEED, c.reads, total)
  const capped: string[] = []
  let next = 0
  try {
    let phase = now()
    for (let i = 0; i < o.warmupUpdates; i++) {
      const e = edits[next++]!
      await step(peer, [e])
      db.apply(e)
      if (now() - phase > o.phaseCapMs) {
        capped.push(`warm-up stopped after ${i + 1} updates (${o.phaseCapMs / 1000} s)`)
        break
      }
    }
    collectGarbage()
    const samples: number[] = []
    phase = now()
    for (let i = 0; i < o.measuredUpdates; i++) {
      const e = edits[next++]!
      const t = now()
      const pending = peer.apply([e])
      if (pending !== undefined) await pending
      samples.push(now() - t)
      db.apply(e)
      if (now() - phase > o.phaseCapMs && i + 1 < o.measuredUpdates) {
        capped.push(`${i + 1} timed updates (${o.phaseCapMs / 1000} s cap)`)
        break
      }
    }
    collectGarbage()
    let batchMs = 0
    let batches = 0
    // An untimed probe batch of a tenth of the size first: a peer whose batches grow faster than linearly
    // (one was seen taking a minute for 1,000 changes) is not given the full batches.
    const probe = edits.slice(next, next + o.batchSize / 10)
    next += probe.length
    phase = now()
    await step(peer, probe)
    for (const e of probe) db.apply(e)
    const probeMs = now() - phase
    if (probeMs * 10 > o.phaseCapMs) capped.push(`batches skipped: the probe batch of ${probe.length} took ${grouped(probeMs)} ms`)
    else {
      phase = now()
      for (let b = 0; b <= o.batches; b++) {
        const batch = edits.slice(next, next + o.batchSize)
        next += o.batchSize
        const t = now()
        await step(peer, batch)
        if (b > 0) {
          batchMs += now() - t
          batches++
        }
        for (const e of batch) db.apply(e)
        if (now() - phase > o.phaseCapMs && b < o.batches) {
          capped.push(`${batches} timed batches (${o.phaseCapMs / 1000} s cap)`)
          break
        }
      }
    }
    verify('after the change stream')
    return {
      ...base,
      buildMs,
      heapBytes,
      updateMedianUs: median(samples) * 1000,
      updateP99Us: percentile(samples, 0.99) * 1000,
      updates: samples.length,
      batchChangesPerSec: batches > 0 ? (batches * o.batchSize) / (batchMs / 1000) : NaN,
      batches,
      status: problems.length === 0 && capped.length === 0 ? 'ok' : [...problems, ...capped.map((s) => `capped: ${s}`)].join('; '),
      correct: problems.length === 0,
    }
  } catch (e) {
    return { ...base, ...none, buildMs, heapBytes, status: [`error after ${next} changes: ${message(e)}`, ...problems].join('; '), correct: false }
  }
}

function steppingRow(r: CaseResult, batches: number): Row {
  return {
    engine: 'stepping',
    view: r.id as ViewId,
    buildMs: r.buildMs,
    updateMedianUs: r.updateMedianUs,
    updateP99Us: r.updateP99Us,
    updates: r.updates,
    batchChangesPerSec: r.batchChangesPerSec,
    batches,
    heapBytes: r.heapBytes,
    status: 'ok',
    correct: true,
    scratchBuildMs: r.scratchBuildMs,
  }
}

async function runSize(n: number, quick: boolean, log: boolean): Promise<SizeRun> {
  const t0 = now()
  const data = generateDataset(n, DATA_SEED)
  const so = steppingOptions(n, quick)
  const po = peerOptions(n, quick)
  const rows: Row[] = []
  for (const c of CASES) {
    let t = now()
    const s = runCase(c, data, so)
    collectGarbage()
    rows.push(steppingRow(s, so.batches))
    if (log) console.log(`  ${c.id.padEnd(4)} stepping done in ${((now() - t) / 1000).toFixed(1)} s`)
    for (const engine of PEERS) {
      t = now()
      const row = await runPeer(engine, c, data, po, s.scratchBuildMs)
      collectGarbage()
      rows.push(row)
      if (log) console.log(`  ${c.id.padEnd(4)} ${engine.name} done in ${((now() - t) / 1000).toFixed(1)} s — ${row.status}`)
    }
  }
  return { n, rows, seconds: (now() - t0) / 1000 }
}

// ---- report ----

const num = (x: number): string => (Number.isNaN(x) ? '–' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2))
const grouped = (x: number): string => (Number.isNaN(x) ? '–' : Math.round(x).toLocaleString('en-US'))
const mb = (bytes: number): string => (Number.isNaN(bytes) ? '–' : (bytes / 2 ** 20).toFixed(1))
const times = (x: number): string => (Number.isFinite(x) ? `${x >= 10 ? x.toFixed(0) : x.toFixed(1)}×` : '–')

/** The peers that completed the view with a verified result (the only ones a target is judged against). */
function peersOf(size: SizeRun, view: ViewId): Row[] {
  return size.rows.filter((r) => r.view === view && r.engine !== 'stepping' && r.correct && !Number.isNaN(r.buildMs))
}

const best = (rows: readonly Row[], f: (r: Row) => number): number =>
  rows.map(f).filter((x) => !Number.isNaN(x)).reduce((a, b) => Math.min(a, b), Infinity)

function table(sizes: readonly SizeRun[]): string {
  const header = ['N', 'view', 'engine', 'build ms', 'update median µs', 'update p99 µs', 'batch changes/s', 'heap MB', 'result', 'best peer ÷ stepping']
  const lines = [header, ['---:', '---', '---', ...header.slice(3, 8).map(() => '---:'), '---', '---']]
  for (const size of sizes) {
    for (const r of size.rows) {
      let ratio = ''
      if (r.engine === 'stepping') {
        const peers = peersOf(size, r.view)
        ratio = `update ${times(best(peers, (p) => p.updateMedianUs) / r.updateMedianUs)}, build ${times(best(peers, (p) => p.buildMs) / r.buildMs)}`
      }
      const result = r.status === 'ok' ? '✓ equal to from-scratch' : `${r.correct ? '✓ ' : r.status.startsWith('n/a') ? '' : '✗ '}${r.status}`
      lines.push([
        grouped(size.n),
        r.view,
        r.engine === 'stepping' ? '**stepping**' : r.engine,
        num(r.buildMs),
        num(r.updateMedianUs),
        num(r.updateP99Us),
        grouped(r.batchChangesPerSec),
        mb(r.heapBytes),
        result.replace(/\|/g, '\\|'),
        ratio,
      ])
    }
  }
  return lines.map((cells) => `| ${cells.join(' | ')} |`).join('\n')
}

/** Every target, per size: met or missed, and by how much. */
function targets(sizes: readonly SizeRun[]): string {
  const out: string[] = []
  for (const size of sizes) {
    const stepping = size.rows.filter((r) => r.engine === 'stepping')
    const lines: string[] = []
    const judge = (name: string, misses: string[]): void => {
      lines.push(misses.length === 0 ? `- ✅ ${name}: met on every view` : `- ❌ ${name}: missed on ${misses.join(', ')}`)
    }
    judge(
      `single-row update median ≤ ${TARGET.medianUs} µs`,
      stepping.filter((r) => r.updateMedianUs > TARGET.medianUs).map((r) => `${r.view} (${num(r.updateMedianUs)} µs, ${times(r.updateMedianUs / TARGET.medianUs)} over)`),
    )
    judge(
      `single-row update p99 ≤ ${TARGET.p99Us} µs`,
      stepping.filter((r) => r.updateP99Us > TARGET.p99Us).map((r) => `${r.view} (${num(r.updateP99Us)} µs, ${times(r.updateP99Us / TARGET.p99Us)} over)`),
    )
    const vsPeer = (f: (r: Row) => number, unit: string) =>
      stepping.flatMap((r) => {
        const b = best(peersOf(size, r.view), f)
        if (!Number.isFinite(b)) return []
        const ratio = b / f(r)
        return ratio >= TARGET.vsPeer ? [] : [`${r.view} (${times(ratio)}: stepping ${num(f(r))} ${unit}, best peer ${num(b)} ${unit})`]
      })
    judge(`single-row update median ≥ ${TARGET.vsPeer}× faster than the best peer`, vsPeer((r) => r.updateMedianUs, 'µs'))
    judge(
      `initial build within ${TARGET.buildVsScratch}× of the from-scratch recompute (scratch build ms)`,
      stepping
        .filter((r) => r.buildMs > TARGET.buildVsScratch * r.scratchBuildMs)
        .map((r) => `${r.view} (${times(r.buildMs / r.scratchBuildMs)}: ${num(r.buildMs)} ms vs ${num(r.scratchBuildMs)} ms)`),
    )
    judge(`initial build ≥ ${TARGET.vsPeer}× faster than the best peer`, vsPeer((r) => r.buildMs, 'ms'))
    judge(
      `batched ≥ ${grouped(TARGET.batchPerSec)} changes/s`,
      stepping
        .filter((r) => r.batchChangesPerSec < TARGET.batchPerSec)
        .map((r) => `${r.view} (${grouped(r.batchChangesPerSec)}/s, ${times(TARGET.batchPerSec / r.batchChangesPerSec)} short)`),
    )
    judge(
      'heap no larger than the leanest peer',
      stepping.flatMap((r) => {
        const lean = best(peersOf(size, r.view), (p) => p.heapBytes)
        return Number.isFinite(lean) && r.heapBytes > lean ? [`${r.view} (${mb(r.heapBytes)} MB vs ${mb(lean)} MB, ${times(r.heapBytes / lean)})`] : []
      }),
    )
    out.push(`At N = ${grouped(size.n)} (ran in ${size.seconds.toFixed(0)} s):\n\n${lines.join('\n')}`)
  }
  return out.join('\n\n')
}

function version(pkg: string): string {
  for (const dir of [`${BENCH_DIR}node_modules/${pkg}`, `${BENCH_DIR}../node_modules/${pkg}`]) {
    const file = `${dir}/package.json`
    if (existsSync(file)) {
      const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'))
      if (typeof parsed === 'object' && parsed !== null && 'version' in parsed && typeof parsed.version === 'string') return parsed.version
    }
  }
  return 'unknown'
}

function markdown(sizes: readonly SizeRun[], totalSeconds: number, p: PeerOptions): string {
  const m = describeMachine()
  const versions = PEERS.map((e) => `\`${e.pkg}\` ${version(e.pkg)}`).join(', ')
  return `${START}
## Peer engines: stepping vs @tanstack/db-ivm, @electric-sql/d2ts, @tanstack/db

Generated by \`npm run bench:peers\` (bench/src/peers.ts, bench/src/peers/*.ts) on ${m.date}: ${m.cpu}, ${m.cores} cores,
Node ${m.node}, stepping at git ${m.engine}; ${versions}. Total ${totalSeconds.toFixed(0)} s.

Every engine runs in this process on the same dataset and change stream as the tables above (each view
sees the changes to the collections it reads); stepping's rows are the main benchmark's own measurement
(run.ts, same options). The peers:

- **@tanstack/db-ivm** and **@electric-sql/d2ts**: a D2 graph per view, fed as multisets of
  \`[id, row]\` (a change is the old row at −1 and the new one at +1), \`consolidate()\` + \`output()\` into a
  \`Map\` holding the view's rows. A step is \`sendData\` + \`graph.run()\` (d2ts: data at version v, the
  frontier v + 1 on every input, then \`run()\`), timed until it returns with the \`Map\` updated.
  Q1/Q5 use \`orderByWithFractionalIndex\` (Q5 with \`limit: 20\`), Q3a/Q3b/Q4 \`groupBy\` with
  \`count\`/\`sum\`/\`max\`, Q2/Q4 an inner \`join\` (Q4 filters the open issues before the join).
- **@tanstack/db live queries**: local-only collections (\`localOnlyCollectionOptions\` with \`initialData\`)
  and one \`createLiveQueryCollection\` per view, written with the query builder (\`where\`/\`join\`/\`groupBy\`/
  \`orderBy\`/\`limit\`). A single change is one \`collection.update/insert/delete\`: the live query's
  result is updated synchronously before the call returns, so the call is what is timed. A batch is one
  manual transaction (\`createTransaction\` + \`tx.mutate\` with the 1,000 writes, the mutationFn handing them
  to \`utils.acceptMutations\`), timed until \`await tx.commit()\` resolves (so it includes the microtask hops
  of the commit).

Build = creating the graph/collections and loading every row, run to quiescence; heap = retained after the
build (after \`gc()\`), minus the heap before it (the input rows already exist). Peers: ${grouped(p.warmupUpdates)}
warm-up single changes, then ${grouped(p.measuredUpdates)} timed, then ${p.batches} timed batches of
${grouped(p.batchSize)} (after an untimed probe batch of ${grouped(p.batchSize / 10)} — batches are skipped if it takes over a tenth of
the phase cap — and one untimed full batch); a peer whose build takes over ${p.buildCapMs / 1000} s skips its
updates, and each phase stops after ${p.phaseCapMs / 1000} s (the table says so). After the change stream,
every peer's result is compared row for row with the from-scratch result over exactly the changes it was
given (verify.ts); **result** says ✓ or ✗ with the first difference. "best peer ÷ stepping" only counts peers
whose result checked out.

${table(sizes)}

### Targets (stepping)

${targets(sizes)}
${END}`
}

/** Replaces the peers section of RESULTS.md (or appends it), leaving the rest of the file alone. */
function writeSection(section: string): void {
  const current = existsSync(RESULTS_PATH) ? readFileSync(RESULTS_PATH, 'utf8') : ''
  const at = current.indexOf(START)
  const end = current.indexOf(END)
  const next =
    at >= 0 && end > at
      ? `${current.slice(0, at)}${section}${current.slice(end + END.length)}`
      : `${current.trimEnd()}\n\n${section}\n`
  writeFileSync(RESULTS_PATH, next)
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2))
  const m = describeMachine()
  console.log(`stepping vs peers — ${m.cpu}, ${m.cores} cores, Node ${m.node}, load ${m.load.start.toFixed(2)}`)
  const t0 = now()
  console.log(`warming up at N = ${WARMUP_N.toLocaleString('en-US')} …`)
  await runSize(WARMUP_N, true, false)
  const sizes: SizeRun[] = []
  for (const n of args.sizes) {
    console.log(`\nN = ${n.toLocaleString('en-US')}`)
    sizes.push(await runSize(n, args.quick, true))
  }
  const total = (now() - t0) / 1000
  const section = markdown(sizes, total, peerOptions(Math.max(...args.sizes), args.quick))
  console.log(`\n${section}`)
  if (args.quick) console.log(`\n--quick: ${RESULTS_PATH} left unchanged. Total ${total.toFixed(0)} s.`)
  else {
    writeSection(section)
    console.log(`\nwrote the peers section of ${RESULTS_PATH} (total ${total.toFixed(0)} s, load at end ${(os.loadavg()[0] ?? 0).toFixed(2)})`)
  }
}

await main()
