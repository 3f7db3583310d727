import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { Duplex } from 'node:stream'
import {
  CloseCode,
  decodeClientMessage,
  ErrorCode,
  keyId,
  PROTOCOL_VERSION,
  type ErrorMessage,
  type HelloMessage,
  type Key,
  type PushMessage,
  type Store,
  type SubscribeMessage,
} from '@stepping/core'
import { WebSocketServer, type RawData, type WebSocket } from 'ws'
import { Channel, type ChannelSubscriber } from './channel'
import { syncClients, syncMeta } from './clients'
import { MutationQueue, type ServerMutator } from './mutations'
import { Outbox } from './outbox'
import type { Identity, Publication } from './publish'
import { TokenBucket } from './rate'

/** The server's limits; every one has a default. */
export interface SyncLimits {
  /** Largest accepted message, in UTF-8 bytes (default 1 MB). Up to 4× more gets an error; beyond, ws closes. */
  readonly maxMessageBytes: number
  /** Deepest accepted nesting of a message (default 64). */
  readonly maxDepth: number
  /** Subscriptions one connection may hold (default 100). */
  readonly maxSubscriptions: number
  /** Socket buffer past which diffs are held and merged (default 1 MB). */
  readonly sendBufferBytes: number
  /** Held changes past which a slow connection is closed, to resume later (default 100,000). */
  readonly maxHeldChanges: number
  /** Mutations per second per identity, sustained (default 50) and in a burst (default 200). */
  readonly mutationsPerSecond: number
  readonly mutationBurst: number
  /** Changes each channel keeps for resumption (default 10,000). */
  readonly logChanges: number
  /** Channels kept without subscribers, with their logs, for clients that come back (default 10,000). */
  readonly idleChannels: number
  /** Time a connection has to send `hello` (default 10 s). */
  readonly helloTimeoutMs: number
  /** Messages a connection may send while its token is being checked (default 100). */
  readonly maxQueuedBeforeWelcome: number
  /**
   * Interval of WebSocket pings (default 30 s): a connection that did not answer the previous one is
   * dropped, so dead peers do not hold subscriptions forever.
   */
  readonly heartbeatMs: number
}

const DEFAULT_LIMITS: SyncLimits = {
  maxMessageBytes: 1_000_000,
  maxDepth: 64,
  maxSubscriptions: 100,
  sendBufferBytes: 1_000_000,
  maxHeldChanges: 100_000,
  mutationsPerSecond: 50,
  mutationBurst: 200,
  logChanges: 10_000,
  idleChannels: 10_000,
  helloTimeoutMs: 10_000,
  maxQueuedBeforeWelcome: 100,
  heartbeatMs: 30_000,
}

/** Options of `createSyncServer`. */
export interface SyncServerOptions<I extends Identity> {
  /** The store that holds the real data, normally on `sqliteStorage`. */
  readonly store: Store
  /** The views clients may subscribe to, by the name they use. */
  readonly publish: Readonly<Record<string, Publication<I>>>
  readonly mutators: Readonly<Record<string, ServerMutator<I>>>
  /** Verifies the token of `hello`: the identity, or undefined (or a throw) to refuse the connection. */
  readonly authenticate: (token: string) => I | undefined | Promise<I | undefined>
  /** Port to listen on (0: any free one) at `host` (default 127.0.0.1), unless `server` is given. */
  readonly port?: number
  readonly host?: string
  /** An HTTP server to attach to, instead of listening on `port`. */
  readonly server?: Server
  /** Allowed values of the Origin header; a request with another Origin is refused (403). */
  readonly origins?: readonly string[]
  readonly limits?: Partial<SyncLimits>
  /** On SIGTERM: `close()`, then `store.close()` and `process.exit(0)`. */
  readonly handleSigterm?: boolean
  /** Failures that are not a client's fault (a mutator's own errors go to the client); default console.error. */
  readonly onError?: (error: unknown) => void
}

/** A running sync server. */
export interface SyncServer {
  /** Resolves once the server listens. */
  readonly ready: Promise<void>
  /** The port it listens on (after `ready`). */
  readonly port: number
  /** Open connections. */
  readonly connections: number
  /**
   * Checks every subscription against its publication's `canRead` again and revokes those now refused:
   * their rows are deleted on the client. Grants views are followed on their own.
   */
  revalidate(): void
  /**
   * Stops accepting connections, tells every client (error `shutting-down`, close code 1012, on which
   * clients reconnect) and resolves once they are closed. Transactions are synchronous: none is cut short.
   */
  close(): Promise<void>
}

