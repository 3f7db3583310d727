import { loadView, saveView, viewHash, type Rebuild } from './checkpoint'
import { Circuit, type OperatorInfo } from './circuit'
import { CommitConflictError, InternalError, SchemaVersionError, UsageError } from './errors'
import { keyId, type Key, type KeyId } from './key'
import type { Operator } from './operators/operator'
import { Collection, View, type Source } from './relation'
import type { CommitRecord, Storage, StoredState, ViewState } from './storage'
import { Transaction } from './transaction'
import { Subscriptions, type Listener } from './subscriptions'
import { NO_UNDO, UndoLog } from './undo'
import { change, eachSlotRow, KeyedZSet, slotKey, slotRow, type Change, type Delta } from './zset'

/** Anything a store can read: a view, or an input collection. */
export type Readable<T, P extends Key = never> = View<T, P> | Collection<T>

/** Options of `createStore`. */
export interface StoreOptions {
  /** The views to maintain. Collections they read are part of the store. */
  readonly views?: readonly View<unknown, Key>[]
  /** Collections to hold even though no view reads them. */
  readonly collections?: readonly { readonly source: Source }[]
  /**
   * Where inputs are persisted. Without one the store lives in memory only (its own tables are the
   * state); pass `memoryStorage()` to keep a commit log and reopen a second store on it.
   */
  readonly storage?: Storage
  /** Called when a listener throws; the default logs with `console.error`. */
  readonly onListenerError?: (error: unknown, source: string) => void
  /**
   * Commits between automatic checkpoints: every view's operator state is saved to storage, so that
   * reopening restores views instead of recomputing them (the store also checkpoints on `close`).
   * Default 10,000; 0 saves only on `close` and `store.checkpoint()`. Ignored by storages without
   * checkpoints.
   */
  readonly checkpointEvery?: number
  /**
   * Called when asynchronous storage fails after the fact and nobody awaits `store.flush()`: commits it
   * could not make durable (they were reverted) or a checkpoint it could not save. Default `console.error`.
   */
  readonly onStorageError?: (error: unknown) => void
}

/** What `store.describe()` returns: the circuit, for devtools and debugging. */
export interface StoreDescription {
  readonly version: number
  readonly collections: readonly { readonly name: string; readonly operator: number; readonly rows: number }[]
  readonly views: readonly {
    readonly name: string
    readonly operator: number
    readonly ordered: boolean
    readonly partitioned: boolean
    readonly rows: number
    readonly subscribers: number
  }[]
  readonly operators: readonly OperatorInfo[]
  /** Live subscriptions on the store, all views and collections together. */
  readonly subscribers: number
}

/**
 * A store: input collections, the circuit of its views, and their materialized rows. Every change goes
 * through `transact`, which runs one circuit step; readers and subscribers only ever see committed steps.
 */
export class Store {
  #circuit: Circuit
  readonly #tables = new Map<Source, TableRecord>()
  /** The values of `#tables`, for the check every commit makes (a map's iterators are allocated). */
  readonly #tableList: TableRecord[] = []
  readonly #storage: Storage | undefined
  readonly #undo = new UndoLog()
  readonly #subscriptions: Subscriptions
  #version = 0
  #inTransaction = false
  /** Stored rows of collections the store has not met yet, by collection name, with their schema version. */
  readonly #dormant = new Map<string, { rows: readonly unknown[]; version: number }>()
  #loading = false
  #failed: unknown = undefined
  /** Commits applied in memory whose asynchronous append has not settled, oldest first. */
  readonly #pending: { version: number; inputs: ReadonlyMap<Source, Delta<unknown>> }[] = []
  /** `flush` callers, each waiting for every commit up to `version` to be durable. */
  #waiters: { version: number; resolve: () => void; reject: (error: unknown) => void }[] = []
  /** Storage-only changes to write with the next commit: migrated rows of collections, by name. */
  readonly #carry = new Map<string, Change<unknown>[]>()
  /** Schema versions to record with the next commit. */
  readonly #schemas = new Map<string, number>()
  readonly #checkpointEvery: number
  readonly #onStorageError: (error: unknown) => void
  #sinceCheckpoint = 0
  #unwatch: (() => void) | undefined

