import { collectGarbage, consume, heapAfterGc, median, now, percentile, time } from './measure'
import { ScratchDb } from './scratch'
import { insertDataset } from './schema'
import type { Dataset } from './schema'
import { applyEdit, editsFor } from './stream'
import type { Edit, EditKind } from './stream'
import type { BenchCase } from './views'

/** The seeds of the dataset and of the change stream: every bench script measures the same workload. */
export const DATA_SEED = 0x5eed
export const STREAM_SEED = 0xc4a9e5

/**
 * Single-row warm-up transactions before the timed ones, the same for every engine (stepping and the
 * peers): stepping's medians keep falling for about 10,000 transactions after a build (JIT tiers, the
 * arrangements' nodes settling), and a peer gets the same chance to settle.
 */
export const WARMUP_UPDATES = 10_000
/** Timed single-row transactions per engine and view: enough that the p99 is not one outlier. */
export const MEASURED_UPDATES = 5_000
/**
 * Untimed batches before the timed ones, the same for every engine: a batch takes code paths single
 * changes do not (a large delta per operator), and stepping's first few batches after single changes
 * run 2–5× slower than the ones after them.
 */
export const WARMUP_BATCHES = 5
/** Timed batches per engine and view. */
export const TIMED_BATCHES = 20

/** How much of each phase to run. */
export interface RunOptions {
  /**
   * Single-row transactions run on the new store before the timed ones. Right after a large build the
   * update path runs 2–3× slower for the first few thousand transactions; the first
   * `coldUpdates` of these are timed separately and reported as "cold".
   */
  readonly warmupUpdates: number
  /** How many of the warm-up transactions, from the first one after the build, the cold median covers. */
  readonly coldUpdates: number
  /** Single-row transactions timed (median, p99). */
  readonly measuredUpdates: number
  /** Changes per transaction in the batched phase. */
  readonly batchSize: number
  /** Batches run untimed before the timed ones. */
  readonly warmupBatches: number
  /** Batches timed. */
  readonly batches: number
  /** From-scratch recomputes timed after single changes (three more run first, untimed). */
  readonly scratchSamples: number
  /** Seed of the change stream. */
  readonly seed: number
}

/** One view's measurements at one size. Times in milliseconds unless named otherwise. */
export interface CaseResult {
  readonly id: string
  readonly title: string
  readonly buildMs: number
  readonly updateMedianUs: number
  readonly updateP99Us: number
  readonly updates: number
  readonly batchChangesPerSec: number
  /** Median time of one timed batch, in ms (the throughput above is their total, slow batches included). */
  readonly batchMedianMs: number
  readonly heapBytes: number
  readonly scratchBuildMs: number
  readonly scratchRecomputeMs: number
  readonly scratchSamples: number
  /** scratch recompute median / stepping single-update median. */
  readonly speedup: number
  /** Rows in the view at the end. */
  readonly rows: number
  /** Median of the first `coldUpdates` single-row transactions after the build, in µs. */
  readonly coldMedianUs: number
  /** Median single-row transaction time per kind of change, in µs (the kinds that reach this view). */
  readonly medianUsByKind: ReadonlyMap<EditKind, number>
}

const SCRATCH_WARMUP = 3

/**
 * Benchmarks one view at one size, in its own store:
 * 1. build: createStore + one transaction inserting every row the view reads; heap retained by the store;
 * 2. the from-scratch build (load Maps + compute the view once) and a first correctness check;
 * 3. single-row updates, one `store.transact` each: warm-up (the first ones timed as "cold"), then timed;
 * 4. the same changes applied to the scratch inputs, recomputing the whole view after the first few;
 * 5. batched updates, `batchSize` changes per transaction (warm-up batches, then timed), also applied
 *    to the scratch inputs;
 * 6. the final check: the stepping view equals the from-scratch result.
 */
