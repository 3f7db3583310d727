import { connect, createStore, memorySyncPersistence, type Change, type Key, type Store, type SyncClient, type Transaction, type View } from '@stepping/core'
import { indexedDbSyncPersistence } from '@stepping/storage-indexeddb'
import * as m from '../shared/mutators'
import { comments, likes, posts, users, visits } from '../shared/schema'
import { trackPending, type PendingQueue } from './pending'
import { sharedViews, viewerViews } from './views'

/** The client mutators: the shared ones, as the signed-in user, on this browser's clock. */
function clientMutators(userId: string) {
  return {
    addComment: (tx: Transaction, args: m.AddCommentArgs) => m.addComment(tx, args, userId, Date.now()),
    editComment: (tx: Transaction, args: m.EditCommentArgs) => m.editComment(tx, args, userId, Date.now()),
    deleteComment: (tx: Transaction, args: m.CommentRef) => m.deleteComment(tx, args, userId),
    setLike: (tx: Transaction, args: m.LikeArgs) => m.setLike(tx, args, userId),
    visit: (tx: Transaction, args: m.VisitArgs) => m.visit(tx, args, userId, Date.now()),
  }
}

export type Mutators = ReturnType<typeof clientMutators>

/** One view's change in one commit, for the dev panel. */
export interface DiffEntry {
  readonly seq: number
  readonly version: number
  readonly view: string
  readonly added: number
  readonly removed: number
  readonly sample: readonly string[]
}

/** The last diffs every view received, as an external store (the dev panel subscribes while open). */
export class DiffLog {
  #entries: readonly DiffEntry[] = []
  #seq = 0
  readonly #listeners = new Set<() => void>()

  record(view: string, version: number, diff: readonly Change<unknown>[]): void {
    const added = diff.filter((c) => c.weight > 0).length
    const sample = diff.slice(0, 4).map((c) => `${c.weight > 0 ? '+' : '−'} ${JSON.stringify(c.key)}`)
    this.#entries = [{ seq: ++this.#seq, version, view, added, removed: diff.length - added, sample }, ...this.#entries].slice(0, 40)
    for (const listener of this.#listeners) listener()
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  readonly snapshot = (): readonly DiffEntry[] => this.#entries
}

export interface Session {
  readonly userId: string
  readonly store: Store
  readonly client: SyncClient<Mutators>
  readonly views: ReturnType<typeof viewerViews>
  readonly pending: PendingQueue
  readonly diffs: DiffLog
  /** Whether this tab keeps the sync state in IndexedDB (false when another tab of the same user does). */
  readonly persistent: boolean
}

/**
 * Everything of one signed-in user: a store with the app's views, connected to the server, its state and
 * pending mutations kept in this browser's IndexedDB. Made once per page, outside React.
 */
export async function openSession(userId: string): Promise<Session> {
  const views = viewerViews(userId)
  const all: readonly View<unknown, Key>[] = [...sharedViews, views.myLikes, views.unread]
  const store = createStore({ views: all })
  // The persisted state holds a client id, and the server applies each (client id, mutation id) once: two
  // tabs sharing it would number their mutations alike and lose some. One tab per user owns the database;
  // the others sync from memory.
  const name = `comments-app:${userId}`
  const persistent = await claim(name)
  const { persistence, pending } = trackPending(persistent ? indexedDbSyncPersistence(name) : memorySyncPersistence())
  const client = connect(store, `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/sync`, {
    token: () => fetchToken(userId),
    mutators: clientMutators(userId),
    persistence,
    // A demo on a laptop: come back quickly once the network does.
    backoff: { initialMs: 200, maxMs: 2000 },
    subscriptions: [
      { view: 'users', into: users },
      { view: 'posts', into: posts },
      { view: 'comments', into: comments },
      { view: 'likes', into: likes },
      { view: 'visits', partition: userId, into: visits },
    ],
    onError: (error) => console.warn(`sync: ${error.message}`),
  })
  const diffs = new DiffLog()
  for (const v of all) store.subscribe(v, (diff, version) => diffs.record(v.name, version, diff))
  // The browser knows about network loss before the socket does: drop it at once, and retry on return.
  addEventListener('offline', () => client.disconnect())
  return { userId, store, client, views, pending, diffs, persistent }
}

/** Takes the Web Lock `name` for as long as the page lives, if no other tab holds it. */
function claim(name: string): Promise<boolean> {
  return new Promise((resolve) => {
    void navigator.locks.request(name, { ifAvailable: true }, (lock) => {
      resolve(lock !== null)
      return lock === null ? undefined : new Promise<never>(() => undefined)
    })
  })
}

async function fetchToken(userId: string): Promise<string> {
  const response = await fetch('/api/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userId }) })
  if (!response.ok) throw new Error(`sign-in refused (${response.status})`)
  return ((await response.json()) as { token: string }).token
}
