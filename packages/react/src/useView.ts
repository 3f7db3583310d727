import { keyId, type Key, type Readable } from '@stepping/core'
import { useCallback, useSyncExternalStore } from 'react'
import { useStore } from './context'

/**
 * The current rows of a view (in order for ordered views; one partition when `partition` is given) or of a
 * collection. The component re-renders only when a transaction changes those rows: the store hands back
 * the same frozen array until then, and a changed array keeps the objects of the rows that did not change,
 * so `memo` row components given those rows skip rendering. On the server it renders the current rows.
 */
export function useView<T, P extends Key = never>(source: Readable<T, P>, partition?: NoInfer<P>): readonly T[] {
  const store = useStore()
  // A tuple partition is a new array on every render; its id is what must stay equal.
  const pid = partition === undefined ? undefined : keyId(partition)
  const subscribe = useCallback((onChange: () => void) => store.subscribe(source, onChange, partition), [store, source, pid])
  const read = useCallback(() => store.read(source, partition), [store, source, pid])
  return useSyncExternalStore(subscribe, read, read)
}

/**
 * One row of a view or collection by key, or undefined. The component re-renders only when that row
 * changes (rows keep their object while unchanged), not when other rows of the view do, and is not even
 * called back for them: a list of `useRow` components costs O(changed rows) per commit.
 */
export function useRow<T, P extends Key = never>(source: Readable<T, P>, key: Key, partition?: NoInfer<P>): T | undefined {
  const store = useStore()
  const pid = partition === undefined ? undefined : keyId(partition)
  const id = keyId(key)
  // A per-row subscription: a commit calls back only the components whose row changed.
  const subscribe = useCallback((onChange: () => void) => store.subscribeRow(source, key, onChange), [store, source, id])
  const read = useCallback(() => store.get(source, key, partition), [store, source, id, pid])
  return useSyncExternalStore(subscribe, read, read)
}
