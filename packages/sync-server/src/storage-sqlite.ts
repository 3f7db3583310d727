import Database from 'better-sqlite3'
import { keyId, writtenIds, type Checkpoint, type CommitRecord, type Delta, type KeyId, type Storage, type StoredState, type ViewState } from '@stepping/core'
import superjson, { type SuperJSONResult } from 'superjson'
import { ForeignDatabaseError, MissingTableError, NewerFormatError, NotADatabaseError, StorageFullError } from './errors'

/**
 * The layout this module writes, kept in `stepping_meta` under 'format'. Raise it when the layout changes
 * in a way an older reader would misread; a reader refuses a newer format (`NewerFormatError`).
 *
 * Format 1:
 * - `stepping_meta(key, value)`: 'format' and 'version' (the store version of the last commit, 0 when new);
 * - `stepping_collections(name, table_name)`: every collection ever written and its table;
 * - one table per collection, `(id TEXT PRIMARY KEY, json TEXT, meta TEXT)`: `id` is the row's key id with
 *   a type tag (so 1 and '1' stay apart), `json`/`meta` are superjson's two halves of the row (`meta` is
 *   NULL for plain JSON rows, which then load with one `JSON.parse`).
 *
 * Format 2 adds (a format-1 file is upgraded in place when opened):
 * - `stepping_schemas(name, version)`: each collection's schema version, when a commit recorded one;
 * - `stepping_views(name, hash, json, meta)`: the last checkpoint, one row per view (superjson halves of
 *   its saved state), at the version kept in `stepping_meta` under 'checkpoint';
 * - `stepping_log(version, json, meta)`: every commit made after the checkpoint (superjson halves of its
 *   changes), written only while a checkpoint exists and trimmed by each new one.
 */
export const STORAGE_FORMAT = 2

/** Options of `sqliteStorage`. */
export interface SqliteStorageOptions {
  /** How long a statement waits for a lock another connection holds before failing, in ms (default 5000). */
  readonly busyTimeout?: number
}

/** A `Storage` in one SQLite file. `load` is synchronous, so a store on it is ready at once. */
export interface SqliteStorage extends Storage {
  load(): StoredState | undefined
  append(commit: CommitRecord): void
  checkpoint(checkpoint: Checkpoint): void
  close(): void
  /** The database file. */
  readonly path: string
  /**
   * The better-sqlite3 connection, for inspection and pragmas. Writing to the stepping tables through it
   * bypasses the store, whose memory would then disagree with the file.
   */
  readonly database: Database.Database
}

interface Table {
  readonly put: Database.Statement<[string, string, string | null]>
  readonly remove: Database.Statement<[string]>
  readonly all: Database.Statement<[], [string, string | null]>
}

/**
 * Persists a store's input collections in the SQLite file at `path` (created when missing), one table per
 * collection. Every `append` writes the whole commit and the new version in one SQLite transaction that
 * is durable when `append` returns (WAL, `synchronous = FULL`): after a crash the file holds exactly the
 * commits the store reported, each one whole.
 *
 * Opening checks the file and throws `NotADatabaseError` (not SQLite, or corrupt), `ForeignDatabaseError`
 * (another program's database), `NewerFormatError` or `MissingTableError`; `append` throws
 * `StorageFullError` when the disk is full, after which the store has rolled the transaction back.
 */
