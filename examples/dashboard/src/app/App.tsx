import { useMutation, useQuery, useRow, useSyncStatus, useView } from '@stepping/react'
import { memo, useEffect, useRef, useState, type FormEvent } from 'react'
import { dayLabel, DAY_MS, MINUTE_MS, REGIONS, TARIFFS, type DailyRow, type MeterWeek, type SilentMeter, type Tariff } from '../model'
import { clientMutators, clock, daily, rolling, status, tariffCost, tariffs, tariffTotals, totals } from '../synced'
import { Chart, type Series } from './Chart'
import { countRender } from './renders'
import { silentSorted, topSorted } from './views'

const REGION_COLORS: Readonly<Record<string, string>> = { north: '#5b8def', south: '#f2994a', east: '#27ae60', west: '#eb5757', central: '#bb6bd9' }
const TARIFF_COLORS: Readonly<Record<string, string>> = { standard: '#5b8def', economy: '#27ae60', green: '#56ccf2', business: '#f2c94c' }
const kwh = (wh: number): string => `${(wh / 1000).toLocaleString('en', { maximumFractionDigits: 1 })} kWh`
const kwhWhole = (wh: number): string => `${Math.round(wh / 1000).toLocaleString('en')} kWh`
const mwh = (wh: number): string => `${(wh / 1_000_000).toLocaleString('en', { maximumFractionDigits: 2 })} MWh`
const euros = (value: number): string => `€${value.toLocaleString('en', { maximumFractionDigits: 0 })}`
const dayOfInput = (value: string): number | undefined => (value === '' ? undefined : Math.floor(Date.parse(value) / DAY_MS))

export function App() {
  const today = useRow(clock, 'day')?.value
  const [region, setRegion] = useState('all')
  const [picked, setPicked] = useState<{ readonly from: number | undefined; readonly to: number | undefined }>({ from: undefined, to: undefined })
  if (today === undefined) return <p className="waiting">connecting…</p>
  const to = picked.to ?? today
  const from = picked.from ?? to - 29
  return (
    <main>
      <header>
        <h1>Energy meters, live</h1>
        <Counter />
      </header>
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          region
          <select id="region" value={region} onChange={(e) => setRegion(e.target.value)}>
            <option value="all">all regions</option>
            {REGIONS.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <label>
          from
          <input id="from" type="date" value={dayLabel(from)} onChange={(e) => setPicked({ ...picked, from: dayOfInput(e.target.value) })} />
        </label>
        <label>
          to
          <input id="to" type="date" value={dayLabel(to)} onChange={(e) => setPicked({ ...picked, to: dayOfInput(e.target.value) })} />
        </label>
      </form>
      <div className="grid">
        <DailyChart region={region} from={from} to={to} />
        <RollingChart region={region} from={from} to={Math.min(to, today)} />
        <CostChart from={from} to={to} />
        <DailyTable region={region} from={from} to={to} />
        <TopMeters />
        <SilentMeters />
        <Tariffs />
      </div>
    </main>
  )
}

/** Readings ingested, readings held, the server's version and ingest-to-paint latency. */
function Counter() {
  const s = useRow(status, 'ingest')
  const held = useRow(totals, 'all')
  const sync = useSyncStatus()
  const [latency, setLatency] = useState<{ last: number; median: number } | null>(null)
  const first = useRef(true)
  useEffect(() => {
    if (s === undefined) return undefined
    // The first row is the one the page found: its age is not a latency.
    if (first.current) {
      first.current = false
      return undefined
    }
    const at = s.at
    let timer: ReturnType<typeof setTimeout> | undefined
    // A frame callback runs before the paint, a timeout queued from it right after.
    const frame = requestAnimationFrame(() => {
      timer = setTimeout(() => {
        const all = (window.dashboardLatencies ??= [])
        all.push(Date.now() - at)
        if (all.length > 500) all.splice(0, all.length - 500)
        const sorted = [...all].sort((a, b) => a - b)
        setLatency({ last: Date.now() - at, median: sorted[Math.floor(sorted.length / 2)]! })
      }, 0)
    })
    return () => {
      cancelAnimationFrame(frame)
      clearTimeout(timer)
    }
  }, [s])
  return (
    <dl className="counter">
      <dt>ingested</dt>
      <dd id="ingested">{s?.ingested.toLocaleString('en') ?? '–'}</dd>
      <dt>held</dt>
      <dd id="held">{held?.n.toLocaleString('en') ?? '–'}</dd>
      <dt>server version</dt>
      <dd id="version">{s?.version.toLocaleString('en') ?? '–'}</dd>
      <dt>ingest → paint</dt>
      <dd id="latency">{latency === null ? '–' : `${latency.last} ms (median ${latency.median} ms)`}</dd>
      <dt>sync</dt>
      <dd id="sync-status" className={sync}>
        {sync}
      </dd>
    </dl>
  )
}

interface Range {
  readonly region: string
  readonly from: number
  readonly to: number
}

/** One series per group, a value (or null) per day from `from` to `to`. */
function perDay<T extends { readonly day: number }>(
  rows: readonly T[],
  from: number,
  to: number,
  groups: readonly { readonly id: string; readonly color: string }[],
  groupOf: (row: T) => string,
  value: (row: T) => number,
): { days: number[]; series: Series[] } {
  const days = Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i)
  const series = groups.map((g) => ({ label: g.id, color: g.color, values: days.map((): number | null => null) }))
  const index = new Map(groups.map((g, i) => [g.id, i]))
  for (const row of rows) {
    const s = series[index.get(groupOf(row)) ?? -1]
    if (s !== undefined && row.day >= from && row.day <= to) s.values[row.day - from] = value(row)
  }
  return { days, series }
}

