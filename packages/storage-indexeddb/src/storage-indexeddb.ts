import { keyId, type Checkpoint, type CommitRecord, type KeyId, type Storage, type StoredCheckpoint, type StoredState } from '@stepping/core'
import { openDB, unwrap, type DBSchema, type IDBPDatabase } from 'idb'
import {
  ConflictError,
  ForeignDatabaseError,
  LogGapError,
  MissingStoreError,
  NewerFormatError,
  StorageClosedError,
  StorageFullError,
} from './errors'

/**
 * The layout this module writes, kept in the 'meta' object store under 'format'. Raise it when the layout
 * changes in a way an older reader would misread; a reader refuses a newer format (`NewerFormatError`).
 *
 * Format 1 (IndexedDB schema version 1), three object stores with out-of-line keys:
 * - 'meta': 'format'; 'version' (the store version of the last commit, 0 when new); 'collections' (the
 *   name of every collection ever written, in order); 'schemas' (a Map of collection schema versions, once
 *   a commit carried them); 'checkpointVersion' and 'checkpoint' (`{ version, views }`) once one was saved.
 * - 'rows': every row, under the key `[collection, id]`: `id` is the row's key id, a string or a number as
 *   it is, `[1]`/`[0]` for true/false and `[]` for null (IndexedDB has no boolean or null keys).
 * - 'log': commit records `{ version, changes, schemas? }` under their version: every commit after the
 *   checkpoint (for `load`) and the last `logRetention` ones (for other tabs to catch up).
 */
export const STORAGE_FORMAT = 1

/** Options of `indexedDbStorage`. */
export interface IndexedDbStorageOptions {
  /**
   * How many recent commits the log keeps for other tabs to catch up from (default 10,000). Commits after
   * the last checkpoint are kept however many there are; older ones beyond this many are deleted. A tab
   * that misses more than this many commits (asleep, say) reports `LogGapError` and must be reloaded.
   */
  readonly logRetention?: number
  /**
   * Called with what goes wrong while following other tabs (`LogGapError`, a failed read, a `watch`
   * listener that threw), which no caller awaits. Default `console.error`.
   */
  readonly onError?: (error: unknown) => void
}

/** A `Storage` in one IndexedDB database: every method that touches the database is asynchronous. */
export interface IndexedDbStorage extends Storage {
  load(): Promise<StoredState | undefined>
  append(commit: CommitRecord): Promise<void>
  checkpoint(checkpoint: Checkpoint): Promise<void>
  watch(listener: (commit: CommitRecord) => void): () => void
  close(): void
  /** The database name (and the name of the BroadcastChannel tabs announce commits on). */
  readonly name: string
}

interface Schema extends DBSchema {
  meta: { key: string; value: unknown }
  rows: { key: [string, IDBValidKey]; value: unknown }
  log: { key: number; value: CommitRecord }
}
type Database = IDBPDatabase<Schema>

type Job =
  | { readonly kind: 'append'; readonly commit: CommitRecord; readonly resolve: () => void; readonly reject: (error: unknown) => void }
  | { readonly kind: 'checkpoint'; readonly checkpoint: Checkpoint; readonly resolve: () => void; readonly reject: (error: unknown) => void }
type AppendJob = Extract<Job, { kind: 'append' }>

/** What tabs post on the database's BroadcastChannel after a durable commit. */
interface Announcement {
  readonly version: number
}

const STORES = ['meta', 'rows', 'log'] as const

/**
 * Persists a store's input collections in the IndexedDB database `name` of this origin (created when
 * missing), for stores in browsers. Everything is asynchronous: `load` reads the rows (and the last
 * checkpoint) in one transaction, and each `append` resolves once its commit is durable (a readwrite
 * transaction with `durability: 'strict'`).
 *
 * Appends are group-committed: while one IndexedDB transaction is in flight, later appends queue, and
 * the next transaction writes all of them; each append settles with the transaction that wrote it. A
 * transaction first checks that the stored version is the one its first commit follows, so two tabs
 * writing the same database cannot interleave: the later one is refused with `ConflictError`. A failed
 * append rejects every append queued behind it (they were computed on top of it) and leaves the database
 * as it was.
 *
 * Tabs announce their commits on a BroadcastChannel named after the database; `watch` listeners of the
 * other tabs' storages then read those commits from the log and hear each one, in order and without gaps,
 * once none of their own appends is pending.
 *
 * Opening fails with `ForeignDatabaseError`, `NewerFormatError` or `MissingStoreError` (through `load` and
 * every later call); a commit the browser's quota cannot hold fails with `StorageFullError`.
 */
