import { UsageError } from '../errors'
import { keyId, type Key, type KeyId } from '../key'
import { Collection, type Source } from '../relation'
import type { Store } from '../store'
import type { Transaction } from '../transaction'
import { MutationRejectedError, SyncError, UnknownMutatorError } from './errors'
import { LocalRows } from './rebase'
import { memorySyncPersistence, subscriptionKey, type PersistedSubscription, type SyncPersistence, type SyncSnapshot, type SyncWrite } from './persistence'
import {
  CloseCode,
  decodeServerMessage,
  encode,
  ErrorCode,
  isRefusal,
  PROTOCOL_VERSION,
  type AckMessage,
  type ClientMessage,
  type DiffMessage,
  type ErrorMessage,
  type MutationMessage,
  type WelcomeMessage,
} from './protocol'
import { OPEN, type SyncSocket, type SyncSocketConstructor } from './socket'

/** A client-side mutator: changes the client's collections optimistically, as the server's will for real. */
export type ClientMutator<A> = (tx: Transaction, args: A) => void

/** The mutators of a client, by name. */
export type ClientMutators = Readonly<Record<string, ClientMutator<never>>>

/** The argument type of mutator `N`. */
export type MutatorArgs<M extends ClientMutators, N extends keyof M> = M[N] extends ClientMutator<infer A> ? A : never

/** Where the connection is: `online` once the server welcomed it, `offline` between attempts. */
export type SyncStatus = 'connecting' | 'online' | 'offline'

/** One subscription: a published view (one partition of it), whose rows the client keeps in `into`. */
export interface SubscriptionSpec {
  readonly view: string
  readonly partition?: Key
  /** The client collection (a `collection(…)`) that holds the rows; its key must be the view's key. */
  readonly into: { readonly source: Source; readonly name: string }
}

/** Options of `connect`. */
export interface ConnectOptions<M extends ClientMutators> {
  /** Sent in `hello` (never in the URL). A function is called before each connection attempt. */
  readonly token: string | (() => string | Promise<string>)
  readonly mutators?: M
  /** Subscriptions to open at once; `client.subscribe` adds more later. */
  readonly subscriptions?: readonly SubscriptionSpec[]
  /** The WebSocket implementation: `globalThis.WebSocket` by default, `WebSocket` from `ws` in Node. */
  readonly WebSocket?: SyncSocketConstructor
  /** Keeps rows, versions and pending mutations across reloads (default: in memory, for this client only). */
  readonly persistence?: SyncPersistence
  /** Reconnection backoff: the first delay and the cap, in ms (defaults 250 and 10,000), each jittered. */
  readonly backoff?: { readonly initialMs?: number; readonly maxMs?: number }
  /**
   * Interval of pings while online (default 15 s): a connection that brought nothing for two intervals is
   * taken for dead (a network that vanished without closing it) and replaced.
   */
  readonly heartbeatMs?: number
  /** Errors the server sent or the connection met; the default logs them with `console.warn`. */
  readonly onError?: (error: SyncError) => void
}

interface ClientSubscription {
  readonly id: string
  readonly view: string
  readonly partition: Key | undefined
  readonly into: Collection<unknown>
  /** The server version the confirmed rows are at; undefined until the first diff (or after an epoch change). */
  version: number | undefined
  /** Keys of the rows the server sent for this subscription. */
  readonly rows: Map<KeyId, Key>
}

interface PendingMutation extends MutationMessage {
  readonly resolve: () => void
  readonly reject: (error: MutationRejectedError) => void
}

const PUSH_BATCH = 100

/**
 * A connection from a client store to a sync server. The store holds, per synced collection, the rows
 * the server confirmed with every pending mutation applied on top (`LocalRows`); each batch of server
 * messages is applied in one transaction, so the UI never shows a state without a mutation the server
 * has not answered.
 */
