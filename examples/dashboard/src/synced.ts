import { collection, type SubscriptionSpec, type Transaction } from '@stepping/core'
import type { ClockRow, DailyRow, MeterWeek, RollingRow, SetPriceArgs, SilentMeter, Status, Tariff, TariffCostRow, TariffTotal, Totals } from './model'

// The browser's collections: each holds the rows of one published view, under the key the server gives
// them. Client views (src/app/queries.ts) compose over these like over any collection.

export const daily = collection<DailyRow>('daily', { key: (d) => [d.region, d.day] })
export const rolling = collection<RollingRow>('rolling', { key: (d) => [d.region, d.day] })
export const topMeters = collection<MeterWeek>('topMeters', { key: 'meter' })
export const silentMeters = collection<SilentMeter>('silentMeters', { key: 'id' })
export const tariffCost = collection<TariffCostRow>('tariffCost', { key: (c) => [c.tariff, c.day] })
export const tariffTotals = collection<TariffTotal>('tariffTotals', { key: 'tariff' })
export const totals = collection<Totals>('totals', { key: 'key' })
export const tariffs = collection<Tariff>('tariffs', { key: 'id' })
export const clock = collection<ClockRow>('clock', { key: 'id' })
export const status = collection<Status>('status', { key: 'id' })

export const syncedCollections = [daily, rolling, topMeters, silentMeters, tariffCost, tariffTotals, totals, tariffs, clock, status]

/** One subscription per published view, each into the collection of the same name. */
export const subscriptions: readonly SubscriptionSpec[] = syncedCollections.map((c) => ({ view: c.name, into: c }))

/** The client's mutators: a price edit shows in the tariffs table at once; the costs follow from the server. */
export const clientMutators = {
  setPrice(tx: Transaction, { tariff, centsPerKwh }: SetPriceArgs) {
    tx.update(tariffs, tariff, { centsPerKwh })
  },
}
