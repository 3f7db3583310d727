import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { BUILD_PEAK, collectGarbage, heapAfterGc, median, memoryHeadroom, now, percentile } from './measure'
import { d2ts } from './peers/d2ts'
import { dbIvm } from './peers/db-ivm'
import { tanstackDb } from './peers/tanstack-db'
import { isUnsupported } from './peers/types'
import type { PeerEngine, PeerView, Unsupported, ViewId } from './peers/types'
import type { Machine, SizeResults } from './report'
import { MEASURED_UPDATES, TIMED_BATCHES, WARMUP_BATCHES, WARMUP_UPDATES } from './run'
import type { CaseResult } from './run'
import { insertDataset } from './schema'
import type { Dataset } from './schema'
import { ScratchDb } from './scratch'
import { applyEdit, editsFor } from './stream'
import type { Edit } from './stream'
import { verifyRows } from './verify'
import { CASES } from './views'
import type { BenchCase } from './views'
import { TARGET } from './targets'

const BENCH_DIR = fileURLToPath(new URL('../', import.meta.url))
const PEERS: readonly PeerEngine[] = [dbIvm, d2ts, tanstackDb]

/**
 * Above this size a peer runs on a view only if it ran cleanly at the size before (see `blocker`): its
 * build is synchronous, so it cannot be cut off in-process, and several take over a minute at 100,000.
 */
export const PEER_GATE_N = 100_000
/** The build cap up to PEER_GATE_N; above, it grows with N, so a peer that qualified still gets its updates. */
const BUILD_CAP_MS = 20_000

/** How much each peer runs, and the caps that keep a slow peer from stalling the whole run. */
interface PeerOptions {
  readonly warmupUpdates: number
  readonly measuredUpdates: number
  readonly batchSize: number
  /** Full batches run untimed before the timed ones (after the probe batch). */
  readonly warmupBatches: number
  readonly batches: number
  /** Past this build time, the peer's updates and batches are skipped (its initial result is still checked). */
  readonly buildCapMs: number
  /** Each phase (warm-up, timed updates, batches) stops once it has run this long; what ran is reported. */
  readonly phaseCapMs: number
}

function peerOptions(n: number, quick: boolean): PeerOptions {
  if (quick) return { warmupUpdates: 300, measuredUpdates: 300, batchSize: 1_000, warmupBatches: 1, batches: 2, buildCapMs: BUILD_CAP_MS, phaseCapMs: 5_000 }
  return {
    warmupUpdates: WARMUP_UPDATES,
    measuredUpdates: MEASURED_UPDATES,
    batchSize: 1_000,
    warmupBatches: WARMUP_BATCHES,
    batches: TIMED_BATCHES,
    buildCapMs: BUILD_CAP_MS * Math.max(1, n / PEER_GATE_N),
    phaseCapMs: n >= 100_000 ? 3_000 : 4_000,
  }
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
  /** Median time of one timed batch, in ms. */
  readonly batchMedianMs: number
  readonly batches: number
  readonly heapBytes: number
  /** Why the engine did not run on this view (n/a: …), or undefined when it did. */
  readonly skipped: string | undefined
  /** Errors and mismatches with the from-scratch result. */
  readonly problems: readonly string[]
  /** Phases skipped because of a cap: the build took over its cap, or batches did not get to run. */
  readonly capped: readonly string[]
  /**
   * Phases that stopped at the phase cap after some of their changes ran (the figures cover what ran):
   * reported like `capped`, but no reason to leave the peer out of the next size, where the cap bounds
   * them just the same.
   */
  readonly shortened: readonly string[]
  /** The result was checked and equal to the from-scratch result every time. */
  readonly correct: boolean
  readonly scratchBuildMs: number
  /** On a peer's row: its single-row median and stepping's, measured in turns on the same edits (`pairWithStepping`). */
  readonly paired: Paired | undefined
}

/** A peer's and stepping's single-row update medians (µs), timed in turns on the same edits. */
interface Paired {
  readonly steppingUs: number
  readonly peerUs: number
}

/**
 * Edits per turn in the paired phase: stepping runs a block edit by edit, then the peer the same block
 * (the next block the peer first), so that both meet the machine in the same state; drift between the
 * two engines' own phases, minutes apart, moved the ratios by a third between runs.
 */
const PAIR_BLOCK = 500

