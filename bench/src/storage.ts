// `npm run bench:storage`: durable commits per second on @stepping/sync-server's SQLite storage (single-row
// transactions and 1,000-row batches), and the time to reopen a store at 100k and 1M input rows, restoring
// the views from the checkpoint `close` saved, and rebuilding them from the inputs without it. Prints the
// results and rewrites the storage section of bench/RESULTS.md; `--quick` runs smaller sizes and only prints.
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { createStore, type Storage, type Store } from '@stepping/core'
import { sqliteStorage } from '@stepping/sync-server'
import { describeMachine, writeSection } from './report'
import { collectGarbage, median, now, percentile } from './measure'
import { USERS, issue, issues, latest, users, views, withOwner } from './storage-schema'

const quick = process.argv.includes('--quick')
const dir = mkdtempSync(join(os.tmpdir(), 'stepping-bench-storage-'))
const grouped = (x: number): string => Math.round(x).toLocaleString('en-US')

/** A store on a new SQLite file, with the users and `n` issues committed in 10k-row transactions. */
function build(path: string, n: number): { store: Store; ms: number } {
  const t0 = now()
  const store = createStore({ views, storage: sqliteStorage(path) })
  store.transact((tx) => tx.insert(users, Array.from({ length: USERS }, (_, id) => ({ id, name: `user ${id}` }))))
  for (let from = 0; from < n; from += 10_000)
    store.transact((tx) => tx.insert(issues, Array.from({ length: Math.min(10_000, n - from) }, (_, i) => issue(from + i))))
  return { store, ms: now() - t0 }
}

interface CommitResult {
  readonly rowsPerCommit: number
  readonly commits: number
  readonly perSecond: number
  readonly medianMs: number
  readonly p99Ms: number
}

/** Times `commits` transactions of `rowsPerCommit` issue updates each on a 10k-issue store. */
function commits(rowsPerCommit: number, count: number): CommitResult {
  const path = join(dir, `commits-${rowsPerCommit}.db`)
  const { store } = build(path, 10_000)
  const samples: number[] = []
  const t0 = now()
  for (let c = 0; c < count; c++) {
    const start = now()
    store.transact((tx) => {
      for (let r = 0; r < rowsPerCommit; r++)
        tx.update(issues, (c * rowsPerCommit + r) % 10_000, (i) => ({ ...i, priority: (i.priority + 1) % 5 }))
    })
    samples.push(now() - start)
  }
  const seconds = (now() - t0) / 1000
  store.close()
  return { rowsPerCommit, commits: count, perSecond: count / seconds, medianMs: median(samples), p99Ms: percentile(samples, 0.99) }
}

interface ReopenResult {
  readonly n: number
  readonly runs: number
  readonly buildMs: number
  readonly closeMs: number
  readonly fileMB: number
  readonly loadMs: number
  readonly restoreMs: number
  readonly rebuildMs: number
}

/** The same file without its checkpoint, as a store that never saved one would see it. */
function withoutCheckpoint(storage: Storage): Storage {
  return {
    load() {
      const loaded = storage.load()
      if (loaded === undefined || loaded instanceof Promise) throw new Error('expected a synchronous, non-empty load')
      return { version: loaded.version, collections: loaded.collections, ...(loaded.schemas && { schemas: loaded.schemas }) }
    },
    append: (commit) => storage.append(commit),
    close: () => storage.close?.(),
  }
}

/** Times `open` (median of `runs`), checking the reopened join has every row. */
function timeOpen(n: number, runs: number, open: () => Store): number {
  const samples: number[] = []
  for (let r = 0; r < runs; r++) {
    collectGarbage()
    const t0 = now()
    const store = open()
    samples.push(now() - t0)
    if (store.read(withOwner).length !== n) throw new Error(`the reopened join has the wrong number of rows at n = ${n}`)
    store.close()
  }
  return median(samples)
}

/**
 * Builds a store of `n` issues and closes it (which saves a checkpoint), then times a bare `load`, a
 * reopen that restores the views from the checkpoint, and one that rebuilds them from the inputs.
 */
