import { SteppingError } from '@stepping/core'

/** Base class of the errors `sqliteStorage` throws about its file; `path` is the database file. */
export class SqliteStorageError extends SteppingError {
  override name = 'SqliteStorageError'
  constructor(
    readonly path: string,
    message: string,
    options?: { cause: unknown },
  ) {
    super(`'${path}': ${message}`, options)
  }
}

/** The file exists but is not a SQLite database, or its header is damaged. */
export class NotADatabaseError extends SqliteStorageError {
  override name = 'NotADatabaseError'
  constructor(path: string, options: { cause: unknown }) {
    super(
      path,
      'is not a SQLite database, or it is corrupt; give sqliteStorage a new path, or restore the file from a backup',
      options,
    )
  }
}

/** The file is a SQLite database that some other program owns: it has tables but no stepping metadata. */
export class ForeignDatabaseError extends SqliteStorageError {
  override name = 'ForeignDatabaseError'
  constructor(
    path: string,
    readonly tables: readonly string[],
  ) {
    super(
      path,
      `is a SQLite database but not a stepping store (it has ${tables.map((t) => `'${t}'`).join(', ')} and no stepping_meta table); ` +
        'give sqliteStorage a file of its own',
    )
  }
}

/** The store was written by a newer `@stepping/sync-server`, in a storage format this one cannot read. */
export class NewerFormatError extends SqliteStorageError {
  override name = 'NewerFormatError'
  constructor(
    path: string,
    readonly found: number,
    readonly supported: number,
  ) {
    super(
      path,
      `was written in storage format ${found}, and this @stepping/sync-server reads formats up to ${supported}; ` +
        'upgrade @stepping/sync-server to open it',
    )
  }
}

/** The metadata lists a collection whose table is gone: the file was changed outside stepping. */
export class MissingTableError extends SqliteStorageError {
  override name = 'MissingTableError'
  constructor(
    path: string,
    readonly collection: string,
    readonly table: string,
  ) {
    super(
      path,
      (collection === table
        ? `stepping's table '${table}' is missing (the file was changed outside stepping); `
        : `the store lists collection '${collection}' but its table '${table}' is missing (the file was changed outside stepping); `) +
        'restore the file from a backup',
    )
  }
}

/**
 * The disk (or the database's `max_page_count`) was full while a commit was written. Nothing of the commit
 * was kept, and the store rolled the transaction back: free space and commit again.
 */
export class StorageFullError extends SqliteStorageError {
  override name = 'StorageFullError'
  constructor(
    path: string,
    readonly version: number,
    options: { cause: unknown },
  ) {
    super(path, `the disk is full: commit ${version} was not written and the transaction was rolled back; free some space and retry`, options)
  }
}