/** The peers (and stepping's rows beside them) at one size. */
export interface PeerSize {
  readonly n: number
  readonly rows: readonly Row[]
  readonly options: PeerOptions
  /** The peers' own run time (stepping's is in the main tables). */
  readonly seconds: number
}

function blankRow(engine: string, view: ViewId, scratchBuildMs: number): Row {
  return {
    engine,
    view,
    buildMs: NaN,
    updateMedianUs: NaN,
    updateP99Us: NaN,
    updates: 0,
    batchChangesPerSec: NaN,
    batchMedianMs: NaN,
    batches: 0,
    heapBytes: NaN,
    skipped: undefined,
    problems: [],
    capped: [],
    shortened: [],
    correct: false,
    scratchBuildMs,
    paired: undefined,
  }
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

/** Builds the peer's view, timing the build and measuring the heap it keeps; throws what the build throws. */
function buildPeer(engine: PeerEngine, c: BenchCase, data: Dataset): { view: PeerView | Unsupported; buildMs: number; heapBytes: number } {
  const heapBefore = heapAfterGc()
  const t0 = now()
  const view = engine.build(c.id as ViewId, data, c.reads)
  const buildMs = now() - t0
  return { view, buildMs, heapBytes: heapAfterGc() - heapBefore }
}

async function runPeer(engine: PeerEngine, c: BenchCase, data: Dataset, o: PeerOptions, seed: number, scratchBuildMs: number): Promise<Row> {
  const blank = blankRow(engine.name, c.id as ViewId, scratchBuildMs)
  let built
  try {
    built = buildPeer(engine, c, data)
  } catch (e) {
    return { ...blank, problems: [`error in build: ${message(e)}`] }
  }
  const { view: peer, buildMs, heapBytes } = built
  if (isUnsupported(peer)) return { ...blank, skipped: `n/a: ${peer.unsupported}` }

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
    const capped = [`build took ${(buildMs / 1000).toFixed(1)} s > ${o.buildCapMs / 1000} s, updates skipped`]
    return { ...blank, buildMs, heapBytes, problems, capped, correct: problems.length === 0 }
  }

  // The paired phase's warm-up and timed updates come last, after the batches.
  const total = 2 * (o.warmupUpdates + o.measuredUpdates) + o.batchSize / 10 + (o.warmupBatches + o.batches) * o.batchSize
  const edits = editsFor(data, seed, c.reads, total)
  const capped: string[] = []
  const shortened: string[] = []
  let next = 0
  try {
    let phase = now()
    for (let i = 0; i < o.warmupUpdates; i++) {
      const e = edits[next++]!
      await step(peer, [e])
      db.apply(e)
      if (now() - phase > o.phaseCapMs) {
        shortened.push(`warm-up stopped after ${i + 1} updates (${o.phaseCapMs / 1000} s)`)
        break
      }
    }
    // As for stepping (run.ts): no full GC between the warm-up and the timed updates.
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
        shortened.push(`${i + 1} timed updates (${o.phaseCapMs / 1000} s cap)`)
        break
      }
    }
    collectGarbage()
    let batchMs = 0
    let batches = 0
    const batchTimes: number[] = []
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
      const runs = o.warmupBatches + o.batches
      for (let b = 0; b < runs; b++) {
        const batch = edits.slice(next, next + o.batchSize)
        next += o.batchSize
        const t = now()
        await step(peer, batch)
        if (b >= o.warmupBatches) {
          const ms = now() - t
          batchMs += ms
          batches++
          batchTimes.push(ms)
        }
        for (const e of batch) db.apply(e)
        if (now() - phase > o.phaseCapMs && b + 1 < runs) {
          if (batches > 0) shortened.push(`${batches} timed batches (${o.phaseCapMs / 1000} s cap)`)
          else capped.push(`no timed batch within the ${o.phaseCapMs / 1000} s cap`)
          break
        }
      }
    }
    // Paired only where the peer ran every timed update within its cap: a block is not cut short.
    let paired: Paired | undefined
    if (problems.length === 0 && samples.length === o.measuredUpdates) {
      const turns = await pairWithStepping(c, data, peer, edits, next, db, o)
      next = turns.next
      paired = turns.paired
      if (turns.shortened !== undefined) shortened.push(turns.shortened)
    }
    verify('after the change stream')
    return {
      ...blank,
      paired,
      buildMs,
      heapBytes,
      updateMedianUs: median(samples) * 1000,
      updateP99Us: percentile(samples, 0.99) * 1000,
      updates: samples.length,
      batchChangesPerSec: batches > 0 ? (batches * o.batchSize) / (batchMs / 1000) : NaN,
      batchMedianMs: batches > 0 ? median(batchTimes) : NaN,
      batches,
      problems,
      capped,
      shortened,
      correct: problems.length === 0,
    }
  } catch (e) {
    if (e instanceof SteppingMismatch) throw e
    return { ...blank, buildMs, heapBytes, problems: [`error after ${next} changes: ${message(e)}`, ...problems], capped, shortened }
  }
}

