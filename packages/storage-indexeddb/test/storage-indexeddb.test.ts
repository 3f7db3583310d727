import 'fake-indexeddb/auto'
import { collection, CommitConflictError, createStore, SteppingError, sum, view, type CommitRecord } from '@stepping/core'
import { openDB } from 'idb'
import { describe, expect, test, vi } from 'vitest'
import { storageContract } from '../../core/test/storage-contract'
import {
  ConflictError,
  ForeignDatabaseError,
  indexedDbStorage,
  LogGapError,
  MissingStoreError,
  NewerFormatError,
  StorageClosedError,
  StorageFullError,
  STORAGE_FORMAT,
  type IndexedDbStorage,
} from '../src/index'
import { mapError } from '../src/storage-indexeddb'
import { indexedDbFixture } from './fixture'

// fake-indexeddb implements IndexedDB in memory for Node; every test uses databases of its own.
let databases = 0
const fresh = (): string => `stepping-test-${process.pid}-${++databases}`

storageContract('indexedDbStorage (fake-indexeddb)', () => indexedDbFixture(fresh()))

interface Line {
  readonly id: number
  readonly order: string
  readonly amount: number
}
const lines = collection<Line>('lines', { key: 'id' })
const totals = view('totals', lines.groupBy((l) => l.order, { total: sum((l) => l.amount) }))

const line = (id: number, amount = 1, order = 'a'): Line => ({ id, order, amount })
const commit = (version: number, ...rows: Line[]): CommitRecord => ({
  version,
  changes: new Map([['lines', rows.map((row) => ({ key: row.id, row, weight: 1 }))]]),
})

/** Resolves once `condition` holds, polling every few milliseconds. */
async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5000
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/** Two storages on one database, as two tabs of one origin have. */
async function tabs(name = fresh()): Promise<[IndexedDbStorage, IndexedDbStorage]> {
  const a = indexedDbStorage(name)
  const b = indexedDbStorage(name)
  await a.load()
  await b.load()
  return [a, b]
}

const rejection = async (promise: Promise<unknown>): Promise<unknown> => {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection')
}

describe('indexedDbStorage: group commit', () => {
  test('appends made while a transaction is in flight are written together by the next one, and settle in order', async () => {
    const storage = indexedDbStorage(fresh())
    await storage.load()
    const transactions = vi.spyOn(IDBDatabase.prototype, 'transaction')
    const settled: number[] = []
    const appends = [1, 2, 3, 4, 5].map((v) => storage.append(commit(v, line(v))).then(() => settled.push(v)))
    await Promise.all(appends)
    const readwrite = transactions.mock.calls.filter((call) => call[1] === 'readwrite').length
    transactions.mockRestore()
    expect(settled).toEqual([1, 2, 3, 4, 5])
    // The first append starts a transaction at once; the four queued behind it share the next one.
    expect(readwrite).toBe(2)
    expect((await storage.load())?.collections.get('lines')).toHaveLength(5)
    storage.close()
  })

  test('a failed append rejects every append queued behind it, writes nothing, and later appends start afresh', async () => {
    const name = fresh()
    const storage = indexedDbStorage(name)
    await storage.load()
    await storage.append(commit(1, line(1)))
    // A function cannot be structured-cloned: IndexedDB refuses the row and the transaction aborts.
    const unstorable = { id: 2, order: 'a', amount: 1, format: () => 'x' }
    const failed = storage.append({ version: 2, changes: new Map([['lines', [{ key: 2, row: unstorable, weight: 1 }]]]) })
    const queued = [storage.append(commit(3, line(3))), storage.append(commit(4, line(4)))]
    const errors = await Promise.all([failed, ...queued].map(rejection))
    expect((errors[0] as Error).name).toBe('DataCloneError')
    expect(errors[1]).toBe(errors[0])
    expect(errors[2]).toBe(errors[0])
    const reopened = indexedDbStorage(name)
    expect(await reopened.load()).toEqual({ version: 1, collections: new Map([['lines', [line(1)]]]) })
    await storage.append(commit(2, line(2)))
    expect((await reopened.load())?.version).toBe(2)
    storage.close()
    reopened.close()
  })

  test('close lets pending appends finish; appends after it are refused', async () => {
    const name = fresh()
    const storage = indexedDbStorage(name)
    await storage.load()
    const pending = [storage.append(commit(1, line(1))), storage.append(commit(2, line(2)))]
    storage.close()
    await Promise.all(pending)
    await expect(storage.append(commit(3, line(3)))).rejects.toBeInstanceOf(StorageClosedError)
    const reopened = indexedDbStorage(name)
    expect((await reopened.load())?.version).toBe(2)
    reopened.close()
  })
})