interface Connection {
  readonly socket: WebSocket
  readonly outbox: Outbox
  readonly subs: Map<string, { readonly sub: ChannelSubscriber; readonly channel: Channel }>
  identity: Identity | undefined
  clientId: string | undefined
  /** Frames received while `authenticate` runs, handled once it answered. */
  queued: string[] | undefined
  /** After a rate-limited mutation: the id the client must push again before any later one. */
  blockedFrom: number | undefined
  readonly stops: (() => void)[]
  helloTimer: ReturnType<typeof setTimeout> | undefined
  /** False from a heartbeat ping until its pong. */
  alive: boolean
}

/**
 * Serves a store's published views over WebSockets and applies clients' mutations, each exactly once.
 * docs/sync.md shows it in use; docs/sync-protocol.md defines every message.
 */
export function createSyncServer<I extends Identity>(options: SyncServerOptions<I>): SyncServer {
  const limits: SyncLimits = { ...DEFAULT_LIMITS, ...options.limits }
  const { store } = options
  const report = options.onError ?? ((error: unknown) => console.error('stepping sync-server:', error))
  const publications = options.publish as Readonly<Record<string, Publication<Identity>>>

  const epoch = ensureEpoch(store)
  const connections = new Set<Connection>()
  const channels = new Map<string, Channel>()
  // Channels without subscribers, oldest first: kept for their logs until there are too many.
  const idle = new Set<Channel>()
  const buckets = new Map<string | number, TokenBucket>()
  const mutations = new MutationQueue(store, options.mutators as Readonly<Record<string, ServerMutator<Identity>>>, report)
  let closing: Promise<void> | undefined

  const http = options.server ?? createServer((_req, res) => res.writeHead(426, { 'content-type': 'text/plain' }).end('a WebSocket endpoint\n'))
  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxMessageBytes * 4 })
  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const origin = req.headers.origin
    if (closing !== undefined || (origin !== undefined && options.origins !== undefined && !options.origins.includes(origin))) {
      socket.end(`HTTP/1.1 ${closing ? '503 Service Unavailable' : '403 Forbidden'}\r\nConnection: close\r\n\r\n`)
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => accept(ws))
  }
  http.on('upgrade', upgrade)
  const heartbeat = setInterval(() => {
    for (const conn of connections) {
      if (!conn.alive) conn.socket.terminate()
      conn.alive = false
      conn.socket.ping()
    }
  }, limits.heartbeatMs)
  heartbeat.unref()
  const ready =
    options.server !== undefined
      ? Promise.resolve()
      : new Promise<void>((resolve, reject) => {
          http.once('error', reject)
          http.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve())
        })

  function accept(socket: WebSocket): void {
    const conn: Connection = {
      socket,
      outbox: new Outbox(socket, limits, () => socket.close(CloseCode.slowConsumer, 'slow consumer: resume later')),
      subs: new Map(),
      identity: undefined,
      clientId: undefined,
      queued: undefined,
      blockedFrom: undefined,
      stops: [],
      helloTimer: undefined,
      alive: true,
    }
    connections.add(conn)
    socket.on('pong', () => (conn.alive = true))
    conn.helloTimer = setTimeout(() => fatal(conn, ErrorCode.sequence, 'no hello in time', CloseCode.protocol), limits.helloTimeoutMs)
    socket.on('message', (data, isBinary) => {
      if (closing !== undefined) return
      const size = byteSize(data)
      if (isBinary) return error(conn, ErrorCode.badMessage, 'frames must be text')
      if (size > limits.maxMessageBytes) return error(conn, ErrorCode.tooLarge, `the message is larger than ${limits.maxMessageBytes} bytes`)
      const frame = String(data)
      if (conn.queued !== undefined) {
        if (conn.queued.length >= limits.maxQueuedBeforeWelcome) return error(conn, ErrorCode.sequence, 'too many messages before welcome')
        conn.queued.push(frame)
        return
      }
      receive(conn, frame)
    })
    socket.on('close', () => drop(conn))
    socket.on('error', () => socket.terminate())
  }

  function receive(conn: Connection, frame: string): void {
    try {
      handle(conn, frame)
    } catch (e) {
      report(e)
      error(conn, ErrorCode.internal, 'the server failed to handle this message')
    }
  }

  function handle(conn: Connection, frame: string): void {
    const message = decodeClientMessage(frame, limits)
    if (message.type === undefined) return error(conn, message.code, message.message, message.ref)
    if (message.type === 'hello') {
      hello(conn, message).catch((e: unknown) => {
        report(e)
        fatal(conn, ErrorCode.internal, 'the server failed to handle hello', CloseCode.protocol)
      })
      return
    }
    if (conn.identity === undefined) return error(conn, ErrorCode.sequence, `hello must come first, not ${message.type}`)
    switch (message.type) {
      case 'subscribe':
        return subscribe(conn, message)
      case 'unsubscribe': {
        const entry = conn.subs.get(message.id)
        if (entry === undefined) return error(conn, ErrorCode.unknownSubscription, `no subscription '${message.id}'`, message.id)
        return unsubscribe(conn, message.id)
      }
      case 'push':
        return push(conn, message)
      case 'ping':
        return conn.outbox.send({ type: 'pong', nonce: message.nonce })
    }
  }

  async function hello(conn: Connection, message: HelloMessage): Promise<void> {
    if (conn.identity !== undefined || conn.queued !== undefined) return error(conn, ErrorCode.sequence, 'hello came twice')
    if (message.protocol !== PROTOCOL_VERSION)
      return fatal(conn, ErrorCode.protocol, `protocol ${message.protocol} is not spoken here; this server speaks ${PROTOCOL_VERSION}`, CloseCode.protocol)
    conn.queued = []
    let identity: Identity | undefined
    try {
      identity = await options.authenticate(message.token)
    } catch {
      identity = undefined
    }
    if (!connections.has(conn) || closing !== undefined) return
    if (identity === undefined) return fatal(conn, ErrorCode.unauthenticated, 'the token was refused', CloseCode.unauthorized)
    const record = store.get(syncClients, message.clientId)
    if (record !== undefined && record.owner !== identity.id)
      return fatal(conn, ErrorCode.wrongClient, 'this client id belongs to another identity', CloseCode.protocol)
    clearTimeout(conn.helloTimer)
    conn.identity = identity
    conn.clientId = message.clientId
    watchGrants(conn, identity)
    conn.outbox.send({ type: 'welcome', protocol: PROTOCOL_VERSION, epoch, clientId: message.clientId, lastMutationId: record?.lastMutationId ?? 0 })
    const queued = conn.queued
    conn.queued = undefined
    for (const frame of queued) receive(conn, frame)
  }

  /** Follows the identity's partition of every grants view: a removed grant revokes subscriptions. */
  function watchGrants(conn: Connection, identity: Identity): void {
    const views = new Set(Object.values(publications).flatMap((p) => (p.grants === undefined ? [] : [p.grants])))
    for (const view of views)
      conn.stops.push(
        store.subscribe(
          view,
          (diff) => {
            // After every listener of this commit ran: the client then holds exactly the rows `read` gives.
            if (diff.some((c) => c.weight < 0)) queueMicrotask(() => revalidateConnection(conn))
          },
          identity.id,
        ),
      )
  }

  function subscribe(conn: Connection, message: SubscribeMessage): void {
    const identity = conn.identity!
    const publication = Object.hasOwn(publications, message.view) ? publications[message.view] : undefined
    if (publication === undefined) return error(conn, ErrorCode.unknownView, `no published view '${message.view}'`, message.id)
    if (conn.subs.has(message.id)) return error(conn, ErrorCode.duplicateSubscription, `subscription '${message.id}' exists`, message.id)
    if (conn.subs.size >= limits.maxSubscriptions)
      return error(conn, ErrorCode.tooManySubscriptions, `at most ${limits.maxSubscriptions} subscriptions per connection`, message.id)
    const partitioned = publication.view.partition !== undefined
    if (partitioned !== (message.partition !== undefined))
      return error(conn, ErrorCode.badMessage, `view '${message.view}' ${partitioned ? 'is partitioned: name a partition' : 'has no partitions'}`, message.id)
    if (!mayRead(publication, identity, message.partition))
      return error(conn, ErrorCode.forbidden, `you may not read this partition of '${message.view}'`, message.id)
    const channel = channelFor(message.view, publication, message.partition)
    const now = store.version
    const since = message.version !== undefined && message.version <= now ? channel.changesSince(message.version) : undefined
    const sub: ChannelSubscriber = { id: message.id, outbox: conn.outbox, version: now }
    channel.subscribers.add(sub)
    idle.delete(channel)
    conn.subs.set(message.id, { sub, channel })
    if (since !== undefined) conn.outbox.diff(message.id, message.version!, now, false, since)
    else conn.outbox.diff(message.id, 0, now, true, channel.snapshot())
  }

  /** The publication's access rule; one that throws refuses (and is reported: it is the app's bug). */
  function mayRead(publication: Publication<Identity>, identity: Identity, partition: Key | undefined): boolean {
    try {
      return publication.canRead(store, identity, partition)
    } catch (e) {
      report(e)
      return false
    }
  }

  function channelFor(name: string, publication: Publication<Identity>, partition: Key | undefined): Channel {
    const id = partition === undefined ? name : `${name}\u0000${String(keyId(partition))}`
    let channel = channels.get(id)
    if (channel === undefined) channels.set(id, (channel = new Channel(store, id, name, publication, partition, limits.logChanges)))
    return channel
  }

  function unsubscribe(conn: Connection, id: string): void {
    const entry = conn.subs.get(id)
    if (entry === undefined) return
    conn.subs.delete(id)
    entry.channel.subscribers.delete(entry.sub)
    if (entry.channel.subscribers.size > 0) return
    idle.add(entry.channel)
    for (const old of idle) {
      if (idle.size <= limits.idleChannels) break
      idle.delete(old)
      old.close()
      channels.delete(old.id)
    }
  }

  function revalidateConnection(conn: Connection): void {
    if (!connections.has(conn) || conn.identity === undefined) return
    for (const [id, { channel, sub }] of [...conn.subs]) {
      if (mayRead(channel.publication, conn.identity, channel.partition)) continue
      const deletions = channel.snapshot().map((c) => ({ ...c, weight: -1 }))
      conn.outbox.diff(id, sub.version, store.version, false, deletions)
      unsubscribe(conn, id)
      error(conn, ErrorCode.forbidden, `access to '${channel.name}' was revoked`, id)
    }
  }

  function push(conn: Connection, message: PushMessage): void {
    const clientId = conn.clientId!
    if (message.clientId !== clientId) return error(conn, ErrorCode.wrongClient, 'push names another client than hello did')
    const identity = conn.identity!
    // The client pushes from its oldest unanswered mutation: rejections before it were heard of.
    const floor = message.mutations[0]?.id ?? 0
    for (const m of message.mutations) {
      if (mutations.known(clientId, m, conn.outbox)) continue
      if (conn.blockedFrom !== undefined && m.id !== conn.blockedFrom)
        return error(conn, ErrorCode.rateLimited, `push mutation ${conn.blockedFrom} again first`, m.id, 100)
      const wait = bucket(identity).take(Date.now())
      if (wait > 0) {
        conn.blockedFrom = m.id
        return error(conn, ErrorCode.rateLimited, `more than ${limits.mutationsPerSecond} mutations per second`, m.id, wait)
      }
      conn.blockedFrom = undefined
      mutations.add(clientId, identity, m, floor, conn.outbox)
    }
  }

  function bucket(identity: Identity): TokenBucket {
    let b = buckets.get(identity.id)
    if (b === undefined) {
      const now = Date.now()
      // Forget full buckets now and then, so identities that come and go do not pile up.
      if (buckets.size > 10_000) for (const [id, old] of buckets) if (old.full(now)) buckets.delete(id)
      buckets.set(identity.id, (b = new TokenBucket(limits.mutationsPerSecond, limits.mutationBurst, now)))
    }
    return b
  }

  function error(conn: Connection, code: ErrorCode, message: string, ref?: string | number, retryAfterMs?: number): void {
    const m: ErrorMessage = {
      type: 'error',
      code,
      message,
      fatal: false,
      ...(ref === undefined ? {} : { ref }),
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    }
    conn.outbox.send(m)
  }

  function fatal(conn: Connection, code: ErrorCode, message: string, closeCode: number): void {
    conn.outbox.send({ type: 'error', code, message, fatal: true })
    conn.socket.close(closeCode, message.slice(0, 100))
  }

  function drop(conn: Connection): void {
    if (!connections.delete(conn)) return
    clearTimeout(conn.helloTimer)
    conn.outbox.close()
    for (const id of [...conn.subs.keys()]) unsubscribe(conn, id)
    for (const stop of conn.stops) stop()
  }

  const server: SyncServer = {
    ready,
    get port() {
      const address = http.address()
      return typeof address === 'object' && address !== null ? address.port : 0
    },
    get connections() {
      return connections.size
    },
    revalidate() {
      for (const conn of connections) revalidateConnection(conn)
    },
    close() {
      closing ??= shutdown()
      return closing
    },
  }

  async function shutdown(): Promise<void> {
    http.off('upgrade', upgrade)
    clearInterval(heartbeat)
    const closed = [...connections].map((conn) => new Promise<void>((resolve) => {
      if (conn.socket.readyState === conn.socket.CLOSED) return resolve()
      conn.socket.once('close', () => resolve())
      fatal(conn, ErrorCode.shuttingDown, 'the server is shutting down; reconnect later', CloseCode.restart)
    }))
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, 2000).unref())
    await Promise.race([Promise.all(closed), timeout])
    for (const conn of connections) conn.socket.terminate()
    for (const channel of channels.values()) channel.close()
    channels.clear()
    wss.close()
    if (options.server === undefined) await new Promise<void>((resolve) => http.close(() => resolve()))
  }

  if (options.handleSigterm === true)
    process.once('SIGTERM', () => {
      void server.close().then(() => {
        store.close()
        process.exit(0)
      })
    })
  return server
}

/** The database's epoch: made once, kept in the store, so versions are only compared within one database. */
function ensureEpoch(store: Store): string {
  const found = store.get(syncMeta, 'epoch')
  if (found !== undefined) return found.value
  const value = randomUUID()
  store.transact((tx) => tx.insert(syncMeta, { key: 'epoch', value }))
  return value
}

function byteSize(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((n, b) => n + b.length, 0)
  return data.byteLength
}
