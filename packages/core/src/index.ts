export { collection, view, recursive, Collection, Relation, OrderedRelation, PartitionedRelation, View } from './relation'
export type { RecursiveOptions, CollectionOptions, Direction, Grouped, KeyField, LimitOptions, Order, Plan, Selector, Source } from './relation'
export { count, sum, avg, min, max, reducer } from './aggregates'
export type { Aggregate, AggregateResult, AggregateState } from './aggregates'
export { createStore, Store } from './store'
export type { Readable, StoreDescription, StoreOptions } from './store'
export type { Listener } from './subscriptions'
export { Transaction } from './transaction'
export { memoryStorage, writtenIds } from './storage'
export type { Checkpoint, CommitRecord, MemoryStorage, Storage, StoredCheckpoint, StoredState, ViewState } from './storage'
export { viewHash } from './checkpoint'
export type { Change, Delta } from './zset'
export { deepEqual } from './zset'
export { compareValues, isKey, keyId } from './key'
export type { Key, KeyId } from './key'
export type { OperatorInfo } from './circuit'
export {
  SteppingError,
  DuplicateKeyError,
  MissingKeyError,
  InvalidRowError,
  OperatorError,
  KeyCollisionError,
  RecursionLimitError,
  SchemaVersionError,
  CommitConflictError,
  UsageError,
} from './errors'
export { connect, SyncClient } from './sync/client'
export type { ClientMutator, ClientMutators, ConnectOptions, MutatorArgs, SubscriptionSpec, SyncStatus } from './sync/client'
export { SyncError, MutationRejectedError, UnknownMutatorError } from './sync/errors'
export { mergeDiffs } from './sync/merge'
export { memorySyncPersistence } from './sync/persistence'
export type { PersistedSubscription, SubscriptionWrite, SyncPersistence, SyncSnapshot, SyncWrite } from './sync/persistence'
export { CloseCode, decodeClientMessage, decodeServerMessage, encode, ErrorCode, isRefusal, PROTOCOL_VERSION } from './sync/protocol'
export type {
  AckMessage,
  ClientMessage,
  DecodeLimits,
  DiffMessage,
  ErrorMessage,
  HelloMessage,
  MutationMessage,
  PingMessage,
  PongMessage,
  PushMessage,
  Refusal,
  ServerMessage,
  SubscribeMessage,
  UnsubscribeMessage,
  WelcomeMessage,
} from './sync/protocol'
export type { SyncSocket, SyncSocketConstructor } from './sync/socket'
