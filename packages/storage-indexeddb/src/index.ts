export { indexedDbStorage, STORAGE_FORMAT } from './storage-indexeddb'
export type { IndexedDbStorage, IndexedDbStorageOptions } from './storage-indexeddb'
export {
  IndexedDbStorageError,
  ConflictError,
  ForeignDatabaseError,
  LogGapError,
  MissingStoreError,
  NewerFormatError,
  StorageClosedError,
  StorageFullError,
} from './errors'
export { indexedDbSyncPersistence } from './sync-persistence'