/** stepping's own store in the paired phase differs from the from-scratch result: a bug of stepping's, not the peer's. */
class SteppingMismatch extends Error {}

/**
 * The paired phase: a fresh stepping store on the same view, brought to the peer's point in the change
 * stream (the build, then edits `0..from` in one transaction), warmed with single-row transactions that
 * the peer also runs (untimed), then both timed in turns of PAIR_BLOCK edits. Capped like a phase of the
 * peer's: it stops once it has run `phaseCapMs` (the warm-up, then the turns), after a whole turn, which
 * is short for a peer that ran its timed updates within the same cap.
 */
async function pairWithStepping(
  c: BenchCase,
  data: Dataset,
  peer: PeerView,
  edits: readonly Edit[],
  from: number,
  db: ScratchDb,
  o: PeerOptions,
): Promise<{ paired: Paired | undefined; next: number; shortened: string | undefined }> {
  const store = c.createStore()
  store.transact((tx) => insertDataset(tx, data, c.reads))
  store.transact((tx) => {
    for (let i = 0; i < from; i++) applyEdit(tx, edits[i]!)
  })
  let next = from
  let shortened: string | undefined
  let phase = now()
  for (let i = 0; i < o.warmupUpdates; i++) {
    const e = edits[next++]!
    store.transact((tx) => applyEdit(tx, e))
    await step(peer, [e])
    db.apply(e)
    if (now() - phase > o.phaseCapMs) {
      shortened = `paired warm-up stopped after ${i + 1} updates`
      break
    }
  }
  const mine: number[] = []
  const theirs: number[] = []
  phase = now()
  for (let turn = 0; mine.length < o.measuredUpdates; turn++) {
    const block = edits.slice(next, next + Math.min(PAIR_BLOCK, o.measuredUpdates - mine.length))
    next += block.length
    const runStepping = (): void => {
      for (const e of block) {
        const t = now()
        store.transact((tx) => applyEdit(tx, e))
        mine.push(now() - t)
      }
    }
    if (turn % 2 === 0) runStepping()
    for (const e of block) {
      const t = now()
      const pending = peer.apply([e])
      if (pending !== undefined) await pending
      theirs.push(now() - t)
    }
    if (turn % 2 === 1) runStepping()
    for (const e of block) db.apply(e)
    if (now() - phase > o.phaseCapMs && mine.length < o.measuredUpdates) {
      shortened = `${mine.length} paired updates (${o.phaseCapMs / 1000} s cap)`
      break
    }
  }
  try {
    c.verify(store, db)
  } catch (e) {
    throw new SteppingMismatch(`paired phase: ${message(e)}`)
  }
  const paired = mine.length > 0 ? { steppingUs: median(mine) * 1000, peerUs: median(theirs) * 1000 } : undefined
  return { paired, next, shortened }
}

function steppingRow(r: CaseResult, batches: number): Row {
  return {
    ...blankRow('stepping', r.id as ViewId, r.scratchBuildMs),
    buildMs: r.buildMs,
    updateMedianUs: r.updateMedianUs,
    updateP99Us: r.updateP99Us,
    updates: r.updates,
    batchChangesPerSec: r.batchChangesPerSec,
    batchMedianMs: r.batchMedianMs,
    batches,
    heapBytes: r.heapBytes,
    correct: true,
  }
}

/**
 * Why `engine` does not run on `view` at size n, or undefined when it does. Up to PEER_GATE_N every peer
 * runs. Above, only a peer that ran cleanly at the size before — built within the cap, no phase skipped
 * for a cap (a phase that stopped at its cap after some changes ran does not count: the cap bounds it at
 * this size too), its result equal to the from-scratch one (a wrong result is not compared anyway) — whose
 * update median there, scaled to n, leaves room for ten updates in a phase (a phase stops only between
 * changes), and whose heap there, scaled to n and doubled for the build's peak, fits in memory: V8 running
 * out of heap kills the process.
 */