const regionsOf = (region: string) => (region === 'all' ? REGIONS : REGIONS.filter((r) => r === region)).map((id) => ({ id, color: REGION_COLORS[id]! }))

// The filters are parameters of client views: changing them builds a view over the synced rows in the
// browser, with no request to the server; while they stay, the view follows the stream incrementally.

function DailyChart({ region, from, to }: Range) {
  const rows = useQuery('dailyInRange', () => daily.filter((d) => d.day >= from && d.day <= to && (region === 'all' || d.region === region)), [region, from, to])
  const { days, series } = perDay(rows, from, to, regionsOf(region), (d) => d.region, (d) => d.wh)
  return <Chart id="daily-chart" title="Consumption per day (today: so far)" days={days} series={series} format={kwhWhole} />
}

function RollingChart({ region, from, to }: Range) {
  const rows = useQuery('rollingInRange', () => rolling.filter((d) => d.day >= from && d.day <= to && (region === 'all' || d.region === region)), [region, from, to])
  const { days, series } = perDay(rows, from, to, regionsOf(region), (d) => d.region, (d) => d.wh)
  return <Chart id="rolling-chart" title="30-day rolling total" days={days} series={series} format={mwh} />
}

function CostChart({ from, to }: { readonly from: number; readonly to: number }) {
  const rows = useQuery('costInRange', () => tariffCost.filter((c) => c.day >= from && c.day <= to), [from, to])
  const groups = TARIFFS.map((t) => ({ id: t.id, color: TARIFF_COLORS[t.id]! }))
  const { days, series } = perDay(rows, from, to, groups, (c) => c.tariff, (c) => c.cost)
  return <Chart id="cost-chart" title="Cost per tariff per day, at today's prices" days={days} series={series} format={euros} />
}

function DailyTable({ region, from, to }: Range) {
  const rows = useQuery(
    'dailyLatest',
    () =>
      daily
        .filter((d) => d.day >= from && d.day <= to && (region === 'all' || d.region === region))
        .orderBy((d) => [d.day, d.region], 'desc')
        .limit(10),
    [region, from, to],
  )
  return (
    <section className="panel wide">
      <h2>Latest days</h2>
      <table id="daily-table">
        <thead>
          <tr>
            <th>day</th>
            <th>region</th>
            <th>total</th>
            <th>avg</th>
            <th>min</th>
            <th>max</th>
            <th>readings</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((d) => (
            <DailyTr key={`${d.region}|${d.day}`} row={d} />
          ))}
        </tbody>
      </table>
    </section>
  )
}