export function indexedDbStorage(name: string, options: IndexedDbStorageOptions = {}): IndexedDbStorage {
  const retention = options.logRetention ?? 10_000
  if (!Number.isInteger(retention) || retention < 0) throw new RangeError(`logRetention must be a non-negative integer, got ${retention}`)
  const report = options.onError ?? ((error: unknown) => console.error(`stepping: IndexedDB storage '${name}'`, error))

  let database: Promise<Database> | undefined
  // Set when the storage can no longer be used; every later call rejects with it.
  let closed: StorageClosedError | undefined
  let closing = false
  const queue: Job[] = []
  let busy = false
  // The store's view of the database: the last version it holds durably (loaded, written, or heard of).
  let seen = 0
  // The highest version known to be in the database (announced by another tab, or found on conflict).
  let latest = 0
  let loaded = false
  let gap = false
  const listeners = new Set<(commit: CommitRecord) => void>()
  let channel: BroadcastChannel | undefined

  const open = (): Promise<Database> =>
    (database ??= openDatabase(name, {
      blocking: () => {
        closed ??= new StorageClosedError(name, 'another connection upgrades or deletes the database')
        void database?.then((db) => db.close())
      },
      terminated: () => {
        closed ??= new StorageClosedError(name, 'the browser closed the connection')
      },
    }))

  const announcements = (): BroadcastChannel => {
    if (channel === undefined) {
      channel = new BroadcastChannel(`stepping:${name}`)
      channel.onmessage = (event: MessageEvent<Announcement>) => {
        const version = event.data.version
        if (typeof version !== 'number' || version <= latest) return
        latest = version
        void pump()
      }
    }
    return channel
  }

  /** Runs queued jobs one IndexedDB transaction at a time, then catches up with other tabs' commits. */
  async function pump(): Promise<void> {
    if (busy) return
    busy = true
    try {
      for (;;) {
        const job = queue[0]
        if (job?.kind === 'append') {
          const end = queue.findIndex((next) => next.kind !== 'append')
          await write(queue.splice(0, end < 0 ? queue.length : end) as AppendJob[])
        } else if (job?.kind === 'checkpoint') {
          queue.shift()
          await save(job)
        } else if (closed === undefined && !closing && loaded && !gap && listeners.size > 0 && latest > seen) {
          await catchUp()
        } else break
      }
    } finally {
      busy = false
      if (closing) finish()
    }
  }

  async function write(batch: readonly AppendJob[]): Promise<void> {
    const first = batch[0]!.commit
    const last = batch[batch.length - 1]!.commit
    try {
      if (closed) throw closed
      const db = await open()
      const tx = db.transaction(STORES, 'readwrite', { durability: 'strict' })
      const done = tx.done
      done.catch(() => undefined)
      try {
        const meta = tx.objectStore('meta')
        const [stored, names, schemas, checkpointVersion] = await readMeta(meta)
        const version = asNumber(stored)
        if (version !== first.version - 1) {
          latest = Math.max(latest, version)
          throw new ConflictError(name, first.version, version)
        }
        const collections = new Set(Array.isArray(names) ? (names as string[]) : [])
        const known = collections.size
        const merged = new Map(schemas instanceof Map ? (schemas as Map<string, number>) : [])
        let schemasChanged = false
        const rows = unwrap(tx.objectStore('rows'))
        const log = unwrap(tx.objectStore('log'))
        let expected = first.version
        for (const { commit } of batch) {
          if (commit.version !== expected) throw new ConflictError(name, commit.version, expected - 1)
          expected++
          for (const [collection, delta] of commit.changes) {
            collections.add(collection)
            // Consolidated: a key's −1 (old row) and +1 (new row) may both be here; delete before writing.
            for (const c of delta) if (c.weight < 0) rows.delete([collection, encodeId(keyId(c.key))])
            for (const c of delta) if (c.weight > 0) rows.put(c.row, [collection, encodeId(keyId(c.key))])
          }
          if (commit.schemas !== undefined) {
            for (const [collection, schema] of commit.schemas) merged.set(collection, schema)
            schemasChanged = true
          }
          log.put(record(commit), commit.version)
        }
        const raw = unwrap(meta)
        if (collections.size !== known) raw.put([...collections], 'collections')
        if (schemasChanged) raw.put(merged, 'schemas')
        raw.put(last.version, 'version')
        const trim = Math.min(typeof checkpointVersion === 'number' ? checkpointVersion : Infinity, last.version - retention)
        if (trim >= 1) log.delete(IDBKeyRange.upperBound(trim))
      } catch (error) {
        abort(tx)
        throw error
      }
      await done
    } catch (error) {
      const failure = mapError(name, error, last.version, 'commit')
      // Appends queued behind a failed one were computed on top of it: they fail with it.
      const behind = queue.filter((job): job is AppendJob => job.kind === 'append')
      queue.splice(0, queue.length, ...queue.filter((job) => job.kind !== 'append'))
      for (const job of [...batch, ...behind]) job.reject(failure)
      return
    }
    seen = last.version
    latest = Math.max(latest, seen)
    for (const job of batch) job.resolve()
    try {
      announcements().postMessage({ version: last.version } satisfies Announcement)
    } catch (error) {
      // Durable all the same; other tabs learn of it when their own appends conflict.
      report(error)
    }
  }

  async function save(job: Extract<Job, { kind: 'checkpoint' }>): Promise<void> {
    const { checkpoint } = job
    try {
      if (closed) throw closed
      const db = await open()
      const tx = db.transaction(['meta', 'log'], 'readwrite', { durability: 'strict' })
      const done = tx.done
      done.catch(() => undefined)
      try {
        const meta = tx.objectStore('meta')
        const [stored, previous] = await Promise.all([meta.get('version'), meta.get('checkpointVersion')])
        const version = asNumber(stored)
        // State of commits the database does not hold (they were refused) must not be saved.
        if (checkpoint.version > version) throw new ConflictError(name, checkpoint.version, version)
        // Another tab saved a newer one: keep it (the log before it may be gone already).
        if (typeof previous !== 'number' || previous < checkpoint.version) {
          const raw = unwrap(meta)
          raw.put({ version: checkpoint.version, views: new Map(checkpoint.views) }, 'checkpoint')
          raw.put(checkpoint.version, 'checkpointVersion')
          const trim = Math.min(checkpoint.version, version - retention)
          if (trim >= 1) unwrap(tx.objectStore('log')).delete(IDBKeyRange.upperBound(trim))
        }
      } catch (error) {
        abort(tx)
        throw error
      }
      await done
    } catch (error) {
      job.reject(mapError(name, error, checkpoint.version, 'checkpoint'))
      return
    }
    job.resolve()
  }

  /** Reads the commits other tabs made after `seen` and hands them to the listeners, while none of ours is pending. */
  async function catchUp(): Promise<void> {
    let commits: CommitRecord[]
    try {
      const db = await open()
      commits = await db.getAll('log', IDBKeyRange.lowerBound(seen, true))
    } catch (error) {
      // Nothing to retry with until the next announcement.
      latest = seen
      report(error)
      return
    }
    const oldest = commits[0]?.version
    if (oldest === undefined) {
      latest = seen
      return
    }
    if (oldest !== seen + 1) {
      gap = true
      report(new LogGapError(name, seen, oldest))
      return
    }
    for (const commit of commits) {
      // Own commits queued meanwhile were computed without these: they will conflict, and the rest of
      // these commits are read again after they settled.
      if (queue.length > 0 || closing || closed !== undefined) return
      seen = commit.version
      latest = Math.max(latest, seen)
      for (const listener of listeners) {
        try {
          listener(commit)
        } catch (error) {
          report(error)
        }
      }
    }
  }

  function enqueue(job: Job): void {
    queue.push(job)
    void pump()
  }

  function finish(): void {
    listeners.clear()
    channel?.close()
    channel = undefined
    void database?.then(
      (db) => db.close(),
      () => undefined,
    )
  }

  return {
    name,
    async load() {
      if (closed) throw closed
      const db = await open()
      const tx = db.transaction(STORES, 'readonly')
      const meta = tx.objectStore('meta')
      const [stored, names, schemas, checkpointVersion] = await readMeta(meta)
      const version = asNumber(stored)
      const collections = new Map<string, unknown[]>()
      let checkpoint: StoredCheckpoint | undefined
      if (version > 0) {
        const rows = tx.objectStore('rows')
        const list = Array.isArray(names) ? (names as string[]) : []
        const all = await Promise.all(list.map((collection) => rows.getAll(IDBKeyRange.bound([collection], [`${collection}\u0000`], false, true))))
        list.forEach((collection, i) => collections.set(collection, all[i] ?? []))
        if (typeof checkpointVersion === 'number') {
          const [saved, log] = await Promise.all([meta.get('checkpoint'), tx.objectStore('log').getAll(IDBKeyRange.lowerBound(checkpointVersion, true))])
          checkpoint = restoreCheckpoint(saved, log, version)
        }
      }
      await tx.done
      loaded = true
      seen = version
      latest = Math.max(latest, version)
      if (listeners.size > 0) void pump()
      if (version === 0) return undefined
      return {
        version,
        collections,
        ...(schemas instanceof Map ? { schemas: schemas as Map<string, number> } : {}),
        ...(checkpoint === undefined ? {} : { checkpoint }),
      }
    },
    append(commit) {
      return new Promise<void>((resolve, reject) => {
        if (closed || closing) return reject(closed ?? new StorageClosedError(name, 'close() was called'))
        enqueue({ kind: 'append', commit, resolve, reject })
      })
    },
    checkpoint(checkpoint) {
      return new Promise<void>((resolve, reject) => {
        if (closed || closing) return reject(closed ?? new StorageClosedError(name, 'close() was called'))
        enqueue({ kind: 'checkpoint', checkpoint, resolve, reject })
      })
    },
    watch(listener) {
      listeners.add(listener)
      announcements()
      void pump()
      return () => {
        listeners.delete(listener)
      }
    },
    close() {
      if (closing) return
      closing = true
      if (!busy) finish()
    },
  }
}

