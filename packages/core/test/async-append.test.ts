import { describe, expect, test } from 'vitest'
import {
  collection,
  CommitConflictError,
  createStore,
  memoryStorage,
  sum,
  view,
  type Change,
  type CommitRecord,
  type Storage,
} from '../src/index'

/*
 * Asynchronous appends (IndexedDB's shape): a commit applies in memory at once and becomes durable later.
 * If storage fails it, the store reverts it and every commit after it; commits another writer made
 * durable first arrive through `watch`. The storage here keeps memoryStorage's data and settles each
 * append when the test says so, following the contract: a failure fails every append queued behind it.
 */

interface Line {
  readonly id: number
  readonly order: string
  readonly amount: number
}
const lines = collection<Line>('lines', { key: 'id' })
const totals = view('totals', lines.groupBy((l) => l.order, { total: sum((l) => l.amount) }))

class Deferred implements Storage {
  readonly inner = memoryStorage()
  readonly queue: { commit: CommitRecord; resolve: () => void; reject: (e: unknown) => void }[] = []
  listener: ((commit: CommitRecord) => void) | undefined

  load() {
    return this.inner.load()
  }
  append(commit: CommitRecord): Promise<void> {
    return new Promise((resolve, reject) => this.queue.push({ commit, resolve, reject }))
  }
  watch(listener: (commit: CommitRecord) => void) {
    this.listener = listener
    return () => (this.listener = undefined)
  }
  /** Makes the oldest queued append durable. */
  settle(): void {
    const next = this.queue.shift()!
    this.inner.append(next.commit)
    next.resolve()
  }
  /** Fails the oldest queued append and every one queued behind it. */
  fail(error: Error): void {
    for (const q of this.queue.splice(0)) q.reject(error)
  }
  /** Another writer's commit, durable: written, then reported. */
  external(commit: CommitRecord): void {
    this.inner.append(commit)
    this.listener?.(commit)
  }
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0))
const line = (id: number, order: string, amount: number): Line => ({ id, order, amount })

describe('asynchronous append', () => {
  test('commits apply at once; flush resolves when storage made them durable', async () => {
    const storage = new Deferred()
    const store = createStore({ views: [totals], storage })
    store.transact((tx) => tx.insert(lines, line(1, 'a', 2)))
    store.transact((tx) => tx.insert(lines, line(2, 'a', 3)))
    expect(store.read(totals)).toEqual([{ key: 'a', total: 5 }])
    let flushed = false
    const flush = store.flush().then(() => (flushed = true))
    storage.settle()
    await tick()
    expect(flushed).toBe(false)
    storage.settle()
    await flush
    expect(storage.inner.log.map((c) => c.version)).toEqual([1, 2])
  })

  test('a failed append reverts that commit and every later one; subscribers hear the revert; flush rejects', async () => {
    const storage = new Deferred()
    const errors: unknown[] = []
    const store = createStore({ views: [totals], storage, onStorageError: (e) => errors.push(e) })
    store.transact((tx) => tx.insert(lines, line(1, 'a', 2)))
    storage.settle()
    await store.flush()
    const heard: { diff: readonly Change<unknown>[]; version: number }[] = []
    store.subscribe(totals, (diff, version) => heard.push({ diff, version }))
    store.transact((tx) => tx.insert(lines, line(2, 'a', 3)))
    store.transact((tx) => tx.update(lines, 1, { amount: 10 }))
    expect(store.read(totals)).toEqual([{ key: 'a', total: 13 }])
    expect(store.version).toBe(3)
    const flush = store.flush()
    storage.fail(new Error('QuotaExceededError: disk full'))
    await expect(flush).rejects.toThrow('disk full')
    expect(errors).toEqual([])
    expect(store.version).toBe(1)
    expect(store.read(totals)).toEqual([{ key: 'a', total: 2 }])
    expect(store.read(lines)).toEqual([line(1, 'a', 2)])
    expect(heard.at(-1)).toEqual({
      diff: [
        { key: 'a', row: { key: 'a', total: 13 }, weight: -1 },
        { key: 'a', row: { key: 'a', total: 2 }, weight: 1 },
      ],
      version: 1,
    })
    // The store goes on from what is durable.
    store.transact((tx) => tx.insert(lines, line(3, 'b', 1)))
    expect(store.version).toBe(2)
    storage.settle()
    await store.flush()
    const reopened = createStore({ views: [totals], storage: storage.inner })
    expect(reopened.read(totals)).toEqual(store.read(totals))
  })

  test('without a flush waiting, a failure goes to onStorageError', async () => {
    const storage = new Deferred()
    const errors: unknown[] = []
    const store = createStore({ views: [totals], storage, onStorageError: (e) => errors.push(e) })
    store.transact((tx) => tx.insert(lines, line(1, 'a', 2)))
    storage.fail(new Error('gone'))
    await tick()
    expect(errors.map(String)).toEqual(['Error: gone'])
    expect(store.read(lines)).toEqual([])
  })

  test("another writer's durable commit reverts this store's pending ones and applies", async () => {
    const storage = new Deferred()
    const store = createStore({ views: [totals], storage })
    store.transact((tx) => tx.insert(lines, line(1, 'a', 2)))
    storage.settle()
    await store.flush()
    store.transact((tx) => tx.insert(lines, line(2, 'mine', 5)))
    const flush = store.flush()
    storage.external({ version: 2, changes: new Map([['lines', [{ key: 3, row: line(3, 'theirs', 7), weight: 1 }]]]) })
    await expect(flush).rejects.toBeInstanceOf(CommitConflictError)
    expect(store.version).toBe(2)
    expect(store.read(totals)).toEqual([{ key: 'a', total: 2 }, { key: 'theirs', total: 7 }])
    // The doomed append is rejected by storage later: nothing more changes.
    storage.fail(new Error('conflict'))
    await tick()
    expect(store.read(lines)).toEqual([line(1, 'a', 2), line(3, 'theirs', 7)])
  })
})
