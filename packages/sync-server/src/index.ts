export { sqliteStorage, STORAGE_FORMAT } from './storage-sqlite'
export type { SqliteStorage, SqliteStorageOptions } from './storage-sqlite'
export {
  SqliteStorageError,
  NotADatabaseError,
  ForeignDatabaseError,
  NewerFormatError,
  MissingTableError,
  StorageFullError,
} from './errors'