describe('indexedDbStorage: two tabs on one database', () => {
  test('the tab that commits second gets ConflictError (and so do appends queued behind), and hears the first tab\'s commit', async () => {
    const [a, b] = await tabs()
    const heardByA: CommitRecord[] = []
    const heardByB: CommitRecord[] = []
    a.watch((c) => heardByA.push(c))
    b.watch((c) => heardByB.push(c))
    await a.append(commit(1, line(1, 10)))
    const stale = b.append(commit(1, line(1, 99)))
    const behind = b.append(commit(2, line(2, 99)))
    const error = await rejection(stale)
    expect(error).toBeInstanceOf(ConflictError)
    expect(error).toBeInstanceOf(CommitConflictError)
    expect(error).toBeInstanceOf(SteppingError)
    expect(error).toMatchObject({ version: 1, stored: 1 })
    expect(String(error)).toMatch(/ConflictError: IndexedDB '.*': version 1 conflicts: the database is at version 1/)
    expect(await rejection(behind)).toBe(error)
    await until(() => heardByB.length === 1, "b to hear a's commit")
    expect(heardByB[0]).toEqual(commit(1, line(1, 10)))

    await b.append(commit(2, line(2, 20)))
    await until(() => heardByA.length === 1, "a to hear b's commit")
    expect(heardByA.map((c) => c.version)).toEqual([2])
    expect(heardByB.map((c) => c.version)).toEqual([1])
    a.close()
    b.close()
  })

  test('a watcher hears every commit of the other tab once, in order, without gaps, and never its own', async () => {
    const [a, b] = await tabs()
    const heard: number[] = []
    b.watch((c) => heard.push(c.version))
    const own: number[] = []
    a.watch((c) => own.push(c.version))
    for (let v = 1; v <= 20; v++) void a.append(commit(v, line(v)))
    await a.append(commit(21, line(21)))
    await until(() => heard.length === 21, 'every commit')
    expect(heard).toEqual(Array.from({ length: 21 }, (_, i) => i + 1))
    expect(own).toEqual([])
    a.close()
    b.close()
  })

  test('two stores on one database: a commit in one reaches the other; the loser of a race is reverted and caught up', async () => {
    const name = fresh()
    const first = createStore({ views: [totals], storage: indexedDbStorage(name) })
    const second = createStore({ views: [totals], storage: indexedDbStorage(name) })
    await Promise.all([first.ready, second.ready])
    first.transact((tx) => tx.insert(lines, [line(1, 5), line(2, 7)]))
    await first.flush()
    await until(() => second.version === 1, 'the second store to hear of version 1')
    expect(second.read(totals)).toEqual([{ key: 'a', total: 12 }])

    // Both commit version 2 at once: the first to reach IndexedDB wins, the other is reverted.
    first.transact((tx) => tx.insert(lines, line(3, 100)))
    second.transact((tx) => tx.insert(lines, line(4, 1000)))
    const outcomes = await Promise.allSettled([first.flush(), second.flush()])
    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected'])
    const lost = outcomes.find((o) => o.status === 'rejected')
    expect(lost?.status === 'rejected' && lost.reason).toBeInstanceOf(ConflictError)
    await until(() => first.version === 2 && second.version === 2, 'both stores at version 2')
    expect(second.read(totals)).toEqual(first.read(totals))
    expect([[{ key: 'a', total: 112 }], [{ key: 'a', total: 1012 }]]).toContainEqual(first.read(totals))
    first.close()
    second.close()
  })

  test('three stores committing in random bursts converge on what the database holds', async () => {
    const name = fresh()
    const stores = [0, 1, 2].map(() => createStore({ views: [totals], storage: indexedDbStorage(name, { logRetention: 50 }) }))
    await Promise.all(stores.map((s) => s.ready))
    let seed = 7
    const random = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n)
    let conflicts = 0
    for (let round = 0; round < 40; round++) {
      const flushes: Promise<void>[] = []
      for (const store of stores) {
        const commits = random(3)
        for (let c = 0; c < commits; c++) {
          const id = random(30)
          store.transact((tx) => (store.get(lines, id) ? tx.update(lines, id, { amount: random(100) }) : tx.insert(lines, line(id, random(100), `o${id % 4}`))))
        }
        flushes.push(store.flush())
      }
      for (const outcome of await Promise.allSettled(flushes))
        if (outcome.status === 'rejected') {
          expect(outcome.reason).toBeInstanceOf(ConflictError)
          conflicts++
        }
      if (random(4) === 0) await stores[random(3)]!.checkpoint()
    }
    const reference = createStore({ views: [totals], storage: indexedDbStorage(name) })
    await reference.ready
    await until(() => stores.every((s) => s.version === reference.version), 'every store at the stored version')
    const sorted = <T>(rows: readonly T[]) => [...rows].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1))
    for (const store of stores) {
      expect(sorted(store.read(lines))).toEqual(sorted(reference.read(lines)))
      expect(sorted(store.read(totals))).toEqual(sorted(reference.read(totals)))
    }
    expect(conflicts).toBeGreaterThan(0)
    expect(reference.version).toBeGreaterThan(20)
    for (const store of [...stores, reference]) store.close()
  })

  test('a tab that missed more commits than the log keeps reports LogGapError', async () => {
    const name = fresh()
    const a = indexedDbStorage(name, { logRetention: 2 })
    await a.load()
    const errors: unknown[] = []
    const b = indexedDbStorage(name, { onError: (error) => errors.push(error) })
    await b.load()
    for (let v = 1; v <= 6; v++) await a.append(commit(v, line(v)))
    // b was not listening while a wrote; it learns of the newer version when its own append conflicts.
    const heard: number[] = []
    b.watch((c) => heard.push(c.version))
    await expect(b.append(commit(1, line(1)))).rejects.toBeInstanceOf(ConflictError)
    await until(() => errors.length === 1, 'the gap to be reported')
    expect(errors[0]).toBeInstanceOf(LogGapError)
    expect(errors[0]).toMatchObject({ seen: 0, oldest: 5 })
    expect(heard).toEqual([])
    a.close()
    b.close()
  })
})

