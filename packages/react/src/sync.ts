import { UsageError, type ClientMutators, type MutatorArgs, type SyncClient, type SyncStatus } from '@stepping/core'
import { createContext, createElement, useCallback, useContext, useSyncExternalStore, type ReactElement, type ReactNode } from 'react'

const SyncContext = createContext<SyncClient | null>(null)

/** Props of `<SyncProvider>`. */
export interface SyncProviderProps {
  /** The client of `connect(store, url, …)`, created once outside the render body. */
  readonly client: SyncClient<ClientMutators>
  readonly children?: ReactNode
}

/** Makes `client` the sync client of `useSyncStatus` and `useMutation` in `children`. */
export function SyncProvider({ client, children }: SyncProviderProps): ReactElement {
  return createElement(SyncContext.Provider, { value: client }, children)
}

function useClient<M extends ClientMutators>(client: SyncClient<M> | undefined): SyncClient<M> {
  const provided = useContext(SyncContext)
  const found = client ?? (provided as SyncClient<M> | null)
  if (found === null) throw new UsageError('no sync client here: wrap the tree in <SyncProvider client={client}>, or pass the client')
  return found
}

/**
 * The connection's status: `connecting`, `online` or `offline`. The component re-renders when it changes.
 * Uses the client of the nearest `<SyncProvider>` unless one is given.
 */
export function useSyncStatus(client?: SyncClient<ClientMutators>): SyncStatus {
  const c = useClient(client)
  const subscribe = useCallback((onChange: () => void) => c.onStatus(onChange), [c])
  const read = useCallback(() => c.status, [c])
  return useSyncExternalStore(subscribe, read, read)
}

/**
 * `client.mutate(name, args)` as a function that stays the same across renders (safe in effect deps): it
 * applies the mutator optimistically at once and resolves when the server applied it, or rejects with a
 * `MutationRejectedError`.
 */
export function useMutation<M extends ClientMutators, N extends keyof M & string>(
  name: N,
  client?: SyncClient<M>,
): (args: MutatorArgs<M, N>) => Promise<void> {
  const c = useClient(client)
  return useCallback((args: MutatorArgs<M, N>) => c.mutate(name, args), [c, name])
}
