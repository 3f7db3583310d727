import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { connect, createStore, type Store, type SyncClient } from '@stepping/core'
import { WebSocket } from 'ws'
import { clientMutators, subscriptions, syncedCollections } from '../src/synced'

/** A fresh temporary directory and the function that removes it. */
export function tempDir(): { readonly dir: string; remove(): void } {
  const dir = mkdtempSync(join(os.tmpdir(), 'stepping-dashboard-'))
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

/** A Node sync client subscribed to every published view, as the browser is. */
export function nodeClient(url: string): { readonly store: Store; readonly client: SyncClient<typeof clientMutators> } {
  const store = createStore({ collections: syncedCollections })
  const client = connect(store, url, {
    token: 'node',
    mutators: clientMutators,
    WebSocket,
    subscriptions,
    backoff: { initialMs: 20, maxMs: 200 },
    onError: (e) => console.error(e),
  })
  return { store, client }
}

/** Waits until `condition` holds, polling; fails after `timeoutMs`. */
export async function until(condition: () => boolean, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}