function blocker(engine: string, view: ViewId, n: number, previous: PeerSize | undefined): string | undefined {
  if (n <= PEER_GATE_N) return undefined
  const na = `n/a at ${grouped(n)}`
  const before = previous?.rows.find((r) => r.engine === engine && r.view === view)
  if (previous === undefined || before === undefined) return `${na}: no smaller size ran first to show that it finishes`
  const at = `at ${grouped(previous.n)}`
  if (before.skipped !== undefined) return `${na}: not run ${at} either`
  const problem = before.problems[0]
  if (problem !== undefined) return `${na}: ${at}, ${problem.startsWith('mismatch') ? 'its result differed from the from-scratch one' : problem}`
  if (before.capped.length > 0) return `${na}: ${at}, ${before.capped.join('; ')}`
  const scale = n / previous.n
  const updateMs = (before.updateMedianUs / 1000) * scale
  if (updateMs * 10 > previous.options.phaseCapMs)
    return `${na}: its update median ${at} (${(before.updateMedianUs / 1000).toFixed(1)} ms) × ${scale} leaves no room for ten updates in a ${previous.options.phaseCapMs / 1000} s phase`
  const needs = before.heapBytes * scale * BUILD_PEAK
  const free = memoryHeadroom()
  if (needs > free) return `${na}: needs ~${gb(needs)} GB (its heap ${at} × ${scale}, × ${BUILD_PEAK} for the build), ${gb(free)} GB free`
  return undefined
}

/**
 * Runs every peer on every view over `data`, with the same change stream as stepping's run (`stepping`,
 * whose rows the table shows beside them), one engine at a time: each engine's graph is dropped and
 * collected before the next is built. `previous` is the size run before, which vouches for the peers
 * above PEER_GATE_N.
 */
export async function runPeers(data: Dataset, stepping: SizeResults, previous: PeerSize | undefined, quick: boolean, log: boolean): Promise<PeerSize> {
  const t0 = now()
  const o = peerOptions(data.n, quick)
  const rows: Row[] = []
  for (const c of CASES) {
    const view = c.id as ViewId
    const s = stepping.results.find((r) => r.id === c.id)
    const scratchBuildMs = s?.scratchBuildMs ?? NaN
    if (s !== undefined) rows.push(steppingRow(s, stepping.options.batches))
    for (const engine of PEERS) {
      const label = `  ${c.id.padEnd(4)} ${engine.name}`
      const skipped = blocker(engine.name, view, data.n, previous)
      if (skipped !== undefined) {
        rows.push({ ...blankRow(engine.name, view, scratchBuildMs), skipped })
        if (log) console.log(`${label} — ${skipped}`)
        continue
      }
      // Above the gate a build can take minutes: say what is running.
      if (log && data.n > PEER_GATE_N) console.log(`${label} …`)
      const t = now()
      const row = await runPeer(engine, c, data, o, stepping.options.seed, scratchBuildMs)
      collectGarbage()
      rows.push(row)
      if (log) console.log(`${label} done in ${((now() - t) / 1000).toFixed(1)} s — ${status(row)}`)
    }
  }
  return { n: data.n, rows, options: o, seconds: (now() - t0) / 1000 }
}

// ---- report ----

const num = (x: number): string => (Number.isNaN(x) ? '–' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2))
const grouped = (x: number): string => (Number.isNaN(x) ? '–' : Math.round(x).toLocaleString('en-US'))
const mb = (bytes: number): string => (Number.isNaN(bytes) ? '–' : (bytes / 2 ** 20).toFixed(1))
const gb = (bytes: number): string => (bytes / 2 ** 30).toFixed(1)
// A ratio against no peer figure comes out infinite or zero: shown as a dash.
const times = (x: number): string => (Number.isFinite(x) && x > 0 ? `${x >= 10 ? x.toFixed(0) : x.toFixed(1)}×` : '–')

/** 'ok', or what was skipped, went wrong or was cut short. */
function status(r: Row): string {
  if (r.skipped !== undefined) return r.skipped
  const notes = [...r.problems, ...[...r.capped, ...r.shortened].map((s) => `capped: ${s}`)]
  return notes.length === 0 ? 'ok' : notes.join('; ')
}

