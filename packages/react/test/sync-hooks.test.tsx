// @vitest-environment jsdom
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { collection, connect, createStore, MutationRejectedError, view, type Store, type SyncClient, type Transaction } from '@stepping/core'
import { createSyncServer, publish, sqliteStorage, type Identity } from '@stepping/sync-server'
import { act } from 'react'
import { afterEach, describe, expect, test } from 'vitest'
import { WebSocket } from 'ws'
import { SyncProvider, useMutation, useSyncStatus, useView } from '../src/index'
import { mount } from './fixture'

// The hooks against a real sync server on 127.0.0.1 over a SQLite file.

interface Todo {
  readonly id: number
  readonly title: string
}
const todos = collection<Todo>('todos', { key: 'id' })
const allTodos = view('allTodos', todos.orderBy((t) => t.id))
// The client inserts optimistically; only the server checks the title.
const mutators = { add: (tx: Transaction, todo: Todo) => tx.insert(todos, todo) }
const serverAdd = (tx: Transaction, args: unknown) => {
  const todo = args as Todo
  if (todo.title === '') throw new Error('a todo needs a title')
  tx.insert(todos, todo)
}

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await act(async () => void (await c()))
})

async function setup(): Promise<{ client: SyncClient<typeof mutators>; store: Store }> {
  const dir = mkdtempSync(join(os.tmpdir(), 'stepping-react-sync-'))
  const serverStore = createStore({ views: [allTodos], storage: sqliteStorage(join(dir, 'server.db')) })
  const server = createSyncServer<Identity>({
    store: serverStore,
    publish: { allTodos: publish(allTodos, { key: 'id' }) },
    mutators: { add: serverAdd },
    authenticate: (token) => (token === 'ok' ? { id: 1 } : undefined),
    port: 0,
  })
  await server.ready
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }), async () => {
    await server.close()
    serverStore.close()
  })
  const store = createStore({ views: [allTodos] })
  const client = connect(store, `ws://127.0.0.1:${server.port}`, {
    token: 'ok',
    mutators,
    WebSocket,
    subscriptions: [{ view: 'allTodos', into: todos }],
    backoff: { initialMs: 20, maxMs: 100 },
    onError: () => undefined,
  })
  cleanups.push(() => client.close())
  return { client, store }
}

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await act(() => new Promise((r) => setTimeout(r, 10)))
  expect(condition()).toBe(true)
}

describe('useSyncStatus', () => {
  test('follows the connection: connecting, online, offline and back', async () => {
    const { client } = await setup()
    const seen: string[] = []
    function Status() {
      const status = useSyncStatus()
      seen.push(status)
      return <p>{status}</p>
    }
    const app = mount(createStore(), <SyncProvider client={client}><Status /></SyncProvider>)
    cleanups.push(() => app.unmount())
    await waitFor(() => app.container.textContent === 'online')
    act(() => client.disconnect())
    await waitFor(() => app.container.textContent !== 'online')
    await waitFor(() => app.container.textContent === 'online')
    expect(seen).toContain('offline')
  })
})

describe('useMutation', () => {
  test('applies at once, resolves when the server applied it, and rejects with the server error', async () => {
    const { client, store } = await setup()
    let addTodo: ((todo: Todo) => Promise<void>) | undefined
    function Todos() {
      addTodo = useMutation('add', client)
      return <ul>{useView(allTodos).map((t) => <li key={t.id}>{t.title || '(empty)'}</li>)}</ul>
    }
    const app = mount(store, <Todos />)
    cleanups.push(() => app.unmount())
    await waitFor(() => client.status === 'online')
    const first = addTodo!
    let done: Promise<void> | undefined
    act(() => void (done = first({ id: 1, title: 'write docs' })))
    // Optimistic: on screen before the server answered.
    expect(app.container.textContent).toBe('write docs')
    await act(() => done!)
    expect(addTodo).toBe(first)
    let failed: unknown
    let rejected: Promise<void> | undefined
    act(() => void (rejected = first({ id: 2, title: '' }).catch((e: unknown) => void (failed = e))))
    expect(app.container.textContent).toBe('write docs(empty)')
    await act(() => rejected!)
    expect(app.container.textContent).toBe('write docs')
    expect(failed).toBeInstanceOf(MutationRejectedError)
  })
})
