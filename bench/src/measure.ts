/** Timing, statistics and heap measurement helpers. */
import os from 'node:os'
import v8 from 'node:v8'

/** Milliseconds, sub-microsecond resolution. */
export const now = (): number => performance.now()

/** Runs a full garbage collection (twice, so objects freed by finalization go too). Needs --expose-gc. */
export function collectGarbage(): void {
  const gc = globalThis.gc
  if (gc === undefined) throw new Error('the benchmark needs global.gc: run it with node --expose-gc (npm run bench does)')
  gc()
  gc()
}

/** V8 heap in use, in bytes, after a full collection. */
export function heapAfterGc(): number {
  collectGarbage()
  return process.memoryUsage().heapUsed
}

/**
 * Bytes the process can still allocate: the smaller of what V8's heap limit leaves (raised by
 * --max-old-space-size) and the machine's available memory. Running out inside V8 kills the process, so
 * the largest sizes are checked against this first.
 */
export function memoryHeadroom(): number {
  const heap = v8.getHeapStatistics()
  return Math.min(heap.heap_size_limit - heap.used_heap_size, os.freemem())
}

/**
 * What building something allocates at its peak, as a multiple of what it keeps: a build's transient
 * garbage (deltas, intermediate arrays) is of the order of its result.
 */
export const BUILD_PEAK = 2

/** The value below which a fraction `p` of the samples fall (nearest rank). */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) throw new Error('percentile of no samples')
  const sorted = [...samples].sort((a, b) => a - b)
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length)))
  return sorted[rank - 1]!
}

export const median = (samples: readonly number[]): number => percentile(samples, 0.5)

/** Times one call of `fn`, in milliseconds, and hands back its result. */
export function time<R>(fn: () => R): { ms: number; result: R } {
  const t0 = now()
  const result = fn()
  return { ms: now() - t0, result }
}

let blackhole = 0
/** Keeps a result observable, so the work that produced it cannot be optimized away. */
export function consume(value: number): void {
  blackhole = (blackhole + value) | 0
}
export const consumed = (): number => blackhole
