import { describe, expect, test } from 'vitest'
import { collection, createStore, memoryStorage, view, type CommitRecord, type Storage } from '../src/index'
import { LOAD_MIN } from '../src/sorted'

/*
 * A top-K over a collection itself keeps only the head of the order and reads the rest from the store's
 * table (`TableHead`). These run it through the store's paths where the table and the step's delta meet
 * differently: a commit (table as before the step), a step that fails, a view added to a store that holds
 * rows, a reopen from a checkpoint, a commit storage fails (reverted) and another writer's commit. Each
 * holds more rows than a first load places (`LOAD_MIN`), and drains the head so that it loads again.
 */

interface Post {
  readonly id: number
  readonly at: number
  readonly bad?: boolean
}
const posts = collection<Post>('posts', { key: 'id' })
const newest = view('newest', posts.orderBy((p) => p.at, 'desc').limit(5))
const oldest = view('oldest', posts.orderBy((p) => p.at).limit(3, { offset: 2 }))
// A view whose function throws on a marked row: a transaction writing one fails after the top-K stepped.
const checked = view('checked', posts.map((p) => {
  if (p.bad === true) throw new Error('bad post')
  return p
}))

const N = LOAD_MIN * 3
/** Posts 0..n−1 whose `at` is a permutation of 0..n−1, so the order is not the order of keys. */
const initial = (n: number): Post[] => Array.from({ length: n }, (_, id) => ({ id, at: (id * 7919) % n }))

const byAt = (a: Post, b: Post): number => a.at - b.at || a.id - b.id
const expectWindows = (store: ReturnType<typeof createStore>, label: string): void => {
  const all = [...store.read(posts)]
  expect(store.read(newest), `${label}: newest`).toEqual([...all].sort((a, b) => byAt(b, a)).slice(0, 5))
  expect(store.read(oldest), `${label}: oldest`).toEqual([...all].sort(byAt).slice(2, 5))
}

/** The `count` posts that sort first in `direction`, as the store holds them. */
const first = (store: ReturnType<typeof createStore>, count: number, direction: 1 | -1): Post[] =>
  [...store.read(posts)].sort((a, b) => direction * byAt(a, b)).slice(0, count)

describe('top-K over a collection, through the store', () => {
  test('commits that drain the head load it again from the table; a failed one changes nothing', () => {
    const store = createStore({ views: [newest, oldest, checked] })
    store.transact((tx) => tx.insert(posts, initial(N)))
    expectWindows(store, 'after the build')
    // Placed at first: the head of each order, far fewer rows than the table.
    const topK = store.describe().operators.filter((o) => o.kind === 'topK')
    expect(topK.map((o) => o.state)).toEqual([LOAD_MIN, LOAD_MIN])
    let next = N
    for (let round = 0; round < 4; round++) {
      const gone = [...first(store, 500, -1), ...first(store, 200, 1)]
      store.transact((tx) => {
        for (const p of gone) tx.delete(posts, p.id)
        // New rows at both ends, and in the middle.
        tx.insert(posts, [{ id: next++, at: N + round }, { id: next++, at: -1 - round }, { id: next++, at: N / 2 + 0.5 }])
        // The oldest row left moves to the newest end.
        tx.update(posts, first(store, 201, 1)[200]!.id, (p) => void (p.at = N * 2))
      })
      expectWindows(store, `round ${round}`)
      const before = store.read(newest)
      expect(() =>
        store.transact((tx) => {
          for (const p of first(store, LOAD_MIN + 10, -1)) tx.delete(posts, p.id)
          tx.insert(posts, { id: next, at: 0, bad: true })
        }),
      ).toThrow('bad post')
      expect(store.read(newest)).toBe(before)
      expectWindows(store, `round ${round}, after the failed transaction`)
    }
  })

  test('a view added to a store that holds rows is caught up from its table', () => {
    const store = createStore({ views: [checked] })
    store.transact((tx) => tx.insert(posts, initial(N)))
    store.addView(newest)
    store.addView(oldest)
    expectWindows(store, 'after addView')
    store.transact((tx) => {
      for (const p of first(store, LOAD_MIN + 5, -1)) tx.delete(posts, p.id)
    })
    expectWindows(store, 'after draining the head')
  })

  test('a store reopened from a checkpoint rebuilds the view from the collection (its state is not saved)', async () => {
    const storage = memoryStorage()
    const store = createStore({ views: [newest, oldest], storage, checkpointEvery: 0 })
    store.transact((tx) => tx.insert(posts, initial(N)))
    await store.checkpoint()
    expect(storage.saved?.views.has('newest')).toBe(false)
    store.transact((tx) => {
      for (const p of first(store, LOAD_MIN + 5, -1)) tx.delete(posts, p.id)
    })
    const reopened = createStore({ views: [newest, oldest], storage })
    expectWindows(reopened, 'after reopening')
    expect(reopened.read(newest)).toEqual(store.read(newest))
    reopened.transact((tx) => {
      for (const p of first(reopened, LOAD_MIN + 5, -1)) tx.delete(posts, p.id)
    })
    expectWindows(reopened, 'after draining the reopened head')
  })

  test('commits storage fails are reverted, and another writer’s commit applies', async () => {
    const inner = memoryStorage()
    const queue: { commit: CommitRecord; resolve: () => void; reject: (e: unknown) => void }[] = []
    let listener: ((commit: CommitRecord) => void) | undefined
    const storage: Storage = {
      load: () => inner.load(),
      append: (commit) => new Promise((resolve, reject) => queue.push({ commit, resolve, reject })),
      watch: (l) => {
        listener = l
        return () => (listener = undefined)
      },
    }
    const settle = (): void => {
      const q = queue.shift()!
      inner.append(q.commit)
      q.resolve()
    }
    const store = createStore({ views: [newest, oldest], storage, onStorageError: () => undefined })
    store.transact((tx) => tx.insert(posts, initial(N)))
    settle()
    await store.flush()
    const durable = store.read(newest)
    // Two commits: the first drains the head and updates rows, the second updates some of them again.
    const drained = first(store, LOAD_MIN + 5, -1)
    store.transact((tx) => {
      for (const p of drained.slice(0, LOAD_MIN)) tx.delete(posts, p.id)
      for (const p of drained.slice(LOAD_MIN)) tx.update(posts, p.id, { at: p.at - N })
    })
    store.transact((tx) => {
      for (const p of drained.slice(LOAD_MIN)) tx.update(posts, p.id, { at: p.at + N })
      tx.insert(posts, { id: N, at: N })
    })
    expectWindows(store, 'before the failure')
    const flush = store.flush()
    for (const q of queue.splice(0)) q.reject(new Error('disk full'))
    await expect(flush).rejects.toThrow('disk full')
    expect(store.version).toBe(1)
    expect(store.read(newest)).toEqual(durable)
    expectWindows(store, 'after the revert')
    // Another writer deletes the head of the order.
    const changes = new Map([['posts', first(store, LOAD_MIN + 5, -1).map((p) => ({ key: p.id, row: p, weight: -1 }))]])
    inner.append({ version: 2, changes })
    listener!({ version: 2, changes })
    expect(store.version).toBe(2)
    expectWindows(store, "after another writer's commit")
  })
})
