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
export { createSyncServer } from './server'
export type { SyncLimits, SyncServer, SyncServerOptions } from './server'
export type { ServerMutator } from './mutations'
export { publish } from './publish'
export type { Identity, Publication, PublishOptions } from './publish'
export { syncClients, syncMeta } from './clients'
export type { RejectedMutation, SyncClientRecord } from './clients'
