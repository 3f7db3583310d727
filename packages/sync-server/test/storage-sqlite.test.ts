import Database from 'better-sqlite3'
import { writeFileSync } from 'node:fs'
import { collection, createStore, SteppingError, sum, view } from '@stepping/core'
import { describe, expect, test } from 'vitest'
import { storageContract } from '../../core/test/storage-contract'
import {
  ForeignDatabaseError,
  MissingTableError,
  NewerFormatError,
  NotADatabaseError,
  sqliteStorage,
  StorageFullError,
  STORAGE_FORMAT,
  type SqliteStorage,
} from '../src/index'
import { tempDir } from './tmp'

storageContract('sqliteStorage', () => {
  const tmp = tempDir()
  const path = tmp.file('store.db')
  let current: SqliteStorage = sqliteStorage(path)
  const closeCurrent = () => {
    if (current.database.open) current.close()
  }
  return {
    storage: current,
    reopen() {
      closeCurrent()
      return (current = sqliteStorage(path))
    },
    cleanup() {
      closeCurrent()
      tmp.remove()
    },
  }
})

interface Line {
  readonly id: number
  readonly order: string
  readonly amount: number
}
const lines = collection<Line>('lines', { key: 'id' })
const totals = view('totals', lines.groupBy((l) => l.order, { total: sum((l) => l.amount) }))

/** Runs `fn` with a path in a fresh temporary directory, removed afterwards. */
function withFile(fn: (path: string) => void): () => void {
  return () => {
    const tmp = tempDir()
    try {
      fn(tmp.file('store.db'))
    } finally {
      tmp.remove()
    }
  }
}

/** A store file with one committed transaction in 'lines'. */
function writeStore(path: string): void {
  const store = createStore({ views: [totals], storage: sqliteStorage(path) })
  store.transact((tx) => tx.insert(lines, { id: 1, order: 'a', amount: 5 }))
  store.close()
}