/** The peers that built the view with a verified result (the only ones a ratio or target counts). */
function peersOf(size: PeerSize, view: ViewId): Row[] {
  return size.rows.filter((r) => r.view === view && r.engine !== 'stepping' && r.correct && !Number.isNaN(r.buildMs))
}

/** The smallest (`lowest`) or largest figure among the rows that have it: ±Infinity when none does. */
function best(rows: readonly Row[], f: (r: Row) => number, lowest = true): number {
  const xs = rows.map(f).filter((x) => !Number.isNaN(x))
  return lowest ? Math.min(Infinity, ...xs) : Math.max(-Infinity, ...xs)
}

/** The peer with the lowest paired ratio (its median ÷ stepping's, taken in turns) on a view, if any was paired. */
function closestPaired(size: PeerSize, view: ViewId): { engine: string; paired: Paired; ratio: number } | undefined {
  let closest: { engine: string; paired: Paired; ratio: number } | undefined
  for (const p of peersOf(size, view)) {
    if (p.paired === undefined) continue
    const ratio = p.paired.peerUs / p.paired.steppingUs
    if (closest === undefined || ratio < closest.ratio) closest = { engine: p.engine, paired: p.paired, ratio }
  }
  return closest
}

/** stepping against the peers on one view, each ratio oriented as the targets read it. */
function ratios(size: PeerSize, r: Row): { update: number; build: number; batch: number; heap: number } {
  const peers = peersOf(size, r.view)
  return {
    update: best(peers, (p) => p.updateMedianUs) / r.updateMedianUs,
    build: best(peers, (p) => p.buildMs) / r.buildMs,
    batch: r.batchChangesPerSec / best(peers, (p) => p.batchChangesPerSec, false),
    heap: r.heapBytes / best(peers, (p) => p.heapBytes),
  }
}

function table(sizes: readonly PeerSize[]): string {
  const header = [
    'N',
    'view',
    'engine',
    'build ms',
    'update median µs',
    'update p99 µs',
    'batch changes/s',
    'batch median ms',
    'heap MB',
    'update: best peer ÷ stepping',
    'update in turns: peer µs ÷ stepping µs',
    'build: best peer ÷ stepping',
    'batch: stepping ÷ best peer',
    'heap: stepping ÷ leanest peer',
    'result',
  ]
  const lines = [header, ['---:', '---', '---', ...header.slice(3, 14).map(() => '---:'), '---']]
  for (const size of sizes) {
    for (const r of size.rows) {
      const ratio = r.engine === 'stepping' ? ratios(size, r) : undefined
      const s = status(r)
      const result = s === 'ok' ? '✓ equal to from-scratch' : `${r.skipped !== undefined ? '' : r.correct ? '✓ ' : '✗ '}${s}`
      lines.push([
        grouped(size.n),
        r.view,
        r.engine === 'stepping' ? '**stepping**' : r.engine,
        num(r.buildMs),
        num(r.updateMedianUs),
        num(r.updateP99Us),
        grouped(r.batchChangesPerSec),
        num(r.batchMedianMs),
        mb(r.heapBytes),
        ratio === undefined ? '' : times(ratio.update),
        pairedCell(size, r),
        ratio === undefined ? '' : times(ratio.build),
        ratio === undefined ? '' : times(ratio.batch),
        ratio === undefined ? '' : times(ratio.heap),
        result.replace(/\|/g, '\\|'),
      ])
    }
  }
  return lines.map((cells) => `| ${cells.join(' | ')} |`).join('\n')
}

/** A peer's paired medians and their ratio; on stepping's row, the lowest ratio among the peers. */
function pairedCell(size: PeerSize, r: Row): string {
  if (r.engine === 'stepping') return times(closestPaired(size, r.view)?.ratio ?? NaN)
  return r.paired === undefined ? '' : `${num(r.paired.peerUs)} ÷ ${num(r.paired.steppingUs)} = ${times(r.paired.peerUs / r.paired.steppingUs)}`
}