export class SyncClient<M extends ClientMutators = ClientMutators> {
  readonly #store: Store
  readonly #url: string
  readonly #options: ConnectOptions<M>
  readonly #mutators: ClientMutators
  readonly #persistence: SyncPersistence
  readonly #WebSocket: SyncSocketConstructor
  readonly #subs = new Map<string, ClientSubscription>()
  readonly #local: LocalRows
  #pending: PendingMutation[] = []
  #inbox: (DiffMessage | AckMessage)[] = []
  #restored = new Map<string, PersistedSubscription>()
  #clientId = ''
  #epoch: string | undefined
  #lastMutationId = 0
  #nextSub = 0
  #socket: SyncSocket | undefined
  #online = false
  #status: SyncStatus = 'connecting'
  readonly #statusListeners = new Set<(status: SyncStatus) => void>()
  #attempt = 0
  #timer: ReturnType<typeof setTimeout> | undefined
  #pushHeld = false
  #heartbeat: ReturnType<typeof setInterval> | undefined
  /** When the current connection last brought a message. */
  #heard = 0
  #closed = false
  #loaded = false

  /**
   * Settles once the persisted state is loaded into the store: at once for synchronous persistence and a
   * ready store, else when both have loaded.
   */
  readonly ready: Promise<void>

  constructor(store: Store, url: string, options: ConnectOptions<M>) {
    this.#store = store
    this.#url = url
    this.#options = options
    this.#mutators = options.mutators ?? {}
    this.#persistence = options.persistence ?? memorySyncPersistence()
    const ctor = options.WebSocket ?? (globalThis as { WebSocket?: SyncSocketConstructor }).WebSocket
    if (ctor === undefined) throw new UsageError('no WebSocket here: pass connect(store, url, { WebSocket }) (in Node, WebSocket from the ws package)')
    this.#WebSocket = ctor
    this.#local = new LocalRows(store, (name) => this.#mutators[name] as ClientMutator<unknown> | undefined)
    for (const spec of options.subscriptions ?? []) this.#declare(spec)
    const loaded = this.#persistence.load()
    // The store must be loaded too (an IndexedDB store loads asynchronously) before rows go into it.
    if (isPromise(loaded) || !store.isReady) {
      this.ready = Promise.all([loaded, store.ready]).then(([snapshot]) => this.#start(snapshot))
    } else {
      this.#start(loaded)
      this.ready = Promise.resolve()
    }
    this.ready.catch((error: unknown) => this.#report(new SyncError('closed', `loading the persisted sync state failed: ${String(error)}`)))
  }

  /** The connection's status. */
  get status(): SyncStatus {
    return this.#status
  }

  /** This client's id: the server applies each of its mutation ids once. */
  get clientId(): string {
    return this.#clientId
  }

  /** Mutations applied optimistically that the server has not answered yet. */
  get pendingCount(): number {
    return this.#pending.length
  }

  /** The version of a subscription's confirmed rows (undefined before its first diff). */
  version(view: string, partition?: Key): number | undefined {
    for (const s of this.#subs.values()) if (s.view === view && keyId(s.partition ?? null) === keyId(partition ?? null)) return s.version
    return undefined
  }

  /** Calls `listener` with every status change; returns the function that stops it. */
  onStatus(listener: (status: SyncStatus) => void): () => void {
    this.#statusListeners.add(listener)
    return () => this.#statusListeners.delete(listener)
  }

  /**
   * Subscribes to a published view (one partition of it): its rows arrive in `spec.into` and follow the
   * server's. Returns the function that unsubscribes, which removes the subscription's rows.
   */
  subscribe(spec: SubscriptionSpec): () => void {
    const sub = this.#declare(spec)
    if (this.#loaded) {
      this.#attach(sub)
      this.#apply()
      if (this.#online) this.#sendSubscribe(sub)
    }
    return () => this.#unsubscribe(sub)
  }

  /**
   * Applies mutator `name` to the store at once and sends it to the server, which runs its own mutator of
   * that name exactly once. The promise resolves when the server applied it, and rejects with a
   * `MutationRejectedError` when the server's mutator threw (the optimistic change is then rolled back).
   * If the local mutator throws, nothing changes locally but the mutation is still sent: the server decides.
   */
  mutate<N extends keyof M & string>(name: N, args: MutatorArgs<M, N>): Promise<void> {
    const mutator = this.#mutators[name]
    if (mutator === undefined) throw new UnknownMutatorError(name)
    if (!this.#loaded) throw new UsageError('the sync client is still loading its persisted state: await client.ready before mutate')
    const id = ++this.#lastMutationId
    try {
      this.#store.transact((tx) => (mutator as ClientMutator<unknown>)(tx, args))
    } catch {
      // Local data may be partial; the server's mutator has the last word.
    }
    const promise = new Promise<void>((resolve, reject) => this.#pending.push({ id, name, args, resolve, reject }))
    this.#persist({ lastMutationId: id, addPending: [{ id, name, args }] })
    if (this.#online && !this.#pushHeld) this.#send({ type: 'push', clientId: this.#clientId, mutations: [{ id, name, args }] })
    return promise
  }

  /** Closes the connection for good; the store keeps its rows. */
  close(): void {
    this.#closed = true
    clearTimeout(this.#timer)
    clearInterval(this.#heartbeat)
    const socket = this.#socket
    this.#socket = undefined
    this.#online = false
    socket?.close(1000, 'client closed')
    this.#local.close()
    this.#setStatus('offline')
  }

  /** Drops the connection as a network failure would; the client reconnects with its usual backoff. */
  disconnect(): void {
    this.#socket?.close(4000, 'client disconnect')
  }

  #declare(spec: SubscriptionSpec): ClientSubscription {
    const into = spec.into
    if (!(into instanceof Collection)) throw new UsageError(`subscription to '${spec.view}': into must be a collection(…)`)
    const sub: ClientSubscription = {
      id: `s${++this.#nextSub}`,
      view: spec.view,
      partition: spec.partition,
      into,
      version: undefined,
      rows: new Map(),
    }
    this.#subs.set(sub.id, sub)
    this.#local.track(into)
    return sub
  }

  #start(snapshot: SyncSnapshot | undefined): void {
    this.#loaded = true
    if (snapshot === undefined) {
      this.#clientId = randomId()
      this.#persist({ clientId: this.#clientId })
    } else {
      this.#clientId = snapshot.clientId
      this.#epoch = snapshot.epoch
      this.#lastMutationId = snapshot.lastMutationId
      for (const s of snapshot.subscriptions) this.#restored.set(subscriptionKey(s.view, s.partition), s)
      for (const m of snapshot.pending) this.#pending.push({ ...m, resolve: noop, reject: noop })
    }
    for (const sub of this.#subs.values()) this.#attach(sub)
    this.#apply()
    void this.#open()
  }

  /** Gives a subscription the rows and version persisted for it, if any. */
  #attach(sub: ClientSubscription): void {
    const restored = this.#restored.get(subscriptionKey(sub.view, sub.partition))
    if (restored === undefined) return
    this.#restored.delete(subscriptionKey(sub.view, sub.partition))
    sub.version = restored.version
    for (const { key, row } of restored.rows) this.#local.hold(sub.rows, sub.into, key, row)
  }

  #unsubscribe(sub: ClientSubscription, tellServer = true): void {
    if (!this.#subs.delete(sub.id)) return
    for (const [id, key] of sub.rows) this.#local.release(sub.rows, sub.into, id, key)
    this.#persist({ removed: [{ view: sub.view, partition: sub.partition }] })
    if (tellServer && this.#online) this.#send({ type: 'unsubscribe', id: sub.id })
    this.#apply()
  }

  async #open(): Promise<void> {
    if (this.#closed) return
    this.#setStatus('connecting')
    let token: string
    try {
      token = typeof this.#options.token === 'function' ? await this.#options.token() : this.#options.token
    } catch (error) {
      this.#report(new SyncError('closed', `getting the token failed: ${String(error)}`))
      this.#setStatus('offline')
      this.#reconnectLater()
      return
    }
    if (this.#closed) return
    const socket = new this.#WebSocket(this.#url)
    this.#socket = socket
    socket.onopen = () => socket.send(encode({ type: 'hello', protocol: PROTOCOL_VERSION, token, clientId: this.#clientId }))
    socket.onmessage = (event) => {
      if (this.#socket !== socket) return
      this.#heard = Date.now()
      if (typeof event.data === 'string') this.#onFrame(event.data)
      else this.#violation('the server sent a binary frame')
    }
    socket.onclose = (event) => {
      if (this.#socket !== socket) return
      if (event.code === CloseCode.unauthorized) this.#report(new SyncError(ErrorCode.unauthenticated, `the server refused the token: ${event.reason}`))
      this.#lost()
    }
    // A close event always follows an error event: reconnection is handled there.
    socket.onerror = noop
  }

  /** The connection is gone (closed, or silent): go offline and try again later. */
  #lost(): void {
    this.#socket = undefined
    this.#online = false
    this.#pushHeld = false
    clearInterval(this.#heartbeat)
    this.#setStatus('offline')
    this.#reconnectLater()
  }

  #reconnectLater(): void {
    if (this.#closed) return
    const initial = this.#options.backoff?.initialMs ?? 250
    const max = this.#options.backoff?.maxMs ?? 10_000
    const ceiling = Math.min(max, initial * 2 ** Math.min(this.#attempt, 30))
    this.#attempt++
    // Full jitter on the upper half: clients dropped together do not come back together.
    const delay = ceiling / 2 + Math.random() * (ceiling / 2)
    clearTimeout(this.#timer)
    this.#timer = setTimeout(() => void this.#open(), delay)
  }

  #onFrame(frame: string): void {
    const message = decodeServerMessage(frame)
    if (isRefusal(message)) return this.#violation(message.message)
    switch (message.type) {
      case 'welcome':
        return this.#onWelcome(message)
      case 'diff':
      case 'ack':
        // Messages that arrive together are applied together, in one transaction.
        if (this.#inbox.length === 0) queueMicrotask(() => this.#flush())
        this.#inbox.push(message)
        return
      case 'error':
        return this.#onError(message)
      case 'pong':
        return
    }
  }

  #onWelcome(message: WelcomeMessage): void {
    if (message.epoch !== this.#epoch) {
      // Another database: versions mean nothing there. Rows stay until each subscription's reset replaces them.
      for (const sub of this.#subs.values()) sub.version = undefined
      this.#epoch = message.epoch
      this.#persist({ epoch: message.epoch })
    }
    this.#online = true
    this.#attempt = 0
    this.#setStatus('online')
    this.#beat()
    for (const sub of this.#subs.values()) this.#sendSubscribe(sub)
    this.#pushPending()
  }

  /** Pings while online; a connection silent for two intervals is closed, and so replaced. */
  #beat(): void {
    const every = this.#options.heartbeatMs ?? 15_000
    let nonce = 0
    clearInterval(this.#heartbeat)
    this.#heartbeat = setInterval(() => {
      if (Date.now() - this.#heard <= 2 * every) return this.#send({ type: 'ping', nonce: ++nonce })
      // A vanished network may take minutes to close the socket: stop waiting for it.
      this.#socket?.close(4000, 'no answer to pings')
      this.#lost()
    }, every)
  }

  #sendSubscribe(sub: ClientSubscription): void {
    this.#send({
      type: 'subscribe',
      id: sub.id,
      view: sub.view,
      ...(sub.partition === undefined ? {} : { partition: sub.partition }),
      ...(sub.version === undefined ? {} : { version: sub.version }),
    })
  }

  #pushPending(): void {
    for (let i = 0; i < this.#pending.length; i += PUSH_BATCH) {
      const mutations = this.#pending.slice(i, i + PUSH_BATCH).map(({ id, name, args }) => ({ id, name, args }))
      this.#send({ type: 'push', clientId: this.#clientId, mutations })
    }
  }

  #onError(message: ErrorMessage): void {
    const error = new SyncError(message.code, message.message, message.retryAfterMs)
    // Mutations the server could not take now (rate, a failure on its side): push them again later.
    if (message.code === ErrorCode.rateLimited || (message.code === ErrorCode.internal && typeof message.ref === 'number')) {
      if (!this.#pushHeld) {
        this.#pushHeld = true
        setTimeout(() => {
          this.#pushHeld = false
          if (this.#online) this.#pushPending()
        }, message.retryAfterMs ?? 1000)
      }
      return
    }
    const sub = typeof message.ref === 'string' ? this.#subs.get(message.ref) : undefined
    // Refused or revoked: the subscription ends, and so do its rows here.
    if (sub !== undefined && message.code !== ErrorCode.badMessage) this.#unsubscribe(sub, false)
    this.#report(error)
  }

  /** Applies the queued diffs and answers in one transaction, then settles the answered mutations. */
  #flush(): void {
    const inbox = this.#inbox
    this.#inbox = []
    const settled: { pending: PendingMutation; ack: AckMessage }[] = []
    const writes: SyncWrite[] = []
    for (const message of inbox) {
      if (message.type === 'diff') {
        // A diff that does not fit restarts the connection: what came before it still counts.
        if (!this.#applyDiff(message, writes)) break
        continue
      }
      const i = this.#pending.findIndex((p) => p.id === message.id)
      if (i < 0) continue
      settled.push({ pending: this.#pending[i]!, ack: message })
      this.#pending.splice(i, 1)
    }
    if (settled.length > 0) writes.push({ removePending: settled.map((s) => s.pending.id) })
    this.#apply()
    for (const w of writes) this.#persist(w)
    for (const { pending, ack } of settled) {
      if (ack.ok) pending.resolve()
      else pending.reject(new MutationRejectedError(pending.name, pending.id, ack.error.name, ack.error.message))
    }
  }

  /** Applies one diff to the confirmed rows; false (and the connection restarted) when it does not fit. */
  #applyDiff(message: DiffMessage, writes: SyncWrite[]): boolean {
    const sub = this.#subs.get(message.sub)
    if (sub === undefined) return true
    if (!message.reset && message.from !== sub.version) {
      this.#violation(`diff of ${sub.view} from version ${message.from}, but the client holds version ${String(sub.version)}`)
      return false
    }
    const key = sub.into.source.key
    for (const c of message.changes)
      if (c.weight > 0 && keyId(key(c.row)) !== keyId(c.key)) {
        this.#violation(`a row of view '${sub.view}' has key ${JSON.stringify(c.key)}, but collection '${sub.into.name}' gives it key ${JSON.stringify(key(c.row))}`)
        return false
      }
    if (message.reset) for (const [id, k] of sub.rows) this.#local.release(sub.rows, sub.into, id, k)
    for (const c of message.changes) if (c.weight < 0) this.#local.release(sub.rows, sub.into, keyId(c.key), c.key)
    for (const c of message.changes) if (c.weight > 0) this.#local.hold(sub.rows, sub.into, c.key, c.row)
    sub.version = message.to
    writes.push({ subscriptions: [{ view: sub.view, partition: sub.partition, version: message.to, reset: message.reset, changes: message.changes }] })
    return true
  }

  /** Rebuilds the store from the confirmed rows and the pending mutations. */
  #apply(): void {
    try {
      this.#local.rebase(this.#pending)
    } catch (error) {
      this.#report(new SyncError('protocol-violation', `the server's rows could not be applied: ${String(error)}`))
    }
  }

  #send(message: ClientMessage): void {
    const socket = this.#socket
    if (socket !== undefined && socket.readyState === OPEN) socket.send(encode(message))
  }

  /** The server said something that does not fit: reconnect, resuming from what the client holds. */
  #violation(message: string): void {
    this.#report(new SyncError('protocol-violation', message))
    this.#socket?.close(CloseCode.protocol, 'protocol violation')
  }

  #persist(write: SyncWrite): void {
    const failed = (error: unknown) => this.#report(new SyncError('closed', `persisting the sync state failed: ${String(error)}`))
    try {
      const result = this.#persistence.write(write)
      if (isPromise(result)) result.catch(failed)
    } catch (error) {
      failed(error)
    }
  }

  #report(error: SyncError): void {
    if (this.#options.onError) this.#options.onError(error)
    else console.warn(`stepping sync: ${error.message}`)
  }

  #setStatus(status: SyncStatus): void {
    if (status === this.#status) return
    this.#status = status
    for (const listener of this.#statusListeners) listener(status)
  }
}

/**
 * Connects `store` to the sync server at `url`: subscriptions fill client collections that the store's
 * views compose over, and `client.mutate` applies mutators optimistically and sends them.
 */
export function connect<M extends ClientMutators = ClientMutators>(store: Store, url: string, options: ConnectOptions<M>): SyncClient<M> {
  return new SyncClient(store, url, options)
}

function randomId(): string {
  const bytes = new Uint8Array(12)
  crypto.getRandomValues(bytes)
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

const noop = (): void => undefined

const isPromise = <T>(value: T | Promise<T>): value is Promise<T> =>
  typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
