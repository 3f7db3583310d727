import { CommitConflictError, SteppingError } from '@stepping/core'

/** Base class of the errors `indexedDbStorage` reports about its database; `database` is its name. */
export class IndexedDbStorageError extends SteppingError {
  override name = 'IndexedDbStorageError'
  constructor(
    readonly database: string,
    message: string,
    options?: { cause: unknown },
  ) {
    super(`IndexedDB '${database}': ${message}`, options)
  }
}

/** A database of that name exists in this origin but is not a stepping store (it has no stepping metadata). */
export class ForeignDatabaseError extends IndexedDbStorageError {
  override name = 'ForeignDatabaseError'
  constructor(
    database: string,
    readonly stores: readonly string[],
  ) {
    super(
      database,
      `exists but is not a stepping store (it has ${stores.length === 0 ? 'no object stores' : stores.map((s) => `'${s}'`).join(', ')} ` +
        "and no stepping metadata in a 'meta' store); give indexedDbStorage a database name of its own",
    )
  }
}

/** The store was written by a newer `@stepping/storage-indexeddb`, in a format this one cannot read. */
export class NewerFormatError extends IndexedDbStorageError {
  override name = 'NewerFormatError'
  constructor(
    database: string,
    readonly found: number,
    readonly supported: number,
  ) {
    super(
      database,
      `was written in storage format ${found}, and this @stepping/storage-indexeddb reads formats up to ${supported}; ` +
        'upgrade @stepping/storage-indexeddb (reload the page to get the newer code) to open it',
    )
  }
}

/** The database has stepping's metadata but one of its object stores is gone: it was changed outside stepping. */
export class MissingStoreError extends IndexedDbStorageError {
  override name = 'MissingStoreError'
  constructor(
    database: string,
    readonly store: string,
  ) {
    super(
      database,
      `the object store '${store}' is missing (the database was changed outside stepping); ` +
        'delete the database (indexedDB.deleteDatabase) to start over, the server or another replica holding the data',
    )
  }
}

/**
 * The browser refused to store more (`QuotaExceededError`: the origin's quota, or the disk, is full).
 * Nothing of the commit was kept and the store rolled it back: free space (or ask for persistent storage
 * with `navigator.storage.persist()`) and commit again.
 */
export class StorageFullError extends IndexedDbStorageError {
  override name = 'StorageFullError'
  constructor(
    database: string,
    /** The version (or sequence number) of what was not written. */
    readonly version: number,
    /** What was not written: a store's commit or checkpoint, or a sync client's state. */
    readonly what: 'commit' | 'checkpoint' | 'sync state',
    options: { cause: unknown },
  ) {
    super(
      database,
      `the browser's storage quota is exhausted: ${what} ${version} was not written` +
        (what === 'commit' ? ' and the transaction was rolled back' : '') +
        '; free some space (delete data this origin keeps) and retry',
      options,
    )
  }
}

/**
 * Another writer (another tab on the same database) committed first: the commit's version is not the
 * stored version + 1. Nothing was written; the store reverts its commits from `version` on and catches up
 * through `watch`. A `CommitConflictError`, as the store's own conflicts are, so one `instanceof` check
 * covers both.
 */
export class ConflictError extends CommitConflictError {
  override name = 'ConflictError'
  constructor(
    readonly database: string,
    /** The version the commit (or checkpoint) would have had. */
    version: number,
    /** The version the database holds. */
    readonly stored: number,
  ) {
    super(version)
    this.message =
      `IndexedDB '${database}': version ${version} conflicts: the database is at version ${stored} (another tab wrote to it); ` +
      'nothing was written and the store reverts its commits from that version on; redo the transaction on the caught-up store'
  }
}

/**
 * A `watch` listener missed commits that are no longer in the log (the tab slept through more than
 * `logRetention` commits of other tabs). The store can no longer follow the database: reload it.
 */
export class LogGapError extends IndexedDbStorageError {
  override name = 'LogGapError'
  constructor(
    database: string,
    /** The last version this storage saw. */
    readonly seen: number,
    /** The oldest commit the log still holds. */
    readonly oldest: number,
  ) {
    super(
      database,
      `this tab saw commits up to version ${seen}, and the log now starts at ${oldest}: the commits in between are gone; ` +
        'reopen the store (reload the page) to load the current state',
    )
  }
}

/** The storage was closed (by `close`, or because another tab upgrades the database). */
export class StorageClosedError extends IndexedDbStorageError {
  override name = 'StorageClosedError'
  constructor(database: string, reason: string) {
    super(database, `the storage is closed (${reason}); open a new store to go on`)
  }
}