/** Opens (creating when new) the database and checks it is a stepping store this code can read. */
async function openDatabase(name: string, callbacks: { blocking(): void; terminated(): void }): Promise<Database> {
  const create = (db: IDBPDatabase<Schema>, tx: { objectStore(name: 'meta'): { put(value: unknown, key: string): unknown } }) => {
    for (const store of STORES) db.createObjectStore(store)
    const meta = tx.objectStore('meta')
    void meta.put(STORAGE_FORMAT, 'format')
    void meta.put(0, 'version')
  }
  let db = await openDB<Schema>(name, undefined, {
    upgrade: (db, oldVersion, _newVersion, tx) => {
      if (oldVersion === 0) create(db, tx)
    },
    ...callbacks,
  })
  const stores = Array.from(db.objectStoreNames)
  if (stores.length === 0) {
    // An empty database (created by someone who never added a store): make it a stepping store.
    const next = db.version + 1
    db.close()
    db = await openDB<Schema>(name, next, { upgrade: (db, _oldVersion, _newVersion, tx) => create(db, tx), ...callbacks })
  } else if (!stores.includes('meta')) {
    db.close()
    throw new ForeignDatabaseError(name, stores)
  }
  try {
    const format = await db.get('meta', 'format')
    if (typeof format !== 'number' || !Number.isInteger(format)) throw new ForeignDatabaseError(name, Array.from(db.objectStoreNames))
    if (format > STORAGE_FORMAT) throw new NewerFormatError(name, format, STORAGE_FORMAT)
    for (const store of STORES) if (!db.objectStoreNames.contains(store)) throw new MissingStoreError(name, store)
  } catch (error) {
    db.close()
    throw error
  }
  return db
}