export function runCase(c: BenchCase, data: Dataset, opts: RunOptions): CaseResult {
  // 1. Build, and the heap the store keeps (the input rows already exist, so they are not counted).
  const heapBefore = heapAfterGc()
  const { ms: buildMs, result: store } = time(() => {
    const s = c.createStore()
    s.transact((tx) => insertDataset(tx, data, c.reads))
    return s
  })
  const heapBytes = heapAfterGc() - heapBefore

  // The change history this view sees (generated after the heap measurement, which it would disturb).
  const single = opts.warmupUpdates + opts.measuredUpdates
  const total = single + (opts.warmupBatches + opts.batches) * opts.batchSize
  const edits = editsFor(data, opts.seed, c.reads, total)
  if (edits.length < total) throw new Error(`${c.id}: the change stream ran short`)
  const warmup = edits.slice(0, opts.warmupUpdates)
  const measured = edits.slice(opts.warmupUpdates, single)
  const batched = edits.slice(single)

  // 2. From-scratch build, and check the initial view.
  const { ms: scratchBuildMs, result: db } = time(() => {
    const d = ScratchDb.load(data, c.reads)
    c.recompute(d)
    return d
  })
  c.verify(store, db)

  // 3. Single-row updates.
  const cold: number[] = []
  for (let i = 0; i < warmup.length; i++) {
    const e = warmup[i]!
    const t0 = now()
    store.transact((tx) => applyEdit(tx, e))
    if (i < opts.coldUpdates) cold.push(now() - t0)
  }
  // No full GC between the warm-up and the timed transactions (the one after the build comes before the
  // warm-up): a full GC gives pages back to the OS, and here each first touch of one afterwards costs
  // ~17 µs, so the first thousands of timed transactions measured the page faults (see docs/performance-log.md).
  const samples: number[] = new Array(measured.length)
  for (let i = 0; i < measured.length; i++) {
    const e = measured[i]!
    const t0 = now()
    store.transact((tx) => applyEdit(tx, e))
    samples[i] = now() - t0
  }

  // 4. The same history on the scratch side, recomputing the view after the first changes.
  for (let i = 0; i < warmup.length; i++) {
    db.apply(warmup[i]!)
    if (i >= warmup.length - SCRATCH_WARMUP) c.recompute(db)
  }
  collectGarbage()
  const recomputes: number[] = []
  for (let i = 0; i < measured.length; i++) {
    db.apply(measured[i]!)
    if (i < opts.scratchSamples) {
      const t0 = now()
      consume(c.recompute(db).length)
      recomputes.push(now() - t0)
    }
  }

  // 5. Batches.
  collectGarbage()
  let batchMs = 0
  const batchTimes: number[] = []
  for (let b = 0; b < opts.warmupBatches + opts.batches; b++) {
    const batch = batched.slice(b * opts.batchSize, (b + 1) * opts.batchSize)
    const t0 = now()
    store.transact((tx) => {
      for (const e of batch) applyEdit(tx, e)
    })
    if (b >= opts.warmupBatches) {
      const ms = now() - t0
      batchMs += ms
      batchTimes.push(ms)
    }
    for (const e of batch) db.apply(e)
  }

  // 6. Correctness after the whole stream.
  c.verify(store, db)
  const rows = c.recompute(db).length

  const medianUsByKind = new Map<EditKind, number>()
  for (const [kind, ms] of mediansByKind(measured, samples)) medianUsByKind.set(kind, ms * 1000)

  const updateMedianUs = median(samples) * 1000
  const scratchRecomputeMs = median(recomputes)
  return {
    id: c.id,
    title: c.title,
    buildMs,
    updateMedianUs,
    updateP99Us: percentile(samples, 0.99) * 1000,
    updates: samples.length,
    batchChangesPerSec: (opts.batches * opts.batchSize) / (batchMs / 1000),
    batchMedianMs: median(batchTimes),
    heapBytes,
    scratchBuildMs,
    scratchRecomputeMs,
    scratchSamples: recomputes.length,
    speedup: (scratchRecomputeMs * 1000) / updateMedianUs,
    rows,
    medianUsByKind,
    coldMedianUs: cold.length > 0 ? median(cold) * 1000 : Number.NaN,
  }
}

/**
 * One view's figures over several rounds (each a fresh store on the same data and change stream): every
 * figure is the median (nearest rank) of the rounds' figures — the update median of the rounds' medians,
 * the p99 of their p99s, and so on — and the speedup is recomputed from the medians.
 */
export function medianOfRounds(rounds: readonly CaseResult[]): CaseResult {
  const first = rounds[0]
  if (first === undefined) throw new Error('medianOfRounds: no rounds')
  const of = (figure: (r: CaseResult) => number): number => median(rounds.map(figure))
  const medianUsByKind = new Map<EditKind, number>()
  for (const kind of first.medianUsByKind.keys()) medianUsByKind.set(kind, of((r) => r.medianUsByKind.get(kind) ?? Number.NaN))
  const updateMedianUs = of((r) => r.updateMedianUs)
  const scratchRecomputeMs = of((r) => r.scratchRecomputeMs)
  return {
    ...first,
    buildMs: of((r) => r.buildMs),
    updateMedianUs,
    updateP99Us: of((r) => r.updateP99Us),
    batchChangesPerSec: of((r) => r.batchChangesPerSec),
    batchMedianMs: of((r) => r.batchMedianMs),
    heapBytes: of((r) => r.heapBytes),
    scratchBuildMs: of((r) => r.scratchBuildMs),
    scratchRecomputeMs,
    speedup: (scratchRecomputeMs * 1000) / updateMedianUs,
    coldMedianUs: of((r) => r.coldMedianUs),
    medianUsByKind,
  }
}

/** The median of `samples[i]` (the time of `edits[i]`) per kind of change. */
export function mediansByKind(edits: readonly Edit[], samples: readonly number[]): Map<EditKind, number> {
  const byKind = new Map<EditKind, number[]>()
  for (let i = 0; i < edits.length; i++) {
    const kind = edits[i]!.kind
    let list = byKind.get(kind)
    if (list === undefined) byKind.set(kind, (list = []))
    list.push(samples[i]!)
  }
  return new Map(Array.from(byKind, ([kind, list]) => [kind, median(list)]))
}
