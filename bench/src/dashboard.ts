// `npm run bench:dashboard [-- --history 100000 --rates 1000,2000,5000,10000,20000 --seconds 6 --meters 1000 --quick]`
//
// The dashboard example's server (examples/dashboard) on a SQLite file, every view attached, with one sync
// client connected in a separate Node process subscribed to every published view (as the browser is). For
// each target ingest rate it streams readings for a while and reports the rate it kept, the time of each
// batch's transaction, and ingest-to-client latency: from the moment a batch is handed to the store to the
// moment the client has applied the diff that holds it (its `status` row), on one machine's clock. A rate
// is sustained when everything due was committed and the p99 latency stayed under a second. Rewrites the
// dashboard section of bench/RESULTS.md unless `--quick`.
import { fork } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { connect, createStore } from '@stepping/core'
import { WebSocket } from 'ws'
import { startDashboard } from '../../examples/dashboard/server/app'
import { status, subscriptions, syncedCollections } from '../../examples/dashboard/src/synced'
import { median, percentile } from './measure'
import { describeMachine, writeSection } from './report'

const { values } = parseArgs({
  options: {
    history: { type: 'string', default: '100000' },
    rates: { type: 'string', default: '1000,2000,5000,10000,20000' },
    seconds: { type: 'string', default: '6' },
    meters: { type: 'string', default: '1000' },
    client: { type: 'string' },
    quick: { type: 'boolean', default: false },
  },
})

if (values.client !== undefined) runClient(values.client)
else await runServer()

/** The client process: reports the latency of every status row it applies to its parent. */
function runClient(url: string): void {
  const store = createStore({ collections: syncedCollections })
  // The server's shutdown at the end is expected: nothing to report.
  const client = connect(store, url, { token: 'bench', WebSocket, subscriptions, onError: () => undefined })
  store.subscribe(status, (diff) => {
    for (const c of diff) if (c.weight > 0) process.send!({ at: c.row.at, latency: Date.now() - c.row.at })
  })
  process.on('disconnect', () => {
    client.close()
    process.exit(0)
  })
}

async function runServer(): Promise<void> {
  const dir = mkdtempSync(join(os.tmpdir(), 'stepping-bench-dashboard-'))
  const history = Number(values.history)
  const started = performance.now()
  const dashboard = await startDashboard({ dbPath: join(dir, 'dashboard.db'), history, simulator: { meters: Number(values.meters) } })
  console.log(`dashboard bench — ${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), load ${os.loadavg()[0]?.toFixed(1)}, Node ${process.version}`)
  console.log(`history: ${history.toLocaleString('en')} readings loaded in ${((performance.now() - started) / 1000).toFixed(1)} s; views: ${dashboard.store.describe().views.length}`)

  const latencies: number[] = []
  const child = fork(import.meta.filename, ['--client', dashboard.wsUrl], { execArgv: ['--import', 'tsx'] })
  child.on('message', (m) => latencies.push((m as { latency: number }).latency))
  const caughtUp = (): Promise<void> =>
    new Promise((resolve) => {
      const wait = (): void => void (latencies.length > 0 ? resolve() : setTimeout(wait, 20))
      dashboard.rate = 10
      wait()
    })
  await caughtUp()

  const seconds = Number(values.seconds)
  const table = ['| target readings/s | kept readings/s | batch transaction ms (median / p99) | ingest → client ms (median / p99) |', '| ---: | ---: | ---: | ---: |']
  console.log(`\n${table.join('\n')}`)
  for (const rate of values.rates.split(',').map(Number)) {
    dashboard.rate = rate
    await sleep(1000) // warm-up: the first second's figures are not counted
    latencies.length = 0
    const batches: number[] = []
    let inserted = 0
    dashboard.onBatch = (b) => {
      inserted += b.inserted
      batches.push(b.ms)
    }
    const t0 = performance.now()
    await sleep(seconds * 1000)
    const elapsed = (performance.now() - t0) / 1000
    dashboard.onBatch = undefined
    dashboard.rate = 0
    await sleep(500) // the last diffs reach the client
    const kept = inserted / elapsed
    const p99 = latencies.length === 0 ? Number.POSITIVE_INFINITY : percentile(latencies, 0.99)
    // Sustained: everything due was committed and the latency stayed bounded (no backlog building up).
    const sustained = kept >= rate * 0.95 && p99 < 1000
    const lat = latencies.length === 0 ? 'none' : `${median(latencies).toFixed(0)} / ${p99.toFixed(0)}`
    const row = `| ${rate.toLocaleString('en')} | ${Math.round(kept).toLocaleString('en')}${sustained ? '' : ' (not sustained)'} | ${median(batches).toFixed(1)} / ${percentile(batches, 0.99).toFixed(1)} | ${lat} |`
    console.log(row)
    table.push(row)
  }
  const memory = process.memoryUsage()
  const end = `Server at the end: ${dashboard.simulator.ingested.toLocaleString('en')} readings ingested, ${(memory.rss / 2 ** 20).toFixed(0)} MB resident.`
  console.log(`\n${end}`)
  if (!values.quick) {
    const machine = describeMachine()
    writeSection(
      'dashboard',
      [
        '## Dashboard: ingest with every view attached (`examples/dashboard`)',
        '',
        `Generated by \`npm run bench:dashboard\` (bench/src/dashboard.ts) on ${machine.date}; ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}. ` +
          `${history.toLocaleString('en')} historical readings loaded first; one sync client (a Node process, subscribed to every published view, as the page is) ` +
          'measures ingest → client latency. A rate is sustained when everything due was committed and the p99 latency stayed under a second.',
        '',
        ...table,
        '',
        end,
      ].join('\n'),
    )
  }
  child.disconnect()
  await dashboard.stop()
  rmSync(dir, { recursive: true, force: true })
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
