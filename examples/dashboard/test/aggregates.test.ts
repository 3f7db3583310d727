import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { costOf, DAY_MS, MINUTE_MS, type Reading } from '../src/model'
import * as synced from '../src/synced'
import { startDashboard, type Dashboard } from '../server/app'
import { daily, meters, readings, rolling, silentMeters, tariffCost, tariffs, tariffTotals, topMeters, totals, clock, status } from '../server/views'
import { nodeClient, tempDir, until } from './helpers'

// The oracle: after a run with late readings, corrections, retractions, clock moves across a day and a
// week boundary, and price edits, every view must equal the same question asked from scratch in SQL over a
// plain `readings` table in SQLite.

describe('dashboard views against SQL', () => {
  const tmp = tempDir()
  let dashboard: Dashboard
  let sql: Database.Database
  // Sunday 2026-01-04 21:30 UTC: three simulated hours cross midnight, into a new day and a new week.
  let now = Date.UTC(2026, 0, 4, 21, 30)

  beforeAll(async () => {
    dashboard = await startDashboard({
      dbPath: `${tmp.dir}/dashboard.db`,
      history: 20_000,
      now: () => now,
      simulator: { meters: 200, seed: 7, lateShare: 0.05, correctionShare: 0.03, deletionShare: 0.02 },
    })
    const { store, client } = nodeClient(dashboard.wsUrl)
    for (let i = 0; i < 48; i++) {
      now += 4 * MINUTE_MS + 17_000
      dashboard.simulator.batch(300, now)
      if (i === 16) await client.mutate('setPrice', { tariff: 'green', centsPerKwh: 45 })
      if (i === 32) dashboard.store.transact((tx) => tx.update(tariffs, 'economy', { centsPerKwh: 9 }))
    }
    await client.mutate('setPrice', { tariff: 'standard', centsPerKwh: 33 })
    // The browser's copy: every synced collection equals its server view once the client caught up.
    const last = dashboard.store.get(status, 'ingest')?.version
    await until(() => store.get(synced.status, 'ingest')?.version === last, 20_000, 'the client to catch up')
    clientRows = {
      daily: store.read(synced.daily),
      tariffCost: store.read(synced.tariffCost),
      topMeters: store.read(synced.topMeters),
      silentMeters: store.read(synced.silentMeters),
    }
    client.close()

    sql = new Database(':memory:')
    sql.exec('CREATE TABLE readings (id INTEGER PRIMARY KEY, meter TEXT, region TEXT, tariff TEXT, ts INTEGER, wh INTEGER)')
    sql.exec('CREATE TABLE tariffs (id TEXT PRIMARY KEY, cents INTEGER)')
    sql.exec('CREATE TABLE meters (id TEXT PRIMARY KEY, region TEXT, tariff TEXT)')
    const insert = sql.prepare('INSERT INTO readings VALUES (@id, @meter, @region, @tariff, @ts, @wh)')
    sql.transaction((rows: readonly Reading[]) => rows.forEach((r) => insert.run(r)))(dashboard.store.read(readings))
    for (const t of dashboard.store.read(tariffs)) sql.prepare('INSERT INTO tariffs VALUES (?, ?)').run(t.id, t.centsPerKwh)
    for (const m of dashboard.store.read(meters)) sql.prepare('INSERT INTO meters VALUES (?, ?, ?)').run(m.id, m.region, m.tariff)
  }, 60_000)

  let clientRows: Record<'daily' | 'tariffCost' | 'topMeters' | 'silentMeters', readonly unknown[]>

  afterAll(async () => {
    await dashboard?.stop()
    sql?.close()
    tmp.remove()
  })

  test('the run had late readings, corrections, retractions and price edits', () => {
    const n = (sql.prepare('SELECT COUNT(*) AS n, MAX(id) AS top FROM readings').get() as { n: number; top: number })
    expect(n.top - n.n).toBeGreaterThan(100) // retracted readings
    expect(dashboard.store.get(tariffs, 'green')?.centsPerKwh).toBe(45)
    expect(dashboard.store.get(tariffs, 'economy')?.centsPerKwh).toBe(9)
    expect(dashboard.store.get(tariffs, 'standard')?.centsPerKwh).toBe(33)
    expect(dashboard.store.get(clock, 'day')?.value).toBe(Math.floor(now / DAY_MS))
  })

  test('consumption per region per day: sum, avg, min, max, count', () => {
    const expected = sql
      .prepare(
        `SELECT region, ts / ${DAY_MS} AS day, SUM(wh) AS wh, AVG(wh) AS avg, MIN(wh) AS min, MAX(wh) AS max, COUNT(*) AS n
         FROM readings GROUP BY region, day ORDER BY region, day`,
      )
      .all()
    expect(sortBy(dashboard.store.read(daily), (d) => [d.region, d.day])).toEqual(expected)
  })

  test('30-day rolling total per region', () => {
    const expected = sql
      .prepare(
        `WITH RECURSIVE k(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM k WHERE k < 29),
              d AS (SELECT region, ts / ${DAY_MS} AS day, SUM(wh) AS wh FROM readings GROUP BY region, day)
         SELECT region, day + k AS day, SUM(wh) AS wh FROM d, k GROUP BY region, day + k ORDER BY region, day`,
      )
      .all()
    expect(sortBy(dashboard.store.read(rolling), (d) => [d.region, d.day])).toEqual(expected)
  })

  test('top 10 meters of this week', () => {
    const week = dashboard.store.get(clock, 'week')!.value
    const expected = sql
      .prepare(
        `SELECT meter, region, SUM(wh) AS wh FROM readings WHERE (ts / ${DAY_MS} + 3) / 7 = ? GROUP BY meter, region ORDER BY wh DESC, meter LIMIT 10`,
      )
      .all(week)
    expect(dashboard.store.read(topMeters)).toEqual(expected)
  })

  test('meters without a reading in the last hour', () => {
    const minute = dashboard.store.get(clock, 'minute')!.value
    const expected = sql
      .prepare(
        `SELECT m.id, m.region, m.tariff, MAX(r.ts) / ${MINUTE_MS} AS lastMinute FROM meters m LEFT JOIN readings r ON r.meter = m.id
         WHERE m.id NOT IN (SELECT meter FROM readings WHERE ts / ${MINUTE_MS} BETWEEN ? AND ?) GROUP BY m.id ORDER BY m.id`,
      )
      .all(minute - 59, minute)
    expect(expected.length).toBeGreaterThan(0)
    expect(sortBy(dashboard.store.read(silentMeters), (m) => [m.id])).toEqual(expected)
  })

  test('cost per tariff per day and per tariff, at the edited prices', () => {
    const perDay = sql
      .prepare(`SELECT r.tariff, r.ts / ${DAY_MS} AS day, SUM(r.wh) AS wh, t.cents FROM readings r JOIN tariffs t ON t.id = r.tariff GROUP BY r.tariff, day ORDER BY r.tariff, day`)
      .all() as { tariff: string; day: number; wh: number; cents: number }[]
    expect(sortBy(dashboard.store.read(tariffCost), (c) => [c.tariff, c.day])).toEqual(
      perDay.map(({ tariff, day, wh, cents }) => ({ tariff, day, wh, cost: costOf(wh, cents) })),
    )
    const perTariff = sql
      .prepare('SELECT r.tariff, SUM(r.wh) AS wh, t.cents FROM readings r JOIN tariffs t ON t.id = r.tariff GROUP BY r.tariff ORDER BY r.tariff')
      .all() as { tariff: string; wh: number; cents: number }[]
    expect(sortBy(dashboard.store.read(tariffTotals), (t) => [t.tariff])).toEqual(perTariff.map(({ tariff, wh, cents }) => ({ tariff, wh, cost: costOf(wh, cents) })))
    const all = sql.prepare('SELECT COUNT(*) AS n, SUM(wh) AS wh FROM readings').get()
    expect(dashboard.store.read(totals)).toEqual([{ key: 'all', ...(all as object) }])
  })

  test('a sync client holds the same rows as the server views', () => {
    expect(asJson(clientRows.daily)).toEqual(asJson(dashboard.store.read(daily)))
    expect(asJson(clientRows.tariffCost)).toEqual(asJson(dashboard.store.read(tariffCost)))
    expect(asJson(clientRows.topMeters)).toEqual(asJson(dashboard.store.read(topMeters)))
    expect(asJson(clientRows.silentMeters)).toEqual(asJson(dashboard.store.read(silentMeters)))
  })
})

/** Rows sorted by `key` (compared as JSON), for comparing with SQL's ORDER BY of the same columns. */
function sortBy<T>(rows: readonly T[], key: (row: T) => readonly (string | number)[]): T[] {
  return [...rows].sort((a, b) => compareTuples(key(a), key(b)))
}

function compareTuples(a: readonly (string | number)[], b: readonly (string | number)[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1
  return 0
}

/** Rows as sorted JSON strings: equal sets of rows give equal arrays. */
const asJson = (rows: readonly unknown[]): string[] => rows.map((r) => JSON.stringify(r)).sort()