/** Every target, per size: met or missed, and by how much. */
function targets(sizes: readonly PeerSize[]): string {
  return sizes
    .map((size, i) => {
      const stepping = size.rows.filter((r) => r.engine === 'stepping')
      const lines: string[] = []
      const judge = (name: string, misses: string[]): void => {
        lines.push(misses.length === 0 ? `- ✅ ${name}: met on every view` : `- ❌ ${name}: missed on ${misses.join(', ')}`)
      }
      const vsPeer = (f: (r: Row) => number, unit: string): string[] =>
        stepping.flatMap((r) => {
          const b = best(peersOf(size, r.view), f)
          if (!Number.isFinite(b)) return []
          const ratio = b / f(r)
          return ratio >= TARGET.vsPeer ? [] : [`${r.view} (${times(ratio)}: stepping ${num(f(r))} ${unit}, best peer ${num(b)} ${unit})`]
        })
      judge(
        `single-row update median ≤ ${TARGET.medianUs} µs`,
        stepping.filter((r) => r.updateMedianUs > TARGET.medianUs).map((r) => `${r.view} (${num(r.updateMedianUs)} µs, ${times(r.updateMedianUs / TARGET.medianUs)} over)`),
      )
      judge(
        `single-row update p99 ≤ ${TARGET.p99Us} µs`,
        stepping.filter((r) => r.updateP99Us > TARGET.p99Us).map((r) => `${r.view} (${num(r.updateP99Us)} µs, ${times(r.updateP99Us / TARGET.p99Us)} over)`),
      )
      judge(`single-row update median ≥ ${TARGET.vsPeer}× faster than the best peer`, vsPeer((r) => r.updateMedianUs, 'µs'))
      judge(
        `the same, timed in turns on the same edits`,
        stepping.flatMap((r) => {
          const closest = closestPaired(size, r.view)
          if (closest === undefined || closest.ratio >= TARGET.vsPeer) return []
          const { engine, paired, ratio } = closest
          return [`${r.view} (${times(ratio)}: stepping ${num(paired.steppingUs)} µs, ${engine} ${num(paired.peerUs)} µs)`]
        }),
      )
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
      const smaller = sizes[i - 1]
      if (smaller !== undefined) lines.push(scaling(stepping, smaller))
      return `At N = ${grouped(size.n)} (peers ran in ${size.seconds.toFixed(0)} s):\n\n${lines.join('\n')}`
    })
    .join('\n\n')
}

