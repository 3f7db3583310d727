import type { Store, Transaction } from '@stepping/core'
import { dayOf, MINUTE_MS, minuteOf, REGIONS, TARIFFS, weekOf, type ClockRow, type Meter, type Reading } from '../src/model'
import { clock, meters, readings, status, tariffs } from './views'

/** Options of a `Simulator`. */
export interface SimulatorOptions {
  /** Meters in the fleet (default 1000); one in 25 is faulty and stops reporting. */
  readonly meters?: number
  /** Seed of the pseudo-random stream, so a run can be repeated. */
  readonly seed?: number
  /** Share of live readings that arrive late, stamped up to 3 days back (default 0.01). */
  readonly lateShare?: number
  /** Corrections (an earlier reading's value replaced) per live reading (default 0.005). */
  readonly correctionShare?: number
  /** Retractions (an earlier reading deleted) per live reading (default 0.002). */
  readonly deletionShare?: number
}

/** What one `batch` committed. */
export interface BatchResult {
  readonly inserted: number
  readonly late: number
  readonly corrected: number
  readonly deleted: number
  readonly version: number
  /** Time the transaction took (views and the SQLite write included), in ms. */
  readonly ms: number
}

const INTERVAL_MS = 15 * MINUTE_MS
const FAULTY_EVERY = 25

/**
 * A simulated fleet of energy meters writing into a store: 15-minute interval readings (in Wh), some
 * arriving late, some corrected or retracted afterwards. Every method commits its changes together with
 * the clock and the ingest status, so a reader sees readings, windows and counter of one version.
 */
export class Simulator {
  readonly #store: Store
  readonly #random: () => number
  readonly #meters: readonly Meter[]
  readonly #healthy: readonly Meter[]
  readonly #lateShare: number
  readonly #correctionShare: number
  readonly #deletionShare: number
  #next = 0