describe('indexedDbStorage: checkpoints', () => {
  const views = (state: unknown) => new Map([['totals', { hash: 'h1', state }]])

  test('load returns the last checkpoint with every commit made after it; older log entries are trimmed', async () => {
    const name = fresh()
    const storage = indexedDbStorage(name, { logRetention: 1 })
    await storage.load()
    for (let v = 1; v <= 3; v++) await storage.append(commit(v, line(v)))
    await storage.checkpoint({ version: 3, views: views({ at: 3, when: new Date(3) }) })
    for (let v = 4; v <= 6; v++) await storage.append(commit(v, line(v)))
    storage.close()
    const reopened = indexedDbStorage(name, { logRetention: 1 })
    const loaded = await reopened.load()
    expect(loaded?.version).toBe(6)
    expect(loaded?.checkpoint?.version).toBe(3)
    expect(loaded?.checkpoint?.views).toEqual(views({ at: 3, when: new Date(3) }))
    expect(loaded?.checkpoint?.log.map((c) => c.version)).toEqual([4, 5, 6])
    expect(loaded?.checkpoint?.log[0]).toEqual(commit(4, line(4)))
    const db = await openDB(name)
    expect(await db.getAllKeys('log')).toEqual([4, 5, 6])
    db.close()

    // A newer checkpoint trims the log down to the retention.
    await reopened.checkpoint({ version: 6, views: views({ at: 6 }) })
    const after = await openDB(name)
    expect(await after.getAllKeys('log')).toEqual([6])
    after.close()
    expect((await reopened.load())?.checkpoint).toEqual({ version: 6, views: views({ at: 6 }), log: [] })
    reopened.close()
  })

  test('an older checkpoint does not replace a newer one; one of a version never stored is refused', async () => {
    const [a, b] = await tabs()
    for (let v = 1; v <= 2; v++) await a.append(commit(v, line(v)))
    await a.checkpoint({ version: 2, views: views('new') })
    await b.checkpoint({ version: 1, views: views('old') })
    expect((await b.load())?.checkpoint?.views).toEqual(views('new'))
    await expect(b.checkpoint({ version: 5, views: views('ahead') })).rejects.toMatchObject({ name: 'ConflictError', version: 5, stored: 2 })
    a.close()
    b.close()
  })

  test('schemas are recorded and merged across commits', async () => {
    const name = fresh()
    const storage = indexedDbStorage(name)
    await storage.append({ ...commit(1, line(1)), schemas: new Map([['lines', 2], ['tags', 1]]) })
    await storage.append(commit(2, line(2)))
    await storage.append({ ...commit(3, line(3)), schemas: new Map([['lines', 3]]) })
    expect((await storage.load())?.schemas).toEqual(new Map([['lines', 3], ['tags', 1]]))
    expect((await storage.load())?.checkpoint).toBeUndefined()
    storage.close()
  })

  test('a store checkpoints into IndexedDB and a reopened store restores from it', async () => {
    const name = fresh()
    const store = createStore({ views: [totals], storage: indexedDbStorage(name) })
    await store.ready
    store.transact((tx) => tx.insert(lines, [line(1, 5, 'a'), line(2, 7, 'b')]))
    await store.checkpoint()
    store.transact((tx) => tx.update(lines, 1, { amount: 6 }))
    await store.flush()
    const storage = indexedDbStorage(name)
    const loaded = await storage.load()
    expect(loaded?.checkpoint?.version).toBe(1)
    expect(loaded?.checkpoint?.views.has('totals')).toBe(true)
    expect(loaded?.checkpoint?.log.map((c) => c.version)).toEqual([2])
    // Closing the store saves a checkpoint at its version (the storage writes it before closing).
    store.close()
    await until(async () => (await storage.load())?.checkpoint?.version === 2, 'the checkpoint of close')
    storage.close()
    const reopened = createStore({ views: [totals], storage: indexedDbStorage(name) })
    await reopened.ready
    expect(reopened.version).toBe(2)
    expect([...reopened.read(totals)].sort((x, y) => (x.key < y.key ? -1 : 1))).toEqual([
      { key: 'a', total: 6 },
      { key: 'b', total: 7 },
    ])
    reopened.close()
  })
})

