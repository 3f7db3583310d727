/** Timing, statistics and heap measurement helpers. */

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