function reopen(n: number): ReopenResult {
  const path = join(dir, `reopen-${n}.db`)
  const built = build(path, n)
  let t0 = now()
  built.store.close()
  const closeMs = now() - t0
  const runs = n > 100_000 ? 1 : 3
  const loads: number[] = []
  for (let r = 0; r < runs; r++) {
    collectGarbage()
    const storage = sqliteStorage(path)
    t0 = now()
    const loaded = storage.load()
    loads.push(now() - t0)
    if (loaded?.collections.get('issues')?.length !== n) throw new Error(`loaded the wrong number of issues at n = ${n}`)
    // Every view but `latest`: a top-K straight over a collection has no state of its own to save (docs/storage.md).
    const saved = views.filter((v) => v !== latest)
    if (!saved.every((v) => loaded.checkpoint?.views.has(v.name))) throw new Error(`the checkpoint lacks views at n = ${n}`)
    storage.close()
  }
  const restoreMs = timeOpen(n, runs, () => createStore({ views, storage: sqliteStorage(path), checkpointEvery: 0 }))
  const rebuildMs = timeOpen(n, runs, () => createStore({ views, storage: withoutCheckpoint(sqliteStorage(path)), checkpointEvery: 0 }))
  const fileMB = statSync(path).size / 2 ** 20
  rmSync(path, { force: true })
  return { n, runs, buildMs: built.ms, closeMs, fileMB, loadMs: median(loads), restoreMs, rebuildMs }
}

function main(): void {
  const machine = describeMachine()
  const started = now()
  const single = commits(1, quick ? 200 : 2000)
  console.log(`single-row commits: ${grouped(single.perSecond)}/s`)
  const batch = commits(1000, quick ? 20 : 100)
  console.log(`1,000-row commits: ${grouped(batch.perSecond)}/s`)
  const sizes = quick ? [10_000, 100_000] : [100_000, 1_000_000]
  const reopens = sizes.map((n) => {
    const r = reopen(n)
    console.log(
      `n = ${grouped(n)}: reopen from checkpoint ${grouped(r.restoreMs)} ms, rebuilding ${grouped(r.rebuildMs)} ms ` +
        `(load ${grouped(r.loadMs)} ms), build ${grouped(r.buildMs)} ms, close + checkpoint ${grouped(r.closeMs)} ms`,
    )
    return r
  })
  rmSync(dir, { recursive: true, force: true })

  const f = (ms: number) => ms.toFixed(2)
  const section = [
    '## Storage: SQLite (`@stepping/sync-server`)',
    '',
    `Generated by \`npm run bench:storage\` (bench/src/storage.ts) on ${machine.date}; ${machine.cpu}, ${machine.cores} cores, ` +
      `Node ${machine.node}, a file in ${os.tmpdir()} (WAL, \`synchronous = FULL\`: every commit is fsynced before \`transact\` returns).`,
    `Views: a filter, a join with users, a groupBy (count/sum/max), an orderBy + limit 50, and a groupBy over the join, over issues and ${grouped(USERS)} users. ` +
      'A checkpoint saves the join’s rows and the groupBy over it; the other views’ state is a function of the collections and is rebuilt, and the top-K, straight over the issues, keeps only its head and is rebuilt from a pass over them (docs/storage.md).',
    '',
    'Durable commits, each updating issues of a 10,000-issue store (the time includes the views’ incremental update):',
    '',
    '| rows per commit | commits | commits/s | rows/s | median ms | p99 ms |',
    '| ---: | ---: | ---: | ---: | ---: | ---: |',
    ...[single, batch].map(
      (r) => `| ${grouped(r.rowsPerCommit)} | ${grouped(r.commits)} | ${grouped(r.perSecond)} | ${grouped(r.perSecond * r.rowsPerCommit)} | ${f(r.medianMs)} | ${f(r.p99Ms)} |`,
    ),
    '',
    'Reopening a closed store (medians of the runs): **load** reads every row and the checkpoint back from',
    'SQLite (`storage.load()`); **restore** is `createStore` on the file: load, then every view restored from',
    'the checkpoint `close` saved; **rebuild** is the same file with the checkpoint hidden: load, then every',
    'view recomputed from the inputs. **build** is the original run (the store created empty, the rows',
    'committed in 10,000-row transactions); **close** is `store.close()`, which saves the checkpoint.',
    '',
    '| input rows | runs | file MB | load ms | restore ms | rebuild ms | rebuild / restore | build ms | close ms |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...reopens.map(
      (r) =>
        `| ${grouped(r.n + USERS)} | ${r.runs} | ${r.fileMB.toFixed(0)} | ${grouped(r.loadMs)} | ${grouped(r.restoreMs)} | ${grouped(r.rebuildMs)} | ` +
        `${(r.rebuildMs / r.restoreMs).toFixed(1)}× | ${grouped(r.buildMs)} | ${grouped(r.closeMs)} |`,
    ),
    '',
    `Ran in ${((now() - started) / 1000).toFixed(0)} s.`,
  ].join('\n')
  console.log(`\n${section}`)
  if (quick) return
  writeSection('storage', section)
  console.log('\nwrote the storage section of bench/RESULTS.md')
}

main()
