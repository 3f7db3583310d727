import type { Key, Readable, Store } from '@stepping/core'
import { useStore } from './context'
import { useView } from './useView'

type Loading = { readonly status: 'pending'; readonly promise: Promise<void> } | { readonly status: 'failed'; readonly error: unknown }

// One promise per store, so every suspended component waits on the same thenable.
const loading = new WeakMap<Store, Loading>()

/** Throws what Suspense waits on until `store` has loaded its storage, or the load's error if it failed. */
function suspendUntilReady(store: Store): void {
  if (store.isReady) return
  let state = loading.get(store)
  if (state === undefined) {
    const promise = store.ready.then(
      () => undefined,
      (error: unknown) => void loading.set(store, { status: 'failed', error }),
    )
    loading.set(store, (state = { status: 'pending', promise }))
  }
  if (state.status === 'failed') throw state.error
  throw state.promise
}

/**
 * `useView` for a `<Suspense>` tree: while the store is still loading from an asynchronous storage
 * (IndexedDB) the component suspends, so the nearest boundary shows its fallback instead of empty rows;
 * if loading fails, the error goes to the nearest error boundary. Once loaded it is `useView`.
 */
export function useSuspenseView<T, P extends Key = never>(source: Readable<T, P>, partition?: NoInfer<P>): readonly T[] {
  const store = useStore()
  suspendUntilReady(store)
  return useView(source, partition)
}
