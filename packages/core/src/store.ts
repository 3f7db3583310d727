import { Circuit, type OperatorInfo } from './circuit'
import { UsageError } from './errors'
import { keyId, type Key } from './key'
import { Collection, View, type Source } from './relation'
import type { Storage, StoredState } from './storage'
import { Transaction } from './transaction'
import { Subscriptions, type Listener } from './subscriptions'
import { UndoLog } from './undo'
import { KeyedZSet, type Delta } from './zset'

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
  readonly #circuit: Circuit
  readonly #tables = new Map<Source, { table: KeyedZSet<unknown>; snapshot: readonly unknown[] | undefined }>()
  readonly #storage: Storage | undefined
  readonly #undo = new UndoLog()
  readonly #subscriptions: Subscriptions
  #version = 0
  #inTransaction = false
  /** Stored rows of collections the store has not met yet, by collection name. */
  readonly #dormant = new Map<string, readonly unknown[]>()
  #loading = false
  #failed: unknown = undefined

  constructor(options: StoreOptions = {}) {
    this.#circuit = new Circuit(options.views ?? [])
    for (const c of options.collections ?? []) this.#circuit.input(c.source)
    for (const source of this.#circuit.inputs.keys()) this.#table(source)
    this.#storage = options.storage
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
    const tx = new Transaction((source) => this.#table(source).table)
    let result: R
    this.#inTransaction = true
    try {
      result = fn(tx)
    } catch (error) {
      tx.abandon()
      throw error
    } finally {
      this.#inTransaction = false
    }
    const inputs = tx.close()
    if (inputs.size === 0) return result
    this.#commit(inputs)
    return result
  }

  /** The current rows of a view (in order for ordered views; one partition when given) or collection. */
  read<T, P extends Key = never>(source: Readable<T, P>, partition?: NoInfer<P>): readonly T[] {
    if (source instanceof Collection) return this.#readTable(source.source) as readonly T[]
    return this.#sink(source).read(partition) as readonly T[]
  }

  /** One row of a view or collection by key, or undefined. */
  get<T, P extends Key = never>(source: Readable<T, P>, key: Key, partition?: NoInfer<P>): T | undefined {
    if (source instanceof Collection) return this.#table(source.source).table.entries.get(keyId(key))?.row as T | undefined
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
    const catchUp = this.#circuit.addView(v)
    for (const source of this.#circuit.inputs.keys()) this.#table(source)
    const inputs = new Map<Source, Delta<unknown>>()
    for (const [source, { table }] of this.#tables)
      if (table.size > 0) inputs.set(source, Array.from(table.entries.values(), (e) => ({ key: e.key, row: e.row, weight: 1 })))
    try {
      this.#circuit.step(inputs, this.#undo, catchUp)
    } catch (error) {
      this.#undo.rollback()
      this.#circuit.reset()
      this.#circuit.removeView(v)
      throw error
    }
    this.#undo.clear()
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

  /** Closes the storage. The store must not be used afterwards. */
  close(): void {
    this.#storage?.close?.()
  }

  /** Starts loading from storage: at once when `load` is synchronous, else when its promise settles. */
  #load(): Promise<void> {
    const loaded = this.#storage?.load()
    if (!isPromise(loaded)) {
      this.#restore(loaded)
      return Promise.resolve()
    }
    this.#loading = true
    return loaded.then(
      (stored) => {
        this.#loading = false
        this.#restore(stored)
      },
      (error: unknown) => {
        this.#failed = error
        throw error
      },
    )
  }

  /** Feeds what storage held through the circuit as one step, and tells the subscribers already there. */
  #restore(stored: StoredState | undefined): void {
    if (stored === undefined) return
    const byName = new Map<string, Source>()
    for (const source of this.#circuit.inputs.keys()) byName.set(source.name, source)
    const inputs = new Map<Source, Delta<unknown>>()
    for (const [name, rows] of stored.collections) {
      const source = byName.get(name)
      if (source === undefined) {
        // No view reads it yet: its rows wait until the store meets the collection (see #table).
        this.#dormant.set(name, rows)
        continue
      }
      inputs.set(source, rows.map((row) => ({ key: source.key(row), row, weight: 1 })))
    }
    // A failed load discards the store, so there is nothing to roll back to.
    this.#undo.active = false
    try {
      this.#circuit.step(inputs, this.#undo)
    } finally {
      this.#undo.active = true
    }
    this.#applyToTables(inputs)
    this.#version = stored.version
    this.#enqueue(inputs, stored.version)
    this.#circuit.reset()
    this.#subscriptions.deliver()
  }

  #commit(inputs: Map<Source, Delta<unknown>>): void {
    const version = this.#version + 1
    try {
      this.#circuit.step(inputs, this.#undo)
      if (this.#storage) {
        const changes = new Map<string, Delta<unknown>>()
        for (const [source, delta] of inputs) changes.set(source.name, delta)
        this.#storage.append({ version, changes })
      }
    } catch (error) {
      this.#undo.rollback()
      this.#circuit.reset()
      throw error
    }
    this.#undo.clear()
    this.#applyToTables(inputs)
    this.#version = version
    this.#enqueue(inputs, version)
    this.#circuit.reset()
    this.#subscriptions.deliver()
  }

  #applyToTables(inputs: ReadonlyMap<Source, Delta<unknown>>): void {
    for (const [source, delta] of inputs) {
      const t = this.#table(source)
      for (const c of delta) t.table.add(c.key, keyId(c.key), c.row, c.weight, NO_UNDO)
      t.snapshot = undefined
    }
  }

  /** Queues this commit's diffs for every view and collection that has listeners. */
  #enqueue(inputs: ReadonlyMap<Source, Delta<unknown>>, version: number): void {
    const subs = this.#subscriptions
    for (const [view, { sink }] of this.#circuit.sinks)
      if (sink.diffs.size > 0 && subs.has(view)) subs.enqueue(view, view.name, sink.diffs, version)
    for (const [source, delta] of inputs) if (subs.has(source)) subs.enqueue(source, source.name, new Map([[null, delta]]), version)
  }

  #table(source: Source) {
    let t = this.#tables.get(source)
    if (t === undefined) {
      this.#circuit.input(source)
      this.#tables.set(source, (t = { table: new KeyedZSet<unknown>(), snapshot: undefined }))
      const stored = this.#dormant.get(source.name)
      if (stored !== undefined) {
        // Rows storage held for a collection no view read at load time. No operator reads this input yet
        // (a view added later catches up from this table), so they go straight into the table.
        this.#dormant.delete(source.name)
        for (const row of stored) {
          const key = source.key(row)
          t.table.add(key, keyId(key), row, 1, NO_UNDO)
        }
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
    return (t.snapshot ??= Object.freeze(Array.from(t.table.entries.values(), (e) => e.row)))
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

const isPromise = <T>(value: T | Promise<T>): value is Promise<T> =>
  typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'

/** For writes that happen only after a step committed (input tables): nothing to roll back, so nothing recorded. */
const NO_UNDO = new UndoLog()
NO_UNDO.active = false