/** The key id as an IndexedDB key: strings and numbers as they are, `[1]`/`[0]` for booleans, `[]` for null. */
function encodeId(id: KeyId): IDBValidKey {
  switch (typeof id) {
    case 'string':
    case 'number':
      return id
    case 'boolean':
      return [id ? 1 : 0]
    default:
      return []
  }
}

/** What the log keeps of a commit: exactly its fields (an object the store passed may carry more). */
function record(commit: CommitRecord): CommitRecord {
  return commit.schemas === undefined
    ? { version: commit.version, changes: commit.changes }
    : { version: commit.version, changes: commit.changes, schemas: commit.schemas }
}

/** The saved checkpoint with the commits after it, or undefined when the log does not reach the stored version. */
function restoreCheckpoint(saved: unknown, log: readonly CommitRecord[], version: number): StoredCheckpoint | undefined {
  if (typeof saved !== 'object' || saved === null) return undefined
  const { version: at, views } = saved as Checkpoint
  if (typeof at !== 'number' || !(views instanceof Map)) return undefined
  if (log.length !== version - at || log.some((commit, i) => commit.version !== at + 1 + i)) return undefined
  return { version: at, views, log }
}

const asNumber = (value: unknown): number => (typeof value === 'number' ? value : 0)

/** Aborts a transaction that may already have aborted (a failed request aborts it). */
function abort(tx: { abort(): void }): void {
  try {
    tx.abort()
  } catch {
    // Already finished or aborted: nothing was committed either way.
  }
}

/**
 * The error an append or checkpoint rejects with: `QuotaExceededError` (from a request or the
 * transaction) becomes `StorageFullError`; stepping's own errors and anything else pass through.
 */
export function mapError(database: string, error: unknown, version: number, what: 'commit' | 'checkpoint'): unknown {
  if (isQuotaExceeded(error)) return new StorageFullError(database, version, what, { cause: error })
  return error
}

const isQuotaExceeded = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'QuotaExceededError'

/** The version, collection names, schema versions and checkpoint version from the 'meta' store, read at once. */
function readMeta(meta: { get(key: string): Promise<unknown> }): Promise<[unknown, unknown, unknown, unknown]> {
  return Promise.all([meta.get('version'), meta.get('collections'), meta.get('schemas'), meta.get('checkpointVersion')])
}
