import { keyId, type KeyId } from './key'
import type { Delta } from './zset'

/** One committed transaction as storage receives it. */
export interface CommitRecord {
  /** The store version this transaction created (previous version + 1). */
  readonly version: number
  /**
   * The input changes, per collection name. Consolidated: a key appears at most twice, as −1 with the
   * row it had before and/or +1 with the row it has after (an update is both).
   */
  readonly changes: ReadonlyMap<string, Delta<unknown>>
  /**
   * Schema versions of collections, present on the first commit a store makes after opening and on the
   * commit that migrates a collection: the storage records them for `StoredState.schemas`.
   */
  readonly schemas?: ReadonlyMap<string, number>
}

/**
 * The key ids a commit's delta writes a row under (a +1 change). A storage replaces those rows in place
 * and deletes only the other keys of the −1 changes: an updated row keeps its place in the collection's
 * order, as it does in the store's table, so that a reopened store reads its rows in the same order.
 */
export function writtenIds(delta: Delta<unknown>): Set<KeyId> {
  const ids = new Set<KeyId>()
  for (const c of delta) if (c.weight > 0) ids.add(keyId(c.key))
  return ids
}

/** What a storage hands back when a store opens: every collection's rows and the version they are at. */
export interface StoredState {
  readonly version: number
  readonly collections: ReadonlyMap<string, readonly unknown[]>
  /**
   * The schema version each collection's rows were written under (`collection(name, { version })`), as
   * last recorded by `append`. A collection missing here was written at version 1.
   */
  readonly schemas?: ReadonlyMap<string, number>
  /** Operator state the last `checkpoint` saved, with every commit made after it. */
  readonly checkpoint?: StoredCheckpoint
}

/** One view's saved operator state, tagged with the hash of the view's definition it belongs to. */
export interface ViewState {
  /** `viewHash(view)` when the state was saved: a changed definition has another hash. */
  readonly hash: string
  /** Plain data (arrays, objects, numbers, strings, and what rows hold): the storage serializes it. */
  readonly state: unknown
}

/** Operator state of every view at one version. */
export interface Checkpoint {
  /** The store version the state is at: the version of the last commit appended before it. */
  readonly version: number
  /** Every view's state by view name; a view absent here has no saved state (dropped). */
  readonly views: ReadonlyMap<string, ViewState>
}

/** A checkpoint as storage returns it: the saved state and the commits after it, oldest first. */
export interface StoredCheckpoint extends Checkpoint {
  /** Every commit with a version above the checkpoint's, up to `StoredState.version`, in order. */
  readonly log: readonly CommitRecord[]
}

/**
 * Where a store keeps its inputs. Core defines it; SQLite (`@stepping/sync-server`) and IndexedDB
 * (`@stepping/storage-indexeddb`) implement it, and `memoryStorage` is the embedded default.
 *
 * Contract:
 * - `load` is called once, when the store is created, and returns what the last `append` left (or
 *   undefined for a new store). A storage that must read asynchronously returns a promise: the store is
 *   then not ready (`store.ready`, `store.isReady`) until it settles, and refuses transactions meanwhile.
 * - `append` is called once per committed transaction, in version order, before any subscriber hears of
 *   it. It must persist the whole record or nothing, with the record's `schemas` when it has them.
 *   - Synchronous: durable when it returns. If it throws, the store rolls the transaction back and
 *     rethrows: the store's memory never runs ahead of what storage accepted.
 *   - Asynchronous (returns a promise): durable when the promise resolves. The store applies the commit
 *     in memory at once and, if the promise rejects, reverts it and every later commit (`store.flush`
 *     rejects with the error). When an append rejects, the storage rejects every append queued behind it
 *     too (they were computed on top of it); appends made after that are attempted afresh. An append whose
 *     version is not the stored version + 1 (another writer got there first) rejects.
 * - `checkpoint`, when present, saves operator state at the last appended version, replacing the previous
 *   checkpoint; `load` returns it with the commits made since. Without it every open rebuilds every view
 *   from the collections. A checkpoint that fails to save is reported and changes nothing.
 * - `watch`, when present, reports commits other writers (another tab on the same database) made durable,
 *   in version order and without gaps, each after the store's own durable commits of lower versions.
 * - A storage belongs to one store at a time.
 */
export interface Storage {
  load(): StoredState | undefined | Promise<StoredState | undefined>
  append(commit: CommitRecord): void | Promise<void>
  checkpoint?(checkpoint: Checkpoint): void | Promise<void>
  watch?(listener: (commit: CommitRecord) => void): () => void
  close?(): void
}

/** The in-memory storage: every collection's current rows and the log of every commit, for inspection. */
export interface MemoryStorage extends Storage {
  /** Every commit appended so far, oldest first. */
  readonly log: readonly CommitRecord[]
  /** The last checkpoint saved, if any. */
  readonly saved: Checkpoint | undefined
}

/**
 * Keeps inputs in memory. A second store opened on the same instance restores the first one's data and
 * views (from the last checkpoint), which makes it the reference implementation the storage contract
 * tests run first.
 */
export function memoryStorage(): MemoryStorage {
  const tables = new Map<string, Map<KeyId, unknown>>()
  const schemas = new Map<string, number>()
  const log: CommitRecord[] = []
  let saved: Checkpoint | undefined
  let version = 0
  return {
    log,
    get saved() {
      return saved
    },
    load() {
      if (version === 0) return undefined
      const collections = new Map<string, unknown[]>()
      for (const [name, rows] of tables) collections.set(name, [...rows.values()])
      const after = saved?.version ?? 0
      return {
        version,
        collections,
        schemas: new Map(schemas),
        ...(saved && { checkpoint: { ...saved, log: log.filter((c) => c.version > after) } }),
      }
    },
    append(commit) {
      for (const [name, delta] of commit.changes) {
        let table = tables.get(name)
        if (table === undefined) tables.set(name, (table = new Map()))
        const written = writtenIds(delta)
        for (const c of delta) if (c.weight < 0 && !written.has(keyId(c.key))) table.delete(keyId(c.key))
        for (const c of delta) if (c.weight > 0) table.set(keyId(c.key), c.row)
      }
      for (const [name, v] of commit.schemas ?? []) schemas.set(name, v)
      log.push(commit)
      version = commit.version
    },
    checkpoint(checkpoint) {
      saved = checkpoint
    },
  }
}