describe('sqliteStorage', () => {
  test(
    'a reopened store reads a collection in the order the store that wrote it did: an updated row in its place',
    withFile((path) => {
      const store = createStore({ views: [totals], storage: sqliteStorage(path) })
      store.transact((tx) => tx.insert(lines, [3, 1, 2, 4].map((id) => ({ id, order: 'a', amount: id }))))
      store.transact((tx) => {
        tx.update(lines, 3, { amount: 30 })
        tx.delete(lines, 1)
      })
      store.transact((tx) => tx.insert(lines, { id: 1, order: 'b', amount: 1 }))
      store.transact((tx) => tx.update(lines, 2, (l) => void (l.order = 'b')))
      const order = store.read(lines).map((l) => l.id)
      expect(order).toEqual([3, 2, 4, 1])
      store.close()
      const reopened = createStore({ views: [totals], storage: sqliteStorage(path) })
      expect(reopened.read(lines).map((l) => l.id)).toEqual(order)
      expect(reopened.read(lines)).toEqual(store.read(lines))
      reopened.close()
    }),
  )

  test(
    'opens the file in WAL mode with synchronous = FULL, so a returned append is durable',
    withFile((path) => {
      const storage = sqliteStorage(path)
      expect(storage.database.pragma('journal_mode', { simple: true })).toBe('wal')
      expect(storage.database.pragma('synchronous', { simple: true })).toBe(2)
      storage.close()
    }),
  )

  test(
    'one table per collection, keys stored with a type tag, and the version in stepping_meta',
    withFile((path) => {
      const storage = sqliteStorage(path)
      storage.append({
        version: 1,
        changes: new Map([['things', [{ key: 1, row: { k: 1 }, weight: 1 }, { key: '1', row: { k: '1' }, weight: 1 }]]]),
      })
      storage.close()
      const db = new Database(path, { readonly: true })
      expect(db.prepare('SELECT key, value FROM stepping_meta ORDER BY key').all()).toEqual([
        { key: 'format', value: STORAGE_FORMAT },
        { key: 'version', value: 1 },
      ])
      expect(db.prepare('SELECT name, table_name FROM stepping_collections').all()).toEqual([{ name: 'things', table_name: 'c1_things' }])
      expect(db.prepare('SELECT id FROM c1_things ORDER BY id').pluck().all()).toEqual(['n1', 's1'])
      db.close()
    }),
  )

  test(
    'collection names differing in case or full of symbols get tables of their own',
    withFile((path) => {
      const storage = sqliteStorage(path)
      const changes = new Map([
        ['Users', [{ key: 1, row: { n: 'U' }, weight: 1 }]],
        ['users', [{ key: 1, row: { n: 'u' }, weight: 1 }]],
        ['we"ird name;', [{ key: 1, row: { n: 'w' }, weight: 1 }]],
      ])
      storage.append({ version: 1, changes })
      storage.close()
      const reopened = sqliteStorage(path)
      const loaded = reopened.load()
      reopened.close()
      expect(Object.fromEntries(loaded?.collections ?? [])).toEqual({ Users: [{ n: 'U' }], users: [{ n: 'u' }], 'we"ird name;': [{ n: 'w' }] })
    }),
  )

  test(
    'a file that is not a SQLite database: NotADatabaseError',
    withFile((path) => {
      writeFileSync(path, 'this is a text file, not a database\n'.repeat(200))
      expect(() => sqliteStorage(path)).toThrow(NotADatabaseError)
      expect(() => sqliteStorage(path)).toThrow(/is not a SQLite database, or it is corrupt; give sqliteStorage a new path/)
    }),
  )

  test(
    'a SQLite database whose header is damaged: NotADatabaseError',
    withFile((path) => {
      writeStore(path)
      const bytes = Buffer.alloc(100, 0xab)
      writeFileSync(path, bytes)
      const error = catchError(() => sqliteStorage(path))
      expect(error).toBeInstanceOf(NotADatabaseError)
      expect(error).toBeInstanceOf(SteppingError)
      expect((error as NotADatabaseError).name).toBe('NotADatabaseError')
    }),
  )

  test(
    "another program's SQLite database: ForeignDatabaseError naming its tables",
    withFile((path) => {
      const db = new Database(path)
      db.exec('CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)')
      db.close()
      const error = catchError(() => sqliteStorage(path))
      expect(error).toBeInstanceOf(ForeignDatabaseError)
      expect((error as ForeignDatabaseError).tables).toEqual(['invoices'])
      expect(String(error)).toMatch(/ForeignDatabaseError: '.*store\.db': is a SQLite database but not a stepping store \(it has 'invoices'/)
      const untouched = new Database(path, { readonly: true })
      expect(untouched.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all()).toEqual(['invoices'])
      untouched.close()
    }),
  )

  test(
    'a store written in a newer format: NewerFormatError',
    withFile((path) => {
      writeStore(path)
      const db = new Database(path)
      db.prepare("UPDATE stepping_meta SET value = ? WHERE key = 'format'").run(STORAGE_FORMAT + 1)
      db.close()
      const error = catchError(() => sqliteStorage(path))
      expect(error).toBeInstanceOf(NewerFormatError)
      expect(error).toMatchObject({ found: STORAGE_FORMAT + 1, supported: STORAGE_FORMAT })
      expect(String(error)).toMatch(/upgrade @stepping\/sync-server/)
    }),
  )

  test(
    'a listed collection whose table was dropped: MissingTableError',
    withFile((path) => {
      writeStore(path)
      const db = new Database(path)
      db.exec('DROP TABLE c1_lines')
      db.close()
      const error = catchError(() => sqliteStorage(path))
      expect(error).toBeInstanceOf(MissingTableError)
      expect(error).toMatchObject({ collection: 'lines', table: 'c1_lines' })
    }),
  )

  test(
    'an empty file, or an empty SQLite database, opens as a new store',
    withFile((path) => {
      writeFileSync(path, '')
      const storage = sqliteStorage(path)
      expect(storage.load()).toBeUndefined()
      storage.close()
    }),
  )

  test(
    'a full disk: StorageFullError, the transaction rolls back, memory and file agree, and it recovers',
    withFile((path) => {
      const storage = sqliteStorage(path)
      const store = createStore({ views: [totals], storage })
      store.transact((tx) => tx.insert(lines, { id: 1, order: 'a', amount: 1 }))
      // The file may not grow past its current size: the next large commit finds the "disk" full.
      const pages = storage.database.pragma('page_count', { simple: true }) as number
      storage.database.pragma(`max_page_count = ${pages + 1}`)
      const big = Array.from({ length: 2000 }, (_, i) => ({ id: i + 2, order: i % 2 ? 'a' : 'b', amount: 1 }))
      const error = catchError(() => store.transact((tx) => tx.insert(lines, big)))
      expect(error).toBeInstanceOf(StorageFullError)
      expect(error).toMatchObject({ version: 2 })
      expect((error as StorageFullError).cause).toMatchObject({ code: 'SQLITE_FULL' })
      expect(store.version).toBe(1)
      expect(store.read(totals)).toEqual([{ key: 'a', total: 1 }])
      expect(storage.load()).toMatchObject({ version: 1, collections: new Map([['lines', [{ id: 1, order: 'a', amount: 1 }]]]) })

      // A first commit into a new collection that fails leaves no trace of that collection either.
      const other = collection<{ id: number; blob: string }>('blobs', { key: 'id' })
      expect(() => store.transact((tx) => tx.insert(other, { id: 1, blob: 'x'.repeat(50_000) }))).toThrow(StorageFullError)

      storage.database.pragma('max_page_count = 1073741823')
      store.transact((tx) => {
        tx.insert(lines, big)
        tx.insert(other, { id: 1, blob: 'y' })
      })
      expect(store.version).toBe(2)
      store.close()
      const file = sqliteStorage(path)
      expect(file.load()?.collections.get('blobs')).toEqual([{ id: 1, blob: 'y' }])
      const reopened = createStore({ views: [totals], storage: file })
      expect(reopened.version).toBe(2)
      expect(reopened.read(totals)).toEqual(expect.arrayContaining([{ key: 'a', total: 1001 }, { key: 'b', total: 1000 }]))
      reopened.close()
    }),
  )
})

function catchError(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  throw new Error('expected a throw')
}
