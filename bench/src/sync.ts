// `npm run bench:sync [-- --clients 1000 --partitions 100 --seconds 5 --quick]`: the sync server under
// many WebSocket clients on loopback. The server runs in a child process (this file with `server`), on a
// SQLite file with durable commits; the clients (real `connect` clients, each with its own store) run
// here, each subscribed to one partition of one view. Measures the connect time, then
//   1. latency at a steady 200 mutations/s: the time from `mutate` on one client to the diff carrying the
//      row arriving at every other client subscribed to its partition (median, p99);
//   2. throughput: writers keep mutations in flight as fast as the server acknowledges them, for
//      `--seconds`; mutations/s acknowledged, and the same latency under that load.
// Rewrites the sync section of bench/RESULTS.md unless `--quick`.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { collection, connect, createStore, view, type Store, type SyncClient, type Transaction } from '@stepping/core'
import { createSyncServer, publish, sqliteStorage, type Identity } from '@stepping/sync-server'
import { WebSocket } from 'ws'
import { median, percentile } from './measure'
import { describeMachine, writeSection } from './report'

interface Stamp {
  readonly id: string
  readonly partition: number
  readonly writer: number
  readonly sentAt: number
}

const stamps = collection<Stamp>('stamps', { key: 'id' })
const byPartition = view('byPartition', stamps.partitionBy((s) => s.partition))
const stamp = (tx: Transaction, args: Stamp) => tx.upsert(stamps, args)

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`)
  const value = i >= 0 ? process.argv[i + 1] : process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1]
  const n = value === undefined ? fallback : Number(value)
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`)
  return n
}

async function runServer(dir: string): Promise<void> {
  const store = createStore({ views: [byPartition], storage: sqliteStorage(join(dir, 'sync-bench.db')) })
  const server = createSyncServer<Identity>({
    store,
    publish: { byPartition: publish(byPartition, { key: 'id' }) },
    mutators: { stamp: (tx, args) => stamp(tx, args as Stamp) },
    authenticate: (token) => ({ id: Number(token) }),
    port: 0,
    handleSigterm: true,
    limits: { mutationsPerSecond: 1_000_000, mutationBurst: 1_000_000 },
  })
  await server.ready
  console.log(`listening ${server.port}`)
}

function startServer(dir: string): Promise<{ port: number; stop(): Promise<void> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', import.meta.filename, 'server', dir], { stdio: ['ignore', 'pipe', 'inherit'] })
    child.on('error', reject)
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const match = /listening (\d+)/.exec(chunk)
      if (match)
        resolve({
          port: Number(match[1]),
          stop: () =>
            new Promise<void>((done) => {
              child.once('exit', () => done())
              child.kill('SIGTERM')
            }),
        })
    })
  })
}

interface BenchClient {
  readonly id: number
  readonly partition: number
  readonly store: Store
  readonly client: SyncClient<{ stamp: typeof stamp }>
}

async function main(): Promise<void> {
  const clients = option('clients', 1000)
  const partitions = option('partitions', 100)
  const seconds = option('seconds', 5)
  const dir = mkdtempSync(join(os.tmpdir(), 'stepping-sync-bench-'))
  const server = await startServer(dir)
  const url = `ws://127.0.0.1:${server.port}`
  let latencies: number[] = []
  const t0 = performance.now()
  const all: BenchClient[] = Array.from({ length: clients }, (_, id) => {
    const store = createStore({ collections: [stamps] })
    const partition = id % partitions
    const client = connect(store, url, {
      token: String(id),
      mutators: { stamp },
      WebSocket,
      subscriptions: [{ view: 'byPartition', partition, into: stamps }],
      onError: (e) => console.error(`client ${id}:`, e.message),
    })
    store.subscribe(stamps, (diff) => {
      const at = performance.now()
      for (const c of diff) if (c.weight > 0 && c.row.writer !== id) latencies.push(at - c.row.sentAt)
    })
    return { id, partition, store, client }
  })
  await until(() => all.every((c) => c.client.status === 'online' && c.client.version('byPartition', c.partition) !== undefined))
  const connectMs = performance.now() - t0
  const lines: string[] = []
  const say = (line: string): void => {
    console.log(line)
    lines.push(`- ${line}`)
  }
  say(`${clients} clients on ${partitions} partitions (${clients / partitions} per partition) online and subscribed in ${(connectMs / 1000).toFixed(2)} s`)

  let seq = 0
  const send = (c: BenchClient) => c.client.mutate('stamp', { id: `w${c.id}-${seq++ % 50}`, partition: c.partition, writer: c.id, sentAt: performance.now() })

  // 1. Latency at a steady rate: 20 writers, one mutation each every 100 ms.
  const steady = all.slice(0, 20)
  const steadyEnd = performance.now() + seconds * 1000
  let steadyAcked = 0
  await Promise.all(
    steady.map(async (c) => {
      while (performance.now() < steadyEnd) {
        void send(c).then(() => void steadyAcked++)
        await new Promise((r) => setTimeout(r, 100))
      }
    }),
  )
  await until(() => steady.every((c) => c.client.pendingCount === 0))
  await new Promise((r) => setTimeout(r, 200))
  const steadyLatency = latencies
  latencies = []
  say(
    `steady ${(steadyAcked / seconds).toFixed(0)} mutations/s: mutation → other client latency median ${median(steadyLatency).toFixed(2)} ms, ` +
      `p99 ${percentile(steadyLatency, 0.99).toFixed(2)} ms over ${steadyLatency.length} deliveries`,
  )

  // 2. Throughput: 100 writers (one per partition), each keeping 4 mutations in flight.
  const writers = all.filter((c) => c.id < partitions)
  const end = performance.now() + seconds * 1000
  let acked = 0
  const start = performance.now()
  await Promise.all(
    writers.map(async (c) => {
      const flying = new Set<Promise<void>>()
      while (performance.now() < end) {
        const p: Promise<void> = send(c).then(() => {
          acked++
          flying.delete(p)
        })
        flying.add(p)
        if (flying.size >= 4) await Promise.race(flying)
      }
      await Promise.all(flying)
    }),
  )
  const elapsed = (performance.now() - start) / 1000
  await new Promise((r) => setTimeout(r, 200))
  say(
    `saturated: ${(acked / elapsed).toFixed(0)} mutations/s acknowledged (${acked} in ${elapsed.toFixed(1)} s, ${writers.length} writers × 4 in flight); ` +
      `latency median ${median(latencies).toFixed(1)} ms, p99 ${percentile(latencies, 0.99).toFixed(1)} ms over ${latencies.length} deliveries`,
  )
  for (const c of all) c.client.close()
  await server.stop()
  rmSync(dir, { recursive: true, force: true })
  if (process.argv.includes('--quick')) return
  const machine = describeMachine()
  writeSection(
    'sync',
    [
      '## Sync: 1,000 WebSocket clients (`@stepping/sync-server`)',
      '',
      `Generated by \`npm run bench:sync\` (bench/src/sync.ts) on ${machine.date}; ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}. ` +
        'The server runs in its own process on a SQLite file (durable commits); the clients are real `connect` clients with a store each, ' +
        'all in the measuring process, on loopback. Latency is from `mutate` on one client to the row arriving at every other client of its partition.',
      '',
      ...lines,
    ].join('\n'),
  )
}

async function until(condition: () => boolean, timeoutMs = 120_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > end) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 20))
  }
}

if (process.argv[2] === 'server') await runServer(process.argv[3]!)
else await main()