  constructor(options: StoreOptions = {}) {
    this.#circuit = new Circuit(options.views ?? [], (view) => this.#subscriptions.has(view), (source) => this.#table(source).table)
    for (const c of options.collections ?? []) this.#circuit.input(c.source)
    this.#storage = options.storage
    for (const source of this.#circuit.inputs.keys()) this.#table(source)
    const every = options.checkpointEvery ?? 10_000
    if (!Number.isInteger(every) || every < 0) throw new RangeError(`checkpointEvery must be a non-negative integer, got ${options.checkpointEvery}`)
    // Without checkpoints in storage there is nothing to save: no commit looks at the count.
    this.#checkpointEvery = options.storage?.checkpoint === undefined ? 0 : every
    this.#onStorageError = options.onStorageError ?? ((error) => console.error('stepping: storage failed', error))
    this.#subscriptions = new Subscriptions(
      options.onListenerError ?? ((error, source) => console.error(`stepping: a listener of '${source}' threw`, error)),
    )
    this.ready = this.#load()
    // A rejected `ready` nobody awaits must not crash the process: the failure is reported by transact.
    this.ready.catch(() => undefined)
  }

  /**
   * Settles once the store has loaded its storage: at once for synchronous storage (memory, SQLite),
   * later for asynchronous storage (IndexedDB). Rejects with the storage's error if loading failed.
   */
  readonly ready: Promise<void>

  /** False while an asynchronous storage is still loading (views read empty until then). */
  get isReady(): boolean {
    return !this.#loading && this.#failed === undefined
  }

  /** The version of the last committed transaction (0 for a new, empty store). */
  get version(): number {
    return this.#version
  }

