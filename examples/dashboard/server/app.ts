import { readFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, normalize } from 'node:path'
import { createStore, type Store, type Transaction } from '@stepping/core'
import { createSyncServer, sqliteStorage, type SyncServer } from '@stepping/sync-server'
import type { SetPriceArgs } from '../src/model'
import { Simulator, type BatchResult, type SimulatorOptions } from './simulator'
import { publications, serverViews, tariffs, type Viewer } from './views'

/** Options of `startDashboard`. */
export interface DashboardOptions {
  /** The SQLite file the store lives in (created when missing). */
  readonly dbPath: string
  /** Port at `host` (default 0: any free one; host default 127.0.0.1). */
  readonly port?: number
  readonly host?: string
  /** The built client (`vite build`'s dist/) to serve at `/`; without it only the WebSocket is served. */
  readonly staticDir?: string
  /** Live readings per second (default 0: the stream starts paused). */
  readonly rate?: number
  /** Historical readings to load when the store holds none (default 0). */
  readonly history?: number
  /** The simulated fleet: meters, seed, shares of late, corrected and retracted readings. */
  readonly simulator?: SimulatorOptions
  /** The time the stream stamps readings with and the clock follows (default `Date.now`). */
  readonly now?: () => number
  /** Progress lines (history loading); default silent. */
  readonly log?: (line: string) => void
}

/** A running dashboard server. */
export interface Dashboard {
  /** `http://host:port/`; the sync WebSocket is the same address with `ws:`. */
  readonly url: string
  readonly wsUrl: string
  readonly store: Store
  readonly simulator: Simulator
  readonly sync: SyncServer
  /** Live readings per second; 0 pauses the stream. */
  rate: number
  /** Called after every live batch (the benchmark and tests watch it). */
  onBatch: ((result: BatchResult) => void) | undefined
  /** Stops the stream, closes every connection, saves a checkpoint of the views and closes the store. */
  stop(): Promise<void>
}

const TICK_MS = 100

/** The server mutators: a price edit, checked here since the client's word is not enough. */
export const serverMutators = {
  setPrice(tx: Transaction, args: unknown) {
    const { tariff, centsPerKwh } = args as SetPriceArgs
    if (typeof centsPerKwh !== 'number' || !Number.isFinite(centsPerKwh) || centsPerKwh < 0 || centsPerKwh > 1000)
      throw new RangeError('a price is a number of cents per kWh from 0 to 1000')
    if (tx.get(tariffs, tariff) === undefined) throw new Error(`no tariff '${String(tariff)}'`)
    tx.update(tariffs, tariff, { centsPerKwh })
  },
}

/**
 * Opens the store on SQLite, loads history if asked, and serves the built client and the sync WebSocket
 * on one port while the simulated stream ingests `rate` readings per second in batches every 100 ms.
 */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const store = createStore({ views: serverViews, storage: sqliteStorage(options.dbPath), checkpointEvery: 0 })
  const now = options.now ?? Date.now
  const simulator = new Simulator(store, options.simulator)
  simulator.setUp(now())
  const history = options.history ?? 0
  if (history > 0 && simulator.ingested === 0) {
    const started = Date.now()
    simulator.loadHistory(history, now(), 50_000, (loaded) => {
      if (loaded % 500_000 < 50_000) options.log?.(`  ${loaded.toLocaleString('en')} readings loaded (${((Date.now() - started) / 1000).toFixed(0)} s)`)
    })
    options.log?.(`history: ${history.toLocaleString('en')} readings in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  }

  const http = createServer((request, response) => void serveStatic(options.staticDir, request, response))
  const sync = createSyncServer<Viewer>({
    store,
    publish: publications,
    mutators: serverMutators,
    authenticate: (token) => ({ id: token.length > 0 ? token.slice(0, 64) : 'viewer' }),
    server: http,
    // A browser connection must not be dropped for reading slowly while 10,000 readings a second stream in.
    limits: { maxHeldChanges: 1_000_000 },
  })
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject)
    http.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve())
  })
  const { address, port } = http.address() as AddressInfo
  const host = address.includes(':') ? `[${address}]` : address

  let due = 0
  const dashboard: Dashboard = {
    url: `http://${host}:${port}/`,
    wsUrl: `ws://${host}:${port}/sync`,
    store,
    simulator,
    sync,
    rate: options.rate ?? 0,
    onBatch: undefined,
    async stop() {
      clearInterval(timer)
      await sync.close()
      http.closeAllConnections()
      await new Promise<void>((resolve) => http.close(() => resolve()))
      // Saved explicitly: with checkpointEvery 0, close() does not save one (it counts commits only when
      // checkpointEvery > 0). The next start then restores the views instead of rebuilding them.
      await store.checkpoint()
      store.close()
    },
  }
  // Each tick commits the readings that arrived since the previous one, by the clock: when a commit takes
  // longer than a tick, the next batch is larger (and cheaper per reading), as a queue in front of a
  // database would make it. Falling behind shows as growing batches and latency, not as lost readings.
  let last = performance.now()
  const timer = setInterval(() => {
    const t = performance.now()
    due += (dashboard.rate * (t - last)) / 1000
    last = t
    const n = Math.floor(due)
    due -= n
    if (n === 0) return simulator.tick(now())
    const result = simulator.batch(n, now())
    dashboard.onBatch?.(result)
  }, TICK_MS)
  return dashboard
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
}

async function serveStatic(dir: string | undefined, request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (dir === undefined) return void response.writeHead(404).end()
  const path = new URL(request.url ?? '/', 'http://localhost').pathname
  const file = normalize(join(dir, path === '/' ? 'index.html' : path))
  if (!file.startsWith(normalize(dir))) return void response.writeHead(403).end()
  try {
    const body = await readFile(file)
    response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body)
  } catch {
    response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n')
  }
}
