import { rmSync, mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import { startDashboard } from './app'

// `npm run dashboard -- [--rate 1000] [--history 1000000] [--meters 1000] [--port 5180] [--db path] [--fresh]`

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '100' },
    history: { type: 'string', default: '350000' },
    meters: { type: 'string', default: '60' },
    port: { type: 'string', default: '5180' },
    host: { type: 'string', default: '127.0.0.1' },
    db: { type: 'string', default: join(import.meta.dirname, '..', 'data', 'dashboard.db') },
    fresh: { type: 'boolean', default: false },
  },
})

const rate = Number(values.rate)
if (!Number.isFinite(rate) || rate < 0 || rate > 100_000) throw new RangeError('--rate: readings per second, 0 to 100,000 (10 to 10,000 is the intended range)')
if (values.fresh) for (const suffix of ['', '-wal', '-shm']) rmSync(values.db + suffix, { force: true })
mkdirSync(dirname(values.db), { recursive: true })

const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MB`
const started = Date.now()
const dashboard = await startDashboard({
  dbPath: values.db,
  port: Number(values.port),
  host: values.host,
  staticDir: join(import.meta.dirname, '..', 'dist'),
  rate,
  history: Number(values.history),
  simulator: { meters: Number(values.meters) },
  log: (line) => console.log(line),
})
const memory = process.memoryUsage()
console.log(
  `store open in ${((Date.now() - started) / 1000).toFixed(1)} s: ${dashboard.simulator.ingested.toLocaleString('en')} readings ingested so far, ` +
    `version ${dashboard.store.version}, memory ${mb(memory.rss)} resident (${mb(memory.heapUsed)} heap)`,
)
console.log(`dashboard at ${dashboard.url} — streaming ${rate} readings/s; Ctrl-C stops`)

const stop = (): void => {
  void dashboard.stop().then(() => process.exit(0))
}
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