export function sqliteStorage(path: string, options: SqliteStorageOptions = {}): SqliteStorage {
  const db = new Database(path, { timeout: options.busyTimeout ?? 5000 })
  let tables: Map<string, Table>
  try {
    tables = open(db, path)
  } catch (error) {
    db.close()
    throw error
  }
  const getVersion = db.prepare<[], number>("SELECT value FROM stepping_meta WHERE key = 'version'").pluck()
  const setVersion = db.prepare<[number]>("UPDATE stepping_meta SET value = ? WHERE key = 'version'")
  const addCollection = db.prepare<[string, string]>('INSERT INTO stepping_collections (name, table_name) VALUES (?, ?)')
  const getCheckpoint = db.prepare<[], number | null>("SELECT value FROM stepping_meta WHERE key = 'checkpoint'").pluck()
  const setCheckpoint = db.prepare<[number]>("INSERT INTO stepping_meta (key, value) VALUES ('checkpoint', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
  const setSchema = db.prepare<[string, number]>('INSERT INTO stepping_schemas (name, version) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET version = excluded.version')
  const allSchemas = db.prepare<[], [string, number]>('SELECT name, version FROM stepping_schemas').raw()
  const putView = db.prepare<[string, string, string, string | null]>('INSERT INTO stepping_views (name, hash, json, meta) VALUES (?, ?, ?, ?)')
  const allViews = db.prepare<[], [string, string, string, string | null]>('SELECT name, hash, json, meta FROM stepping_views').raw()
  const clearViews = db.prepare('DELETE FROM stepping_views')
  const putLog = db.prepare<[number, string, string | null]>('INSERT INTO stepping_log (version, json, meta) VALUES (?, ?, ?)')
  const logAfter = db.prepare<[number], [number, string, string | null]>('SELECT version, json, meta FROM stepping_log WHERE version > ? ORDER BY version').raw()
  const trimLog = db.prepare<[number]>('DELETE FROM stepping_log WHERE version <= ?')
  // Whether a checkpoint exists, and so whether commits are logged for replay after it.
  let checkpointed = getCheckpoint.get() != null
  // Tables created by the commit being written: forgotten again if its transaction rolls back.
  const created: string[] = []

  const table = (name: string): Table => {
    const found = tables.get(name)
    if (found) return found
    const tableName = `c${tables.size + 1}_${name.replace(/[^A-Za-z0-9_]/g, '_')}`
    db.exec(`CREATE TABLE ${quote(tableName)} (id TEXT PRIMARY KEY NOT NULL, json TEXT NOT NULL, meta TEXT)`)
    addCollection.run(name, tableName)
    const t = prepare(db, tableName)
    tables.set(name, t)
    created.push(name)
    return t
  }

  const write = db.transaction((commit: CommitRecord) => {
    for (const [name, delta] of commit.changes) {
      const t = table(name)
      // Consolidated: a key's −1 (old row) and +1 (new row) may both be here. The upsert replaces an
      // updated row in place (its rowid, the order rows load in, stays); only the other −1 keys are deleted.
      const written = writtenIds(delta)
      for (const c of delta) if (c.weight < 0 && !written.has(keyId(c.key))) t.remove.run(encodeId(keyId(c.key)))
      for (const c of delta) {
        if (c.weight <= 0) continue
        t.put.run(encodeId(keyId(c.key)), ...serialize(c.row))
      }
    }
    for (const [name, version] of commit.schemas ?? []) setSchema.run(name, version)
    if (checkpointed) putLog.run(commit.version, ...serialize([...commit.changes]))
    setVersion.run(commit.version)
  })

  const saveCheckpoint = db.transaction((checkpoint: Checkpoint) => {
    const version = getVersion.get() ?? 0
    if (checkpoint.version !== version)
      throw new RangeError(`sqliteStorage: a checkpoint at version ${checkpoint.version} for a file at version ${version}`)
    clearViews.run()
    for (const [name, { hash, state }] of checkpoint.views) putView.run(name, hash, ...serialize(state))
    setCheckpoint.run(checkpoint.version)
    trimLog.run(checkpoint.version)
  })

  return {
    path,
    database: db,
    load() {
      const version = getVersion.get() ?? 0
      if (version === 0) return undefined
      const collections = new Map<string, unknown[]>()
      for (const [name, t] of tables) collections.set(name, t.all.all().map(decode))
      const schemas = new Map(allSchemas.all())
      const at = getCheckpoint.get()
      if (at == null) return { version, collections, schemas }
      const views = new Map<string, ViewState>()
      for (const [name, hash, json, meta] of allViews.all()) views.set(name, { hash, state: decode([json, meta]) })
      const log = logAfter.all(at).map(([v, json, meta]): CommitRecord => ({
        version: v,
        changes: new Map(decode([json, meta]) as [string, Delta<unknown>][]),
      }))
      return { version, collections, schemas, checkpoint: { version: at, views, log } }
    },
    append(commit) {
      created.length = 0
      try {
        write(commit)
      } catch (error) {
        for (const name of created) tables.delete(name)
        if (error instanceof Database.SqliteError && error.code === 'SQLITE_FULL')
          throw new StorageFullError(path, commit.version, { cause: error })
        throw error
      }
    },
    checkpoint(checkpoint) {
      try {
        saveCheckpoint(checkpoint)
      } catch (error) {
        if (error instanceof Database.SqliteError && error.code === 'SQLITE_FULL')
          throw new StorageFullError(path, checkpoint.version, { cause: error })
        throw error
      }
      checkpointed = true
    },
    close() {
      db.close()
    },
  }
}

/** Checks the file, creates the schema in a new one, and prepares every collection's statements. */
function open(db: Database.Database, path: string): Map<string, Table> {
  let existing: string[]
  try {
    existing = db.prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all()
  } catch (error) {
    if (error instanceof Database.SqliteError && (error.code === 'SQLITE_NOTADB' || error.code === 'SQLITE_CORRUPT'))
      throw new NotADatabaseError(path, { cause: error })
    throw error
  }
  if (existing.length > 0 && !existing.includes('stepping_meta')) throw new ForeignDatabaseError(path, existing)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = FULL')
  if (existing.length === 0) {
    db.transaction(() => {
      db.exec(`
        CREATE TABLE IF NOT EXISTS stepping_meta (key TEXT PRIMARY KEY NOT NULL, value) ;
        CREATE TABLE IF NOT EXISTS stepping_collections (name TEXT PRIMARY KEY NOT NULL, table_name TEXT NOT NULL UNIQUE) ;
        INSERT OR IGNORE INTO stepping_meta (key, value) VALUES ('format', ${STORAGE_FORMAT}), ('version', 0) ;
        ${FORMAT_2}
      `)
    }).immediate()
  }
  const format = db.prepare<[], unknown>("SELECT value FROM stepping_meta WHERE key = 'format'").pluck().get()
  if (typeof format !== 'number' || !Number.isInteger(format)) throw new ForeignDatabaseError(path, existing)
  if (format > STORAGE_FORMAT) throw new NewerFormatError(path, format, STORAGE_FORMAT)
  if (format < STORAGE_FORMAT)
    db.transaction(() => {
      db.exec(FORMAT_2)
      db.prepare("UPDATE stepping_meta SET value = ? WHERE key = 'format'").run(STORAGE_FORMAT)
    }).immediate()
  const tables = new Map<string, Table>()
  const present = new Set(db.prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all())
  const listed = db.prepare<[], { name: string; table_name: string }>('SELECT name, table_name FROM stepping_collections ORDER BY rowid').all()
  for (const name of ['stepping_schemas', 'stepping_views', 'stepping_log'])
    if (!present.has(name)) throw new MissingTableError(path, name, name)
  for (const { name, table_name } of listed) {
    if (!present.has(table_name)) throw new MissingTableError(path, name, table_name)
    tables.set(name, prepare(db, table_name))
  }
  return tables
}

function prepare(db: Database.Database, tableName: string): Table {
  const t = quote(tableName)
  return {
    put: db.prepare(`INSERT INTO ${t} (id, json, meta) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET json = excluded.json, meta = excluded.meta`),
    remove: db.prepare(`DELETE FROM ${t} WHERE id = ?`),
    all: db.prepare<[], [string, string | null]>(`SELECT json, meta FROM ${t}`).raw(),
  }
}

const quote = (identifier: string): string => `"${identifier.replaceAll('"', '""')}"`

/** The key id as TEXT, tagged with its type: 's1' (the string '1') and 'n1' (the number 1) stay apart. */
function encodeId(id: KeyId): string {
  switch (typeof id) {
    case 'string':
      return `s${id}`
    case 'number':
      return `n${id}`
    case 'boolean':
      return `b${id}`
    default:
      return 'null'
  }
}

/** The tables format 2 added. */
const FORMAT_2 = `
  CREATE TABLE IF NOT EXISTS stepping_schemas (name TEXT PRIMARY KEY NOT NULL, version INTEGER NOT NULL) ;
  CREATE TABLE IF NOT EXISTS stepping_views (name TEXT PRIMARY KEY NOT NULL, hash TEXT NOT NULL, json TEXT NOT NULL, meta TEXT) ;
  CREATE TABLE IF NOT EXISTS stepping_log (version INTEGER PRIMARY KEY NOT NULL, json TEXT NOT NULL, meta TEXT) ;
`

/**
 * superjson's two halves of a value as TEXT: `meta` is null for plain JSON, which loads with `JSON.parse`.
 * Most values are plain JSON, so one `JSON.stringify` with a watchful replacer goes first; only a value
 * holding something JSON would lose (a date, undefined, a map, a set, a bigint, NaN, ±Infinity, −0) pays
 * for superjson's walk.
 */
function serialize(value: unknown): [string, string | null] {
  let plain = true
  const text = JSON.stringify(value, function (this: unknown, key: string, v: unknown) {
    if (plain && !isPlain((this as Record<string, unknown>)[key])) plain = false
    return plain ? v : null
  })
  if (plain && text !== undefined) return [text, null]
  const { json, meta } = superjson.serialize(value)
  return [JSON.stringify(json), meta === undefined ? null : JSON.stringify(meta)]
}

/** Whether JSON carries `v` itself unchanged (containers are checked member by member as the walk goes). */
function isPlain(v: unknown): boolean {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return true
    case 'number':
      return Number.isFinite(v) && !Object.is(v, -0)
    case 'object':
      if (v === null || Array.isArray(v)) return true
      {
        const proto: unknown = Object.getPrototypeOf(v)
        return proto === Object.prototype || proto === null
      }
    default:
      return false
  }
}

function decode([json, meta]: [string, string | null]): unknown {
  const value = JSON.parse(json) as SuperJSONResult['json']
  return meta === null ? value : superjson.deserialize({ json: value, meta: JSON.parse(meta) as NonNullable<SuperJSONResult['meta']> })
}
