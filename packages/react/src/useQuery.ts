import { keyId, type Key, type PartitionedRelation, type Relation } from '@stepping/core'
import { useCallback, useRef, useSyncExternalStore } from 'react'
import { useStore } from './context'
import { registryOf, type Build } from './registry'

/**
 * The rows of a view a component defines from its own values — a filter on a search string, the issues
 * of the selected project — maintained incrementally like any other view while mounted.
 *
 * `build` is called once per distinct `deps` (not once per render) and must depend on nothing else;
 * `name` names what `build` computes, and together with `deps` it identifies the view
 * (`search["crash"]` in `store.describe()`): every component calling `useQuery` with the same name and
 * equal deps shares one view, so one name must always go with the same `build`. The view is added to the
 * store on first use and removed once no mounted component uses it; StrictMode's double mount neither
 * duplicates nor rebuilds it. Deps are keys (strings, numbers, booleans, null, arrays of them), compared
 * by value.
 *
 * @example
 * const found = useQuery('search', () => issues.filter((i) => i.title.includes(text)), [text])
 */
export function useQuery<T>(name: string, build: () => Relation<T>, deps: readonly Key[]): readonly T[]
/** The rows of one partition of a partitioned view the component defines (see the overload above). */
export function useQuery<T, P extends Key>(
  name: string,
  build: () => PartitionedRelation<T, P>,
  deps: readonly Key[],
  partition: NoInfer<P>,
): readonly T[]
export function useQuery<T, P extends Key>(name: string, build: Build<T, P>, deps: readonly Key[], partition?: P): readonly T[] {
  const store = useStore()
  const registry = registryOf(store)
  const key = name + JSON.stringify(deps)
  const pid = partition === undefined ? undefined : keyId(partition)
  // `build` is a new closure every render but, by contract, the same function of `deps`; the callbacks
  // keep the one of the render that made them, and only the first use of a key calls it.
  const subscribe = useCallback(
    (onChange: () => void) => {
      const held = registry.retain(key, build)
      const unsubscribe = store.subscribe(held.view, onChange, partition)
      return () => {
        unsubscribe()
        held.release()
      }
    },
    [store, registry, key, pid],
  )
  const read = useCallback(() => store.read(registry.view(key, build), partition), [store, registry, key, pid])
  // React asks for the server snapshot twice while hydrating in development to check it is cached.
  const server = useRef<{ readonly id: string; readonly version: number; readonly rows: readonly T[] } | null>(null)
  const readOnServer = () => {
    const id = `${key}/${JSON.stringify(pid)}`
    const cached = server.current
    if (cached !== null && cached.id === id && cached.version === store.version) return cached.rows
    const rows = registry.readDetached(key, build, partition)
    server.current = { id, version: store.version, rows }
    return rows
  }
  return useSyncExternalStore(subscribe, read, readOnServer)
}