const DailyTr = memo(function DailyTr({ row }: { readonly row: DailyRow }) {
  countRender('daily')
  return (
    <tr>
      <td>{dayLabel(row.day)}</td>
      <td>{row.region}</td>
      <td>{kwh(row.wh)}</td>
      <td>{row.avg === null ? '–' : `${row.avg.toFixed(0)} Wh`}</td>
      <td>{row.min ?? '–'} Wh</td>
      <td>{row.max ?? '–'} Wh</td>
      <td>{row.n.toLocaleString('en')}</td>
    </tr>
  )
})

function TopMeters() {
  const rows = useView(topSorted)
  return (
    <section className="panel">
      <h2>Top 10 meters this week</h2>
      <table id="top-table">
        <tbody>
          {rows.map((m, i) => (
            <TopTr key={m.meter} rank={i + 1} row={m} />
          ))}
        </tbody>
      </table>
    </section>
  )
}

const TopTr = memo(function TopTr({ rank, row }: { readonly rank: number; readonly row: MeterWeek }) {
  countRender('top')
  return (
    <tr>
      <td>{rank}</td>
      <td>{row.meter}</td>
      <td>{row.region}</td>
      <td>{kwh(row.wh)}</td>
    </tr>
  )
})

function SilentMeters() {
  const rows = useView(silentSorted)
  return (
    <section className="panel">
      <h2>No reading in the last hour ({rows.length})</h2>
      <table id="silent-table">
        <tbody>
          {rows.map((m) => (
            <SilentTr key={m.id} row={m} />
          ))}
        </tbody>
      </table>
    </section>
  )
}

const SilentTr = memo(function SilentTr({ row }: { readonly row: SilentMeter }) {
  countRender('silent')
  return (
    <tr>
      <td>{row.id}</td>
      <td>{row.region}</td>
      <td>{row.tariff}</td>
      <td>{row.lastMinute === null ? 'never read' : `last ${new Date(row.lastMinute * MINUTE_MS).toISOString().slice(0, 16).replace('T', ' ')} UTC`}</td>
    </tr>
  )
})

function Tariffs() {
  const rows = useView(tariffs)
  return (
    <section className="panel">
      <h2>Tariffs</h2>
      <table id="tariff-table">
        <thead>
          <tr>
            <th>tariff</th>
            <th>price</th>
            <th>consumed</th>
            <th>cost</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {rows.map((t) => (
            <TariffTr key={t.id} tariff={t} />
          ))}
        </tbody>
      </table>
    </section>
  )
}

const TariffTr = memo(function TariffTr({ tariff }: { readonly tariff: Tariff }) {
  countRender('tariff')
  const total = useRow(tariffTotals, tariff.id)
  const setPrice = useMutation<typeof clientMutators, 'setPrice'>('setPrice')
  const [price, setPriceText] = useState(String(tariff.centsPerKwh))
  const [error, setError] = useState<string | null>(null)
  const submit = (e: FormEvent) => {
    e.preventDefault()
    setError(null)
    setPrice({ tariff: tariff.id, centsPerKwh: Number(price) }).catch((thrown: unknown) => setError(thrown instanceof Error ? thrown.message : String(thrown)))
  }
  return (
    <tr>
      <td>{tariff.name}</td>
      <td id={`price-${tariff.id}`}>{tariff.centsPerKwh} ¢/kWh</td>
      <td>{total === undefined ? '–' : mwh(total.wh)}</td>
      <td>{total === undefined ? '–' : euros(total.cost)}</td>
      <td>
        <form onSubmit={submit}>
          <input id={`edit-${tariff.id}`} type="number" min="0" max="1000" step="0.1" value={price} onChange={(e) => setPriceText(e.target.value)} />
          <button id={`set-${tariff.id}`} type="submit">
            set
          </button>
          {error === null ? null : <span className="error">{error}</span>}
        </form>
      </td>
    </tr>
  )
})
