/**
 * The dashboard's rows and time buckets, shared by the server (whose views compute them) and the browser
 * (whose collections hold what the server publishes). Energy is kept in integer watt-hours: sums stay
 * exact however many late corrections add and retract them, and kWh is only a unit of display.
 */

export const MINUTE_MS = 60_000
export const HOUR_MS = 60 * MINUTE_MS
export const DAY_MS = 24 * HOUR_MS

/** Minutes since the epoch: the bucket of "no reading in the last hour". */
export const minuteOf = (ts: number): number => Math.floor(ts / MINUTE_MS)
/** Days since the epoch (UTC): the bucket of the daily and rolling views. */
export const dayOf = (ts: number): number => Math.floor(ts / DAY_MS)
/** Weeks since the epoch, Monday to Sunday (day 0, 1970-01-01, was a Thursday). */
export const weekOf = (day: number): number => Math.floor((day + 3) / 7)

/** The `yyyy-mm-dd` of a day number. */
export const dayLabel = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10)

export const REGIONS = ['north', 'south', 'east', 'west', 'central'] as const
export type Region = (typeof REGIONS)[number]

/** One meter reading: `wh` watt-hours consumed in the interval ending at `ts` (ms since the epoch). */
export interface Reading {
  readonly id: number
  readonly meter: string
  readonly region: string
  readonly tariff: string
  readonly ts: number
  readonly wh: number
}

export interface Meter {
  readonly id: string
  readonly region: string
  readonly tariff: string
}

/** A tariff and its current price, in cents per kWh. */
export interface Tariff {
  readonly id: string
  readonly name: string
  readonly centsPerKwh: number
}

/**
 * The clock, an input like any other: one row per granularity, each holding the current bucket. The
 * server moves a row when its bucket changes, so time-windowed views stay functions of collections.
 */
export interface ClockRow {
  readonly id: 'minute' | 'day' | 'week'
  readonly value: number
}

/** What the ingest loop last committed, written in the same transaction as the readings. */
export interface Status {
  readonly id: 'ingest'
  /** Readings inserted since the store was created (late ones included, corrections not). */
  readonly ingested: number
  /** The store version of that commit. */
  readonly version: number
  /** Server time of the commit, ms since the epoch: the start of the ingest-to-paint latency. */
  readonly at: number
}

/** Consumption of one region on one day. */
export interface DailyRow {
  readonly region: string
  readonly day: number
  readonly wh: number
  readonly avg: number | null
  readonly min: number | null
  readonly max: number | null
  readonly n: number
}

/** The 30 days ending on `day` of one region. */
export interface RollingRow {
  readonly region: string
  readonly day: number
  readonly wh: number
}

/** A meter's consumption in the current week. */
export interface MeterWeek {
  readonly meter: string
  readonly region: string
  readonly wh: number
}

/** A meter without a reading in the last hour, and the minute of its latest reading (null: none ever). */
export interface SilentMeter extends Meter {
  readonly lastMinute: number | null
}

/** What one tariff's readings of one day cost at the tariff's current price. */
export interface TariffCostRow {
  readonly tariff: string
  readonly day: number
  readonly wh: number
  readonly cost: number
}

/** All of one tariff's readings and what they cost at its current price. */
export interface TariffTotal {
  readonly tariff: string
  readonly wh: number
  readonly cost: number
}

/** Every reading held now. */
export interface Totals {
  readonly key: 'all'
  readonly n: number
  readonly wh: number
}

/** Euros for `wh` watt-hours at `centsPerKwh`. */
export const costOf = (wh: number, centsPerKwh: number): number => (wh * centsPerKwh) / 100_000

/** The tariffs a new database starts with. */
export const TARIFFS: readonly Tariff[] = [
  { id: 'standard', name: 'Standard', centsPerKwh: 28 },
  { id: 'economy', name: 'Economy 7', centsPerKwh: 21 },
  { id: 'green', name: 'Green', centsPerKwh: 31 },
  { id: 'business', name: 'Business', centsPerKwh: 25 },
]

/** The arguments of the `setPrice` mutator. */
export interface SetPriceArgs {
  readonly tariff: string
  readonly centsPerKwh: number
}