  /**
   * Runs `fn` as one atomic transaction and returns what it returns. Either every change it makes and
   * every view update it causes is applied, or (it threw, a key was duplicate or missing, a view's
   * function threw, storage refused) nothing is: inputs, views, snapshots and subscribers are as before,
   * and the error is rethrown. Subscribers hear of it after it commits.
   */
  transact<R>(fn: (tx: Transaction) => R): R {
    if (this.#inTransaction) throw new UsageError('transact was called inside a transaction; transactions do not nest')
    if (this.#failed !== undefined) throw new UsageError('this store failed to load from its storage', { cause: this.#failed })
    if (this.#loading) throw new UsageError('the store is still loading from its storage; await store.ready first')
    const tx = new Transaction(this.#tableOf)
    let result: R
    // Until the commit is applied, a call back into the store (from a view's function) is refused as a
    // nested transaction; `#commit` lifts this before subscribers hear of the commit.
    this.#inTransaction = true
    try {
      try {
        result = fn(tx)
      } catch (error) {
        tx.abandon()
        throw error
      }
      const inputs = tx.close()
      if (inputs.size > 0) this.#commit(inputs, tx)
    } finally {
      this.#inTransaction = false
    }
    return result
  }

  /** The current rows of a view (in order for ordered views; one partition when given) or collection. */
  read<T, P extends Key = never>(source: Readable<T, P>, partition?: NoInfer<P>): readonly T[] {
    if (source instanceof Collection) return this.#readTable(source.source) as readonly T[]
    return this.#sink(source).read(partition) as readonly T[]
  }

  /** One row of a view or collection by key, or undefined. */
  get<T, P extends Key = never>(source: Readable<T, P>, key: Key, partition?: NoInfer<P>): T | undefined {
    if (source instanceof Collection) return this.#table(source.source).table.get(keyId(key)) as T | undefined
    return this.#sink(source).get(key, partition) as T | undefined
  }

  /**
   * Calls `listener` with the diff of every committed transaction that changes `source` (or, with
   * `partition`, that partition of a partitioned view): each non-empty diff exactly once, in commit order,
   * after the commit. A listener that throws does not affect other listeners or the store. Returns the
   * function that unsubscribes.
   */
  subscribe<T, P extends Key = never>(source: Readable<T, P>, listener: Listener<T>, partition?: NoInfer<P>): () => void {
    return this.#subscriptions.add(this.#listened(source), listener as Listener<unknown>, partition === undefined ? {} : { partition })
  }

  /**
   * Calls `listener` with the changes of one row (by key, in whichever partition) each time a committed
   * transaction changes it. Delivery costs O(changed rows) per commit however many rows have listeners,
   * which is what lets a list of row components each follow its own row. Returns the unsubscribe function.
   */
  subscribeRow<T, P extends Key = never>(source: Readable<T, P>, key: Key, listener: Listener<T>): () => void {
    return this.#subscriptions.add(this.#listened(source), listener as Listener<unknown>, { key })
  }

  /**
   * Adds a view to a running store and brings it up to date with the current inputs (its operators are
   * new; existing views are not touched and no version is committed). Adding a view the store has is a
   * no-op. If a function in the view throws on the current rows, the view is not added and the error
   * (an `OperatorError`) is rethrown.
   */
  addView<T, P extends Key>(view: View<T, P>): void {
    const v: View<unknown, Key> = view
    if (this.#circuit.sinks.has(v)) return
    if (this.#inTransaction) throw new UsageError('addView was called inside a transaction')
    // The view's operators are all new: a failed catch-up is undone by dropping them, with no undo log.
    try {
      this.#catchUp(v)
    } catch (error) {
      this.#circuit.reset()
      this.#circuit.removeView(v)
      throw error
    }
    this.#circuit.reset()
  }

  /**
   * Removes a view from the store, with every operator no other view uses; its subscribers hear nothing
   * more. The view can be added again later (it is rebuilt from the inputs).
   */
  removeView<T, P extends Key>(view: View<T, P>): void {
    if (this.#inTransaction) throw new UsageError('removeView was called inside a transaction')
    const v: View<unknown, Key> = view
    this.#subscriptions.drop(v)
    this.#circuit.removeView(v)
  }

  /** True when the store maintains `view`. */
  hasView<T, P extends Key>(view: View<T, P>): boolean {
    return this.#circuit.sinks.has(view)
  }

  /** The circuit: every operator with its kind, inputs, views and state size; every view and collection. */
  describe(): StoreDescription {
    const views = [...this.#circuit.sinks].map(([view, { sink, operator }]) => ({
      name: view.name,
      operator: operator.index,
      ordered: view.order !== undefined,
      partitioned: view.partition !== undefined,
      rows: sink.size,
      subscribers: this.#subscriptions.count(view),
    }))
    return {
      version: this.#version,
      collections: [...this.#tables].map(([source, { table }]) => ({
        name: source.name,
        operator: this.#circuit.input(source).index,
        rows: table.size,
      })),
      views,
      operators: this.#circuit.describe(),
      subscribers: this.#subscriptions.count(),
    }
  }

  /**
   * Resolves once every commit made so far is durable in storage: at once for synchronous storage (whose
   * commits are durable when `transact` returns), later for asynchronous storage (IndexedDB). Rejects with
   * the storage's error if one of them could not be made durable; such commits, and every commit after
   * them, have been reverted in memory (subscribers heard the reverting diff).
   */
  flush(): Promise<void> {
    if (this.#pending.length === 0) return Promise.resolve()
    const version = this.#version
    return new Promise((resolve, reject) => this.#waiters.push({ version, resolve, reject }))
  }

  /**
   * Saves every view's operator state in storage at the current version, so that the next open restores
   * views instead of recomputing them; later commits are replayed on top. State that is a function of the
   * collections through stateless operators is rebuilt from them instead of saved; a view with an operator
   * that cannot save behind other state (a hand-written aggregate without `save`) is rebuilt on open. Waits
   * for pending asynchronous commits first. Does nothing on a storage without checkpoints.
   */
  async checkpoint(): Promise<void> {
    if (this.#storage?.checkpoint === undefined) return
    await this.flush()
    await this.#saveCheckpoint()
  }

  /**
   * Saves a checkpoint when commits were made since the last one (synchronous storage; asynchronous
   * storage when every commit is durable), then closes the storage. The store must not be used afterwards.
   */
  close(): void {
    this.#unwatch?.()
    if (this.#sinceCheckpoint > 0 && this.#pending.length === 0 && this.#failed === undefined && !this.#loading)
      this.#checkpointInBackground()
    this.#storage?.close?.()
  }

  /** Hands storage every view's state; views that cannot save are left out (they rebuild on open). */
  #saveCheckpoint(): Promise<void> {
    const storage = this.#storage
    if (storage?.checkpoint === undefined) return Promise.resolve()
    const views = new Map<string, ViewState>()
    for (const view of this.#circuit.sinks.keys()) {
      const state = saveView(this.#circuit, view)
      if (state !== undefined) views.set(view.name, { hash: viewHash(view), state })
    }
    const saved = this.#sinceCheckpoint
    this.#sinceCheckpoint = 0
    try {
      const result = storage.checkpoint({ version: this.#version, views })
      if (isPromise(result))
        return result.catch((error: unknown) => {
          this.#sinceCheckpoint += saved
          throw error
        })
    } catch (error) {
      this.#sinceCheckpoint += saved
      return Promise.reject(error)
    }
    return Promise.resolve()
  }

  /** Starts loading from storage: at once when `load` is synchronous, else when its promise settles. */
  #load(): Promise<void> {
    const loaded = this.#storage?.load()
    if (!isPromise(loaded)) {
      this.#open(loaded)
      return Promise.resolve()
    }
    this.#loading = true
    return loaded.then(
      (stored) => {
        this.#loading = false
        try {
          this.#open(stored)
        } catch (error) {
          this.#failed = error
          throw error
        }
      },
      (error: unknown) => {
        this.#loading = false
        this.#failed = error
        throw error
      },
    )
  }

  #open(stored: StoredState | undefined): void {
    if (stored !== undefined) this.#restore(stored)
    const storage = this.#storage
    if (storage?.watch) this.#unwatch = storage.watch((commit) => this.#external(commit))
  }

  /**
   * Brings the store to what storage held: collections' rows (migrated where their schema version is
   * older), and views restored from the checkpoint where their definition did not change, else rebuilt
   * from the collections. Subscribers already there hear every row.
   */
  #restore(stored: StoredState): void {
    const byName = new Map<string, Source>()
    for (const source of this.#circuit.inputs.keys()) byName.set(source.name, source)
    const rows = new Map<Source, readonly unknown[]>()
    for (const [name, stored_] of stored.collections) {
      const version = stored.schemas?.get(name) ?? 1
      const source = byName.get(name)
      if (source === undefined) {
        // No view reads it yet: its rows wait until the store meets the collection (see #table).
        this.#dormant.set(name, { rows: stored_, version })
        continue
      }
      rows.set(source, this.#migrate(source, stored_, version))
    }
    const views = this.#circuit.sinks.size
    const rebuilt = this.#restoreViews(stored, byName, rows)
    const inputs = new Map<Source, Delta<unknown>>()
    for (const [source, list] of rows) inputs.set(source, list.map((row) => change(source.key(row), row, 1)))
    this.#applyToTables(inputs)
    this.#version = stored.version
    if (rebuilt.size === views) {
      // Nothing restored: one step feeds every row through the whole circuit.
      this.#circuit.step(inputs, NO_UNDO)
      this.#circuit.reset()
    } else
      for (const view of rebuilt) {
        this.#catchUp(view, inputs)
        this.#circuit.reset()
      }
    this.#enqueueAll()
    this.#subscriptions.deliver()
    const saved = stored.checkpoint?.views.keys() ?? []
    const restored = new Set<string>()
    for (const view of this.#circuit.sinks.keys()) if (!rebuilt.has(view)) restored.add(view.name)
    if ([...saved].some((name) => !restored.has(name)))
      // The checkpoint holds state of views that changed or are gone: replace it now, not at the next one.
      this.#checkpointInBackground()
  }

  /**
   * Loads the saved state of every view whose definition hash matches the checkpoint, rebuilds the state
   * that was saved as a function of the collections (from their rows as of the checkpoint: `rows`, which
   * are as of the last commit, less the commits logged since), and replays the logged commits. Returns the
   * views left to rebuild; they are out of the circuit meanwhile.
   */
  #restoreViews(stored: StoredState, byName: ReadonlyMap<string, Source>, rows: ReadonlyMap<Source, readonly unknown[]>): Set<View<unknown, Key>> {
    const views = new Set(this.#circuit.sinks.keys())
    const checkpoint = stored.checkpoint
    if (checkpoint === undefined) return views
    const last = checkpoint.log.at(-1)?.version ?? checkpoint.version
    if (last !== stored.version) return views
    const restorable: [View<unknown, Key>, unknown][] = []
    for (const view of views) {
      const saved = checkpoint.views.get(view.name)
      if (saved !== undefined && saved.hash === viewHash(view)) restorable.push([view, saved.state])
    }
    if (restorable.length === 0) return views
    for (const [view] of restorable) views.delete(view)
    for (const view of views) this.#circuit.removeView(view)
    const loaded = new Set<Operator>()
    const rebuild: Rebuild = { operators: new Set(), views: new Set() }
    for (const [view, state] of restorable) loadView(this.#circuit, view, state, loaded, rebuild)
    this.#circuit.reset()
    const log = checkpoint.log.map((commit) => {
      const inputs = new Map<Source, Delta<unknown>>()
      for (const [name, delta] of commit.changes) {
        const source = byName.get(name)
        if (source !== undefined) inputs.set(source, records(delta))
      }
      return inputs
    })
    if (rebuild.operators.size > 0) {
      // The collections as of the checkpoint, as one (unconsolidated) delta per collection.
      const atCheckpoint = new Map<Source, Change<unknown>[]>()
      for (const [source, list] of rows) {
        const input = this.#circuit.inputs.get(source)
        if (input === undefined || !rebuild.operators.has(input)) continue
        const delta = list.map((row) => change(source.key(row), row, 1))
        for (const inputs of log) for (const c of inputs.get(source) ?? []) delta.push(change(c.key, c.row, -c.weight))
        atCheckpoint.set(source, delta)
      }
      this.#circuit.step(atCheckpoint, NO_UNDO, rebuild)
      this.#circuit.reset()
    }
    for (const inputs of log) {
      this.#circuit.step(inputs, NO_UNDO)
      this.#circuit.reset()
    }
    return views
  }

  /**
   * Adds a view to the circuit and feeds it every row of the collections (its operators are all new):
   * `rows`, when the caller has them as deltas already, else read from the tables.
   */
  #catchUp(view: View<unknown, Key>, rows?: ReadonlyMap<Source, Delta<unknown>>): void {
    const catchUp = this.#circuit.addView(view)
    for (const source of this.#circuit.inputs.keys()) this.#table(source)
    let inputs = rows
    if (inputs === undefined) {
      const all = new Map<Source, Delta<unknown>>()
      for (const [source, { table }] of this.#tables)
        if (table.size > 0) all.set(source, inserts(source, table))
      inputs = all
    }
    this.#circuit.step(inputs, NO_UNDO, catchUp)
  }

  /**
   * A collection's stored rows in its declared schema version: as they are when the versions agree,
   * upgraded by its `migrate` when they are older (the upgrade is written with the next commit).
   */
  #migrate(source: Source, rows: readonly unknown[], version: number): readonly unknown[] {
    if (version === source.version) return rows
    const migrate = source.migrate
    if (version > source.version || migrate === undefined) throw new SchemaVersionError(source.name, version, source.version)
    const changes: Change<unknown>[] = []
    const migrated = rows.map((row) => {
      const next = migrate(row, version)
      changes.push(change(source.key(row), row, -1), change(source.key(next), next, 1))
      return next
    })
    this.#carry.set(source.name, changes)
    this.#schemas.set(source.name, source.version)
    return migrated
  }

  #commit(inputs: ReadonlyMap<Source, Delta<unknown>>, tx: Transaction): void {
    const version = this.#version + 1
    let durable = true
    // With every collection empty the circuit holds no state, so a failed step is undone by a fresh
    // circuit instead of an undo log: the first (usually largest) transaction records no undo.
    const fresh = this.#isEmpty()
    try {
      this.#circuit.step(inputs, fresh ? NO_UNDO : this.#undo)
      if (this.#storage) durable = this.#append(version, inputs)
    } catch (error) {
      if (fresh) this.#circuit = this.#circuit.fresh()
      else {
        this.#undo.rollback()
        this.#circuit.reset()
      }
      throw error
    }
    this.#undo.commit()
    this.#applyToTables(inputs, tx)
    this.#version = version
    if (!durable) this.#pending.push({ version, inputs })
    this.#enqueue(inputs, version)
    this.#circuit.reset()
    // Subscribers may start transactions of their own.
    this.#inTransaction = false
    this.#subscriptions.deliver()
    this.#sinceCheckpoint++
    if (this.#checkpointEvery > 0 && this.#sinceCheckpoint >= this.#checkpointEvery && durable) this.#checkpointInBackground()
  }

  /**
   * Saves a checkpoint, reporting a failure to `onStorageError`. Its own method so that `#commit` has no
   * closure: one would make every commit allocate a context for it.
   */
  #checkpointInBackground(): void {
    this.#saveCheckpoint().catch((error: unknown) => this.#onStorageError(error))
  }

  /**
   * Hands a commit to storage, with migrated rows and schema versions carried since the open. Returns
   * whether it is durable already; when the storage answers with a promise, its outcome settles later.
   */
  #append(version: number, inputs: ReadonlyMap<Source, Delta<unknown>>): boolean {
    const changes = new Map<string, Delta<unknown>>()
    for (const [name, carried] of this.#carry) changes.set(name, carried)
    for (const [source, delta] of inputs) {
      const carried = this.#carry.get(source.name)
      changes.set(source.name, carried ? [...carried, ...delta] : delta)
    }
    const record: CommitRecord = this.#schemas.size > 0 ? { version, changes, schemas: new Map(this.#schemas) } : { version, changes }
    const result = this.#storage!.append(record)
    // Only when there is something to clear: V8's `clear` gives a map a new table each time, linked from
    // the old one, and a probe that cleared a long-lived map on every commit spent 3× as long per scavenge.
    if (this.#carry.size > 0) this.#carry.clear()
    if (this.#schemas.size > 0) this.#schemas.clear()
    if (!isPromise(result)) return true
    result.then(
      () => this.#durableUpTo(version),
      (error: unknown) => this.#revert(version, error),
    )
    return false
  }

  #durableUpTo(version: number): void {
    while (this.#pending.length > 0 && this.#pending[0]!.version <= version) this.#pending.shift()
    const waiting = this.#waiters
    this.#waiters = waiting.filter((w) => w.version > version)
    for (const w of waiting) if (w.version <= version) w.resolve()
  }

  /**
   * Undoes in memory the commits from `version` on, which storage could not make durable: one step of
   * their negated inputs, newest first, so views and subscribers come back to version − 1.
   */
  #revert(version: number, error: unknown): void {
    const at = this.#pending.findIndex((p) => p.version === version)
    if (at < 0) return
    const undone = this.#pending.splice(at)
    const inputs = new Map<Source, Change<unknown>[]>()
    for (let i = undone.length - 1; i >= 0; i--)
      for (const [source, delta] of undone[i]!.inputs) {
        let list = inputs.get(source)
        if (list === undefined) inputs.set(source, (list = []))
        for (const c of delta) list.push(change(c.key, c.row, -c.weight))
      }
    // One commit's negation has the +row before the −row, and several have a key more than once: a
    // collection's delta has per key its −row and then its +row (what a top-K over it relies on).
    for (const [source, list] of inputs) inputs.set(source, netDelta(list))
    this.#circuit.step(inputs, NO_UNDO)
    this.#applyToTables(inputs)
    this.#version = version - 1
    this.#enqueue(inputs, this.#version)
    this.#circuit.reset()
    this.#subscriptions.deliver()
    const waiting = this.#waiters
    this.#waiters = waiting.filter((w) => w.version < version)
    const rejected = waiting.filter((w) => w.version >= version)
    for (const w of rejected) w.reject(error)
    if (rejected.length === 0) this.#onStorageError(error)
  }

  /** A commit another writer made durable on the same storage: applied as it is, without appending it. */
  #external(commit: CommitRecord): void {
    if (this.#pending.length > 0 && this.#pending[0]!.version <= commit.version)
      this.#revert(this.#pending[0]!.version, new CommitConflictError(this.#pending[0]!.version))
    if (commit.version !== this.#version + 1) {
      this.#onStorageError(new InternalError(`stepping: storage reported commit ${commit.version} to a store at version ${this.#version}`))
      return
    }
    const byName = new Map<string, Source>()
    for (const source of this.#tables.keys()) byName.set(source.name, source)
    const inputs = new Map<Source, Delta<unknown>>()
    for (const [name, delta] of commit.changes) {
      const source = byName.get(name)
      if (source !== undefined) inputs.set(source, records(delta))
      else this.#dormantApply(name, delta)
    }
    try {
      this.#circuit.step(inputs, this.#undo)
    } catch (error) {
      this.#undo.rollback()
      this.#circuit.reset()
      this.#onStorageError(error)
      return
    }
    this.#undo.commit()
    this.#applyToTables(inputs)
    this.#version = commit.version
    this.#enqueue(inputs, commit.version)
    this.#circuit.reset()
    this.#subscriptions.deliver()
  }

  /** Applies another writer's changes to a collection the store has not met yet. */
  #dormantApply(name: string, delta: Delta<unknown>): void {
    const rows = new Map<string, unknown>()
    const dormant = this.#dormant.get(name)
    for (const row of dormant?.rows ?? []) rows.set(JSON.stringify(row), row)
    for (const c of delta) if (c.weight < 0) rows.delete(JSON.stringify(c.row))
    for (const c of delta) if (c.weight > 0) rows.set(JSON.stringify(c.row), c.row)
    this.#dormant.set(name, { rows: [...rows.values()], version: dormant?.version ?? 1 })
  }

  /** The rows of a collection, for transactions to read. */
  readonly #tableOf = (source: Source): Table => this.#table(source).table

  /** True when no collection holds a row (and so no operator holds state). */
  #isEmpty(): boolean {
    const tables = this.#tableList
    for (let i = 0; i < tables.length; i++) if (tables[i]!.table.size > 0) return false
    return true
  }

  /**
   * Applies input deltas to the collections' tables. A transaction's delta holds at most a −stored/+new
   * pair per key, next to each other: an updated row is replaced in its place (one map write; as storage
   * keeps it), a deleted one deleted, a new one added at the end. A collection that was empty takes the
   * table its transaction built. Other deltas (a load, a revert of several commits) may hold several
   * changes per key and are netted first.
   */
  #applyToTables(inputs: ReadonlyMap<Source, Delta<unknown>>, tx?: Transaction): void {
    for (const source of inputs.keys()) {
      const delta = inputs.get(source)!
      const t = this.#table(source)
      const built = tx?.builtTable(source)
      if (built !== undefined && t.table.size === 0) t.table = built
      else if (tx !== undefined)
        for (let i = 0; i < delta.length; i++) {
          const c = delta[i]!
          const id = keyId(c.key)
          if (c.weight > 0) t.table.set(id, c.row)
          else {
            const next = delta[i + 1]
            if (next === undefined || next.weight < 0 || keyId(next.key) !== id) t.table.delete(id)
          }
        }
      else applyNet(t.table, delta)
      t.snapshot = undefined
    }
  }

  /** Queues this commit's diffs for every view and collection that has listeners. */
  #enqueue(inputs: ReadonlyMap<Source, Delta<unknown>>, version: number): void {
    const subs = this.#subscriptions
    for (const { view, sink } of this.#circuit.entries)
      if (sink.diffs.size > 0 && subs.has(view)) subs.enqueue(view, view.name, sink.diffs, version)
    for (const source of inputs.keys()) if (subs.has(source)) subs.enqueue(source, source.name, new Map([[null, inputs.get(source)!]]), version)
  }

  /** Queues every row of every view and collection with listeners as an insert (after loading). */
  #enqueueAll(): void {
    const subs = this.#subscriptions
    for (const [view, { sink }] of this.#circuit.sinks) {
      if (!subs.has(view) || sink.size === 0) continue
      const diffs = new Map<KeyId, Change<unknown>[]>()
      for (const [pid, part] of sink.parts) diffs.set(pid, Array.from(part.rows.slots, ([id, slot]) => change(slotKey(id, slot), slotRow(slot), 1)))
      subs.enqueue(view, view.name, diffs, this.#version)
    }
    for (const [source, { table }] of this.#tables)
      if (subs.has(source) && table.size > 0)
        subs.enqueue(source, source.name, new Map([[null, inserts(source, table)]]), this.#version)
  }

  #table(source: Source) {
    let t = this.#tables.get(source)
    if (t === undefined) {
      this.#circuit.input(source)
      this.#tables.set(source, (t = { table: new Map(), snapshot: undefined }))
      this.#tableList.push(t)
      if (this.#storage) this.#schemas.set(source.name, source.version)
      const stored = this.#dormant.get(source.name)
      if (stored !== undefined) {
        // Rows storage held for a collection no view read at load time. No operator reads this input yet
        // (a view added later catches up from this table), so they go straight into the table.
        this.#dormant.delete(source.name)
        for (const row of this.#migrate(source, stored.rows, stored.version)) t.table.set(keyId(source.key(row)), row)
      }
    }
    return t
  }

  /**
   * What listeners of `source` are kept under, after checking the store has it: a view itself, or a
   * collection's source, which is what transactions' changes are keyed by.
   */
  #listened<T, P extends Key>(source: Readable<T, P>): object {
    if (source instanceof Collection) {
      this.#table(source.source)
      return source.source
    }
    this.#sink(source)
    return source
  }

  #readTable(source: Source): readonly unknown[] {
    const t = this.#table(source)
    return (t.snapshot ??= Object.freeze([...t.table.values()]))
  }

  #sink(view: View<unknown, Key>) {
    const entry = this.#circuit.sinks.get(view)
    if (!entry) throw new UsageError(`view '${view.name}' is not in this store; list it in createStore({ views })`)
    return entry.sink
  }
}

/** Creates a store maintaining `views`, in memory unless `storage` is given. */
export function createStore(options: StoreOptions = {}): Store {
  return new Store(options)
}

/** A collection's committed rows by key id, in the order their keys were first written (an update keeps its place). */
export type Table = Map<KeyId, unknown>

/** A collection's table, and the array of its rows `read` returned last (until the table changes). */
interface TableRecord {
  table: Table
  snapshot: readonly unknown[] | undefined
}

/** Every row of a table as an insert. */
const inserts = (source: Source, table: Table): Change<unknown>[] =>
  Array.from(table.values(), (row) => change(source.key(row), row, 1))

/** A delta read back from storage, remade as the engine makes changes (one shape through every operator). */
const records = (delta: Delta<unknown>): Delta<unknown> => delta.map((c) => change(c.key, c.row, c.weight))

/** Applies a delta that may hold several changes per key: each key's net row in its place, or deleted. */
function applyNet(table: Table, delta: Delta<unknown>): void {
  const net = new KeyedZSet<unknown>()
  for (const c of delta) net.add(c.key, keyId(c.key), c.row, c.weight, NO_UNDO)
  for (const [id, slot] of net.slots) {
    let written = false
    eachSlotRow(id, slot, (_key, row, weight) => {
      if (weight > 0) {
        table.set(id, row)
        written = true
      }
    })
    if (!written) table.delete(id)
  }
}

/** `delta` as a transaction would make it: per key, the −row and then the +row that remain once weights add up. */
function netDelta(delta: Delta<unknown>): Change<unknown>[] {
  const net = new KeyedZSet<unknown>()
  for (const c of delta) net.add(c.key, keyId(c.key), c.row, c.weight, NO_UNDO)
  const out: Change<unknown>[] = []
  for (const [id, slot] of net.slots) {
    eachSlotRow(id, slot, (key, row, weight) => {
      if (weight < 0) out.push(change(key, row, weight))
    })
    eachSlotRow(id, slot, (key, row, weight) => {
      if (weight > 0) out.push(change(key, row, weight))
    })
  }
  return out
}

const isPromise = <T>(value: T | Promise<T>): value is Promise<T> =>
  typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'