  constructor(store: Store, options: SimulatorOptions = {}) {
    this.#store = store
    this.#random = mulberry32(options.seed ?? 1)
    const count = options.meters ?? 1000
    this.#meters = Array.from({ length: count }, (_, i) => ({
      id: `m${String(i).padStart(5, '0')}`,
      region: REGIONS[i % REGIONS.length]!,
      tariff: TARIFFS[Math.floor(i / REGIONS.length) % TARIFFS.length]!.id,
    }))
    this.#healthy = this.#meters.filter((_, i) => !isFaulty(i))
    this.#lateShare = options.lateShare ?? 0.01
    this.#correctionShare = options.correctionShare ?? 0.005
    this.#deletionShare = options.deletionShare ?? 0.002
    this.#next = (store.get(status, 'ingest')?.ingested ?? 0) + 1
  }

  /** Readings inserted so far (ids are 1 to this). */
  get ingested(): number {
    return this.#next - 1
  }

  /** Writes the meters, the tariffs and the clock when the store has none yet. */
  setUp(now: number): void {
    if (this.#store.read(meters).length > 0) return
    this.#store.transact((tx) => {
      tx.insert(meters, [...this.#meters])
      tx.insert(tariffs, [...TARIFFS])
      this.#setClock(tx, now)
    })
  }

  /**
   * Loads `count` historical readings, every meter reading each 15 minutes back from `now` (faulty meters
   * stop 1 to 3 hours before it), in transactions of `chunk` readings. `onProgress` hears the count so far.
   */
  loadHistory(count: number, now: number, chunk = 50_000, onProgress?: (loaded: number) => void): void {
    const stagger = INTERVAL_MS / this.#meters.length
    let loaded = 0
    let batch: Reading[] = []
    const flush = (): void => {
      const rows = batch
      batch = []
      this.#commit((tx) => tx.insert(readings, rows), now)
      onProgress?.(loaded)
    }
    for (let t = 1; loaded < count; t++)
      for (let i = 0; i < this.#meters.length && loaded < count; i++) {
        const ts = Math.floor(now - t * INTERVAL_MS + i * stagger)
        if (isFaulty(i) && ts > now - silentFor(i)) continue
        batch.push(this.#reading(this.#meters[i]!, ts))
        loaded++
        if (batch.length >= chunk) flush()
      }
    if (batch.length > 0) flush()
  }

  /**
   * Commits `n` live readings stamped `now` from the healthy meters, with late arrivals, corrections and
   * retractions of earlier readings mixed in, and moves the clock.
   */
  batch(n: number, now: number): BatchResult {
    let late = 0
    let corrected = 0
    let deleted = 0
    const rows: Reading[] = []
    for (let k = 0; k < n; k++) {
      const meter = this.#healthy[Math.floor(this.#random() * this.#healthy.length)]!
      const isLate = this.#random() < this.#lateShare
      if (isLate) late++
      const ts = isLate ? now - Math.floor(this.#random() * 72 * 60 * MINUTE_MS) : now
      rows.push(this.#reading(meter, ts))
    }
    const started = performance.now()
    const corrections = this.#draws(n * this.#correctionShare)
    const deletions = this.#draws(n * this.#deletionShare)
    const version = this.#commit(
      (tx) => {
        if (rows.length > 0) tx.insert(readings, rows)
        for (let k = 0; k < corrections + deletions; k++) {
          const id = 1 + Math.floor(this.#random() * (this.#next - 1))
          const old = tx.get(readings, id)
          if (old === undefined) continue
          if (k < corrections) {
            tx.update(readings, id, { wh: Math.max(0, Math.round(old.wh * (0.5 + this.#random()))) })
            corrected++
          } else {
            tx.delete(readings, id)
            deleted++
          }
        }
      },
      now,
    )
    return { inserted: rows.length, late, corrected, deleted, version, ms: performance.now() - started }
  }

  /** Moves the clock to `now` (a commit only when a bucket changes). */
  tick(now: number): void {
    const rows = clockRows(now)
    if (rows.every((r) => this.#store.get(clock, r.id)?.value === r.value)) return
    this.#store.transact((tx) => this.#setClock(tx, now))
  }

  /** Runs `write`, the clock and the status row in one transaction; returns the version committed. */
  #commit(write: (tx: Transaction) => void, now: number): number {
    const version = this.#store.version + 1
    this.#store.transact((tx) => {
      write(tx)
      this.#setClock(tx, now)
      tx.upsert(status, { id: 'ingest', ingested: this.#next - 1, version, at: Date.now() })
    })
    return version
  }

  #setClock(tx: Transaction, now: number): void {
    for (const row of clockRows(now)) if (tx.get(clock, row.id)?.value !== row.value) tx.upsert(clock, row)
  }

  /** A reading of `meter` at `ts` with the next id: a household's 15 minutes, more in the evening. */
  #reading(meter: Meter, ts: number): Reading {
    const hour = new Date(ts).getUTCHours()
    const shape = hour >= 17 && hour < 22 ? 1.8 : hour >= 7 && hour < 17 ? 1.0 : 0.5
    const base = 40 + ((Number(meter.id.slice(1)) * 7919) % 13) * 10
    const wh = Math.round(base * shape * (0.6 + this.#random() * 0.8))
    return { id: this.#next++, meter: meter.id, region: meter.region, tariff: meter.tariff, ts, wh }
  }

  /** `expected` rounded up or down at random, so fractional shares add up over many batches. */
  #draws(expected: number): number {
    const whole = Math.floor(expected)
    return whole + (this.#random() < expected - whole ? 1 : 0)
  }
}

const isFaulty = (meterIndex: number): boolean => meterIndex % FAULTY_EVERY === FAULTY_EVERY - 1
/** How long before the present a faulty meter stopped reporting: 1 to 3 hours. */
const silentFor = (meterIndex: number): number => (1 + (meterIndex % 3)) * 60 * MINUTE_MS

/** The clock rows of `now`. */
export function clockRows(now: number): ClockRow[] {
  return [
    { id: 'minute', value: minuteOf(now) },
    { id: 'day', value: dayOf(now) },
    { id: 'week', value: weekOf(dayOf(now)) },
  ]
}

/** A small, fast, seeded PRNG (Tommy Ettinger's mulberry32): uniform in [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
