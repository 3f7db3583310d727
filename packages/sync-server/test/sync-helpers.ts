import {
  connect,
  createStore,
  decodeServerMessage,
  isRefusal,
  PROTOCOL_VERSION,
  type ConnectOptions,
  type ServerMessage,
  type Store,
  type SyncClient,
  type SyncPersistence,
} from '@stepping/core'
import superjson from 'superjson'
import { WebSocket } from 'ws'
import { createSyncServer, sqliteStorage, type SyncLimits, type SyncServer } from '../src/index'
import { authenticate, clientMutators, items, publications, serverMutators, serverViews, type User } from './fixtures/sync-app'

/** A sync server on 127.0.0.1 over a store on the SQLite file at `path`. */
export async function startServer(
  path: string,
  limits: Partial<SyncLimits> = {},
  origins?: readonly string[],
): Promise<{ server: SyncServer; store: Store; url: string; stop(): Promise<void> }> {
  const store = createStore({ views: serverViews, storage: sqliteStorage(path) })
  const server = createSyncServer<User>({
    store,
    publish: publications,
    mutators: serverMutators,
    authenticate,
    port: 0,
    limits,
    onError: (e) => console.error(e),
    ...(origins === undefined ? {} : { origins }),
  })
  await server.ready
  return {
    server,
    store,
    url: `ws://127.0.0.1:${server.port}`,
    async stop() {
      await server.close()
      store.close()
    },
  }
}

export type TestClient = SyncClient<typeof clientMutators>

/** A client store holding `items`, connected as `user` to `url`, subscribed to the given lists. */
export function startClient(
  url: string,
  user: number,
  lists: readonly number[],
  options: { persistence?: SyncPersistence; onError?: ConnectOptions<typeof clientMutators>['onError'] } = {},
): { store: Store; client: TestClient; errors: Error[] } {
  const store = createStore({ collections: [items] })
  const errors: Error[] = []
  const client = connect(store, url, {
    token: `user:${user}`,
    mutators: clientMutators,
    WebSocket,
    subscriptions: lists.map((list) => ({ view: 'itemsByList', partition: list, into: items })),
    backoff: { initialMs: 20, maxMs: 200 },
    onError: options.onError ?? ((e) => errors.push(e)),
    ...(options.persistence === undefined ? {} : { persistence: options.persistence }),
  })
  return { store, client, errors }
}

/** Waits until `condition` holds, polling; fails after `timeoutMs`. */
export async function until(condition: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

/** Rows sorted by id, for comparing stores. */
export function sorted<T extends { readonly id: string }>(rows: readonly T[]): T[] {
  return [...rows].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
}

/** A bare protocol client: sends raw frames and records what the server answers. */
export interface RawClient {
  readonly messages: ServerMessage[]
  readonly closed: Promise<{ code: number; reason: string }>
  send(message: unknown): void
  sendFrame(frame: string | Buffer): void
  /** Resolves with the first recorded message (from `from` on) that matches. */
  next(match: (m: ServerMessage) => boolean, timeoutMs?: number, from?: number): Promise<ServerMessage>
  /** Stops reading from the socket (the server's buffers fill up), and starts again. */
  pause(): void
  resume(): void
  close(): void
}

export async function rawClient(url: string, hello?: { token: string; clientId: string }, origin?: string): Promise<RawClient> {
  const ws = new WebSocket(url, origin === undefined ? {} : { origin })
  const messages: ServerMessage[] = []
  ws.on('message', (data) => {
    const m = decodeServerMessage(String(data))
    if (isRefusal(m)) throw new Error(`the server sent a malformed frame: ${m.message}`)
    messages.push(m)
  })
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })))
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  const client: RawClient = {
    messages,
    closed,
    send: (message) => ws.send(superjson.stringify(message)),
    sendFrame: (frame) => ws.send(frame),
    async next(match, timeoutMs = 5000, from = 0) {
      const end = Date.now() + timeoutMs
      for (;;) {
        const found = messages.slice(from).find(match)
        if (found !== undefined) return found
        if (Date.now() > end) throw new Error(`no matching message; got ${JSON.stringify(messages.slice(-5))}`)
        await new Promise((r) => setTimeout(r, 5))
      }
    },
    pause: () => ws.pause(),
    resume: () => ws.resume(),
    close: () => ws.close(),
  }
  if (hello !== undefined) {
    client.send({ type: 'hello', protocol: PROTOCOL_VERSION, ...hello })
    await client.next((m) => m.type === 'welcome')
  }
  return client
}