/** The per-change cost holds as N grows: stepping's update median here over the size before, per view. */
function scaling(stepping: readonly Row[], smaller: PeerSize): string {
  const perView = stepping.flatMap((r) => {
    const before = smaller.rows.find((s) => s.engine === 'stepping' && s.view === r.view)
    return before === undefined ? [] : [{ view: r.view, ratio: r.updateMedianUs / before.updateMedianUs }]
  })
  const ok = perView.every((v) => v.ratio <= TARGET.scaling)
  return (
    `- ${ok ? '✅' : '❌'} single-row update median like at N = ${grouped(smaller.n)} (within ${TARGET.scaling}×); ` +
    `this N ÷ ${grouped(smaller.n)}: ${perView.map((v) => `${v.view} ${v.ratio.toFixed(2)}×`).join(', ')}`
  )
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

/** What the peers ran at each size. */
function peerRuns(sizes: readonly PeerSize[]): string {
  return sizes
    .map(({ n, options: o }) =>
      `- N = ${grouped(n)}: ${grouped(o.warmupUpdates)} warm-up single changes, ${grouped(o.measuredUpdates)} timed, ` +
      `${o.batches} timed batches of ${grouped(o.batchSize)} (after ${o.warmupBatches} untimed); build cap ${o.buildCapMs / 1000} s, phase cap ${o.phaseCapMs / 1000} s` +
      (n > PEER_GATE_N ? `; a peer runs only where it ran cleanly at the size before (see above)` : ''),
    )
    .join('\n')
}

/** The peers section of RESULTS.md, between its `<!-- bench:peers -->` markers. */
export function peersSection(m: Machine, sizes: readonly PeerSize[], steppingRounds: string): string {
  const versions = PEERS.map((e) => `\`${e.pkg}\` ${version(e.pkg)}`).join(', ')
  const seconds = sizes.reduce((sum, s) => sum + s.seconds, 0)
  return `<!-- bench:peers -->
## Peer engines: stepping vs @tanstack/db-ivm, @electric-sql/d2ts, @tanstack/db

Generated by \`npm run bench\` (bench/src/main.ts, peers.ts, peers/*.ts) on ${m.date}: ${m.cpu}, ${m.cores} cores,
${m.memoryGB} GB RAM, Node ${m.node}, stepping at git ${m.engine}; ${versions}. The peers ran for ${seconds.toFixed(0)} s
of the run.

Every engine runs in the benchmark's process on the same dataset and change stream as the tables above
(each view sees the changes to the collections it reads). stepping's rows are the tables' own
measurement: ${steppingRounds}. Each peer runs once per view and size (one round). The peers:

- **@tanstack/db-ivm** and **@electric-sql/d2ts**: a D2 graph per view, fed as multisets of
  \`[id, row]\` (a change is the old row at −1 and the new one at +1), \`consolidate()\` + \`output()\` into a
  \`Map\` holding the view's rows. A step is \`sendData\` + \`graph.run()\` (d2ts: data at version v, the
  frontier v + 1 on every input, then \`run()\`), timed until it returns with the \`Map\` updated.
  Q1/Q5 use \`orderByWithFractionalIndex\` (Q5 with \`limit: 20\`), Q3a/Q3b/Q4 \`groupBy\` with
  \`count\`/\`sum\`/\`max\`, Q2/Q4 an inner \`join\` (Q4 filters the open issues before the join, as stepping's does).
- **@tanstack/db live queries**: local-only collections (\`localOnlyCollectionOptions\` with \`initialData\`)
  and one \`createLiveQueryCollection\` per view, written with the query builder (\`where\`/\`join\`/\`groupBy\`/
  \`orderBy\`/\`limit\`). A single change is one \`collection.update/insert/delete\`: the live query's
  result is updated synchronously before the call returns, so the call is what is timed. A batch is one
  manual transaction (\`createTransaction\` + \`tx.mutate\` with the 1,000 writes, the mutationFn handing them
  to \`utils.acceptMutations\`), timed until \`await tx.commit()\` resolves (so it includes the microtask hops
  of the commit).

Build = creating the graph/collections and loading every row, run to quiescence; heap = retained after the
build (after \`gc()\`), minus the heap before it (the input rows already exist). Each engine's graph is
dropped and collected before the next one is built. A peer's update median and p99 are over its timed
single changes, its batch changes/s (their changes ÷ their total time) and batch median ms over its timed
batches (after an untimed probe batch of a tenth of the size — batches are skipped if it takes over a tenth
of the phase cap — and untimed full batches, as many as stepping's). A peer
whose build takes over the build cap skips its updates, and each phase stops at the phase cap (the table
says so):

${peerRuns(sizes)}

Above N = ${grouped(PEER_GATE_N)}, a build that runs for minutes cannot be cut off in-process, so a peer
runs on a view only if, at the size before, its build finished within the cap, no phase was skipped for a
cap (a phase that stopped at its cap after some of its changes ran is allowed: the cap bounds it here too)
and its result checked out, and only if its update median there, scaled up to this N, leaves room for ten
updates in a phase and its heap there, scaled up the same way and doubled for the build's peak, fits in
the memory left; otherwise its row says n/a and why.

After the change stream, every peer's result is compared row for row with the from-scratch result over
exactly the changes it was given (verify.ts); **result** says ✓ or ✗ with the first difference. The ratio
columns (on stepping's rows) only count peers whose result checked out: update median and build time are
best peer ÷ stepping (above 1× stepping is faster), batch throughput is stepping ÷ best peer (above 1×
stepping is faster), heap is stepping ÷ leanest peer (at most 1× stepping is leaner).

**update in turns** is a second reading of the single-row update, taken so that the machine's drift
falls on both engines alike: the two engines' own phases above run minutes apart, and their ratio moved
by a third between runs of this benchmark. After a peer's batches (where it ran all its timed updates
within the cap, and its result so far checked out), a fresh stepping store of the same view is built and
brought to the same point of the change stream in one transaction; both then run the next
${grouped(WARMUP_UPDATES)} changes as single-row updates, untimed, and the ${grouped(MEASURED_UPDATES)} after them timed, in turns
of ${PAIR_BLOCK} changes (stepping first in one turn, the peer first in the next), each engine its own
single-row updates on the same changes. The cell is the peer's median ÷ stepping's (above 1× stepping is
faster); on stepping's row, the lowest of those. stepping's store is checked against the from-scratch result
after it (a mismatch stops the benchmark), the peer's with the rest of its stream.

${table(sizes)}

### Targets (stepping)

Judged on stepping's rows above. The issue's "the same per-change costs" as N grows is read as the update
median within ${TARGET.scaling}× of the size before's, view by view.

${targets(sizes)}
<!-- /bench:peers -->`
}
