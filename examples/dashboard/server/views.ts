import { avg, collection, count, max, min, sum, view } from '@stepping/core'
import { publish, type Identity } from '@stepping/sync-server'
import {
  dayOf,
  minuteOf,
  weekOf,
  type ClockRow,
  type DailyRow,
  type Meter,
  type MeterWeek,
  type Reading,
  type RollingRow,
  type SilentMeter,
  type Status,
  type Tariff,
  type TariffCostRow,
  type TariffTotal,
} from '../src/model'

// The server's inputs and views. Every view is maintained incrementally: a batch of readings costs work in
// proportion to the batch, a price edit in proportion to the rows of that tariff, a clock tick in
// proportion to the rows whose bucket enters or leaves a window.

export const readings = collection<Reading>('readings', { key: 'id' })
export const meters = collection<Meter>('meters', { key: 'id' })
export const tariffs = collection<Tariff>('tariffs', { key: 'id' })
export const clock = collection<ClockRow>('clock', { key: 'id' })
export const status = collection<Status>('status', { key: 'id' })

const dailyRelation = readings
  .groupBy((r) => [r.region, dayOf(r.ts)] as const, {
    wh: sum((r) => r.wh),
    avg: avg((r) => r.wh),
    min: min((r) => r.wh),
    max: max((r) => r.wh),
    n: count(),
  })
  .map((g): DailyRow => ({ region: g.key[0], day: g.key[1], wh: g.wh, avg: g.avg, min: g.min, max: g.max, n: g.n }))

/** Consumption per region per day: sum, mean, min, max and count of the readings. */
export const daily = view('daily', dailyRelation)

/**
 * The 30-day rolling total per region: each daily total is sent to the 30 days whose window holds it,
 * then summed. Exact and incremental: a changed daily total moves 30 sums, whatever the history's length.
 * Days after today get rows too (their windows are partly in the future); the browser shows up to today.
 */
export const rolling = view(
  'rolling',
  dailyRelation
    .flatMap((d) => Array.from({ length: 30 }, (_, k) => ({ region: d.region, day: d.day + k, wh: d.wh })))
    .groupBy((x) => [x.region, x.day] as const, { wh: sum((x) => x.wh) })
    .map((g): RollingRow => ({ region: g.key[0], day: g.key[1], wh: g.wh })),
)

// A join with one clock row on its bucket value: when the bucket moves, only the rows of the old and the
// new bucket are looked up through the join's index, not every row of every week.
const weekClock = clock.filter((c) => c.id === 'week')
const minuteClock = clock.filter((c) => c.id === 'minute')

/** The 10 meters that consumed most this week (Monday to Sunday, UTC). */
export const topMeters = view(
  'topMeters',
  readings
    .groupBy((r) => [r.meter, r.region, weekOf(dayOf(r.ts))] as const, { wh: sum((r) => r.wh) })
    .join(weekClock, (g) => g.key[2], (c) => c.value)
    .map(([g]): MeterWeek => ({ meter: g.key[0], region: g.key[1], wh: g.wh }), { key: (m) => m.meter })
    .orderBy((m) => m.wh, 'desc')
    .limit(10),
)

// The minutes of the last hour, one row each: when the clock moves a minute, the 59 shared rows cancel
// and only the minute that left and the one that came change.
const lastHour = minuteClock.flatMap((c) => Array.from({ length: 60 }, (_, k) => ({ minute: c.value - k })), { key: (m) => m.minute })
// The minute of each meter's latest reading: a meter has read in the last hour exactly when that minute is
// in the window (readings are never stamped in the future). Its state is a compact ordered multiset of
// minutes per meter (a B+ tree of numbers with counts), not a copy of the readings: 10 million fit.
const lastSeen = readings.groupBy((r) => r.meter, { minute: max((r) => minuteOf(r.ts)) })
// Meters whose latest reading is recent: a clock tick moves only the meters of the minute that left the
// window (they turn silent) and of the minute that entered it.
const recent = lastSeen.semiJoin(lastHour, 'minute', 'minute')

/** Meters without a reading in the last hour (the current minute and the 59 before it), with their last one. */
export const silentMeters = view(
  'silentMeters',
  meters
    .antiJoin(recent, 'id', 'key')
    .leftJoin(lastSeen, 'id', 'key')
    .map(([m, seen]): SilentMeter => ({ id: m.id, region: m.region, tariff: m.tariff, lastMinute: seen?.minute ?? null }), { key: (m) => m.id }),
)

const tariffDaily = readings.groupBy((r) => [r.tariff, dayOf(r.ts)] as const, { wh: sum((r) => r.wh) })

/** Each tariff's consumption per day priced at its current price: a price edit re-prices that tariff's days. */
export const tariffCost = view(
  'tariffCost',
  tariffDaily
    .join(tariffs, (g) => g.key[0], 'id')
    .map(([g, t]): TariffCostRow => ({ tariff: t.id, day: g.key[1], wh: g.wh, cost: (g.wh * t.centsPerKwh) / 100_000 }), {
      key: (c) => [c.tariff, c.day],
    }),
)

// The totals below are sums of the per-day groups, not of the readings: a batch of readings reaches them
// as the handful of day groups it changed.

/** Each tariff's consumption over every reading, at its current price. */
export const tariffTotals = view(
  'tariffTotals',
  tariffDaily
    .groupBy((g) => g.key[0], { wh: sum((g) => g.wh) })
    .join(tariffs, 'key', 'id')
    .map(([g, t]): TariffTotal => ({ tariff: t.id, wh: g.wh, cost: (g.wh * t.centsPerKwh) / 100_000 }), { key: (t) => t.tariff }),
)

/** How many readings are held, and their energy. */
export const totals = view('totals', dailyRelation.groupBy(() => 'all' as const, { n: sum((d) => d.n), wh: sum((d) => d.wh) }))

/** The small inputs, published as they are: the browser edits prices and reads the clock and counter. */
export const tariffList = view('tariffList', tariffs)
export const clockView = view('clockView', clock)
export const statusView = view('statusView', status)

export const serverViews = [daily, rolling, topMeters, silentMeters, tariffCost, tariffTotals, totals, tariffList, clockView, statusView]

/** Anyone who opens the page reads the dashboard: the token names a viewer, nothing more. */
export interface Viewer extends Identity {
  readonly id: string
}

/** The published views, by the names clients subscribe to, each with the key its rows carry. */
export const publications = {
  daily: publish<DailyRow, never, Viewer>(daily, { key: (d) => [d.region, d.day] }),
  rolling: publish<RollingRow, never, Viewer>(rolling, { key: (d) => [d.region, d.day] }),
  topMeters: publish<MeterWeek, never, Viewer>(topMeters, { key: 'meter' }),
  silentMeters: publish<SilentMeter, never, Viewer>(silentMeters, { key: 'id' }),
  tariffCost: publish<TariffCostRow, never, Viewer>(tariffCost, { key: (c) => [c.tariff, c.day] }),
  tariffTotals: publish<TariffTotal, never, Viewer>(tariffTotals, { key: 'tariff' }),
  totals: publish(totals, { key: 'key' }),
  tariffs: publish<Tariff, never, Viewer>(tariffList, { key: 'id' }),
  clock: publish<ClockRow, never, Viewer>(clockView, { key: 'id' }),
  status: publish<Status, never, Viewer>(statusView, { key: 'id' }),
}