describe('indexedDbStorage: opening a database that is not (or no longer) a stepping store', () => {
  test("another program's database: ForeignDatabaseError naming its stores, left untouched", async () => {
    const name = fresh()
    const db = await openDB(name, 3, { upgrade: (d) => void d.createObjectStore('invoices') })
    db.close()
    const storage = indexedDbStorage(name)
    const error = await rejection(storage.load())
    expect(error).toBeInstanceOf(ForeignDatabaseError)
    expect(error).toMatchObject({ stores: ['invoices'] })
    expect(String(error)).toMatch(/ForeignDatabaseError: IndexedDB '.*': exists but is not a stepping store \(it has 'invoices'/)
    await expect(storage.append(commit(1, line(1)))).rejects.toBe(error)
    const untouched = await openDB(name)
    expect([untouched.version, Array.from(untouched.objectStoreNames)]).toEqual([3, ['invoices']])
    untouched.close()
  })

  test("a 'meta' store without stepping's format: ForeignDatabaseError", async () => {
    const name = fresh()
    const db = await openDB(name, 1, { upgrade: (d) => void d.createObjectStore('meta') })
    db.close()
    await expect(indexedDbStorage(name).load()).rejects.toBeInstanceOf(ForeignDatabaseError)
  })

  test('an empty database (no object stores) opens as a new store', async () => {
    const name = fresh()
    ;(await openDB(name, 4)).close()
    const storage = indexedDbStorage(name)
    expect(await storage.load()).toBeUndefined()
    await storage.append(commit(1, line(1)))
    expect((await storage.load())?.version).toBe(1)
    storage.close()
  })

  test('a store written in a newer format: NewerFormatError', async () => {
    const name = fresh()
    const storage = indexedDbStorage(name)
    await storage.append(commit(1, line(1)))
    storage.close()
    const db = await openDB(name)
    await db.put('meta', STORAGE_FORMAT + 1, 'format')
    db.close()
    const error = await rejection(indexedDbStorage(name).load())
    expect(error).toBeInstanceOf(NewerFormatError)
    expect(error).toMatchObject({ found: STORAGE_FORMAT + 1, supported: STORAGE_FORMAT })
    expect(String(error)).toMatch(/upgrade @stepping\/storage-indexeddb/)
  })

  test('an object store deleted outside stepping: MissingStoreError', async () => {
    const name = fresh()
    const storage = indexedDbStorage(name)
    await storage.append(commit(1, line(1)))
    storage.close()
    const db = await openDB(name, 2, { upgrade: (d) => d.deleteObjectStore('rows') })
    db.close()
    const error = await rejection(indexedDbStorage(name).load())
    expect(error).toBeInstanceOf(MissingStoreError)
    expect(error).toMatchObject({ store: 'rows' })
  })

  test('a store on a database that fails to open is not ready, and says why', async () => {
    const name = fresh()
    ;(await openDB(name, 1, { upgrade: (d) => void d.createObjectStore('other') })).close()
    const store = createStore({ views: [totals], storage: indexedDbStorage(name) })
    await expect(store.ready).rejects.toBeInstanceOf(ForeignDatabaseError)
    expect(store.isReady).toBe(false)
  })

  test('another tab upgrading the database closes this storage: StorageClosedError', async () => {
    const name = fresh()
    const storage = indexedDbStorage(name)
    await storage.load()
    const upgraded = await openDB(name, 2)
    upgraded.close()
    await expect(storage.append(commit(1, line(1)))).rejects.toBeInstanceOf(StorageClosedError)
  })
})

describe('QuotaExceededError', () => {
  // fake-indexeddb has no quota; the real one is exercised in headless Chromium (browser.test.ts), where
  // the DevTools protocol shrinks the origin's quota. Here: the mapping of a real DOMException.
  test('becomes StorageFullError, with the DOMException as its cause; other errors pass through', () => {
    const quota = new DOMException('The quota has been exceeded.', 'QuotaExceededError')
    const mapped = mapError('db', quota, 7, 'commit')
    expect(mapped).toBeInstanceOf(StorageFullError)
    expect(mapped).toBeInstanceOf(SteppingError)
    expect(mapped).toMatchObject({ version: 7, what: 'commit', cause: quota, database: 'db' })
    expect(String(mapped)).toMatch(/StorageFullError: IndexedDB 'db': the browser's storage quota is exhausted: commit 7 was not written/)
    const other = new DOMException('nope', 'DataCloneError')
    expect(mapError('db', other, 7, 'commit')).toBe(other)
  })
})
