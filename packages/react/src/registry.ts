import { PartitionedRelation, view, type Key, type Relation, type Store, type View } from '@stepping/core'

/** What a component-defined view is built from: a relation, or a partitioned one. */
export type Build<T, P extends Key> = () => Relation<T> | PartitionedRelation<T, P>

interface Entry {
  readonly view: View<unknown, Key>
  /** Mounted hooks subscribed through this entry. The view leaves the store only at zero. */
  refs: number
  /**
   * The sweep generation in which a render created the entry, until a subscription first counts it; a
   * sweep spares an entry created after it was scheduled (see the class comment).
   */
  unclaimedSince: number | undefined
}

/**
 * The views components define from their dependencies (`useQuery`), one registry per store, keyed by the
 * caller's name plus the serialized dependencies, so every component asking for the same key shares one
 * view.
 *
 * Lifetime: a view is created and added to the store the first time a render asks for its key (a render
 * must read rows), and counted only by subscriptions, which React makes in effects and undoes in their
 * cleanup. When the count falls to zero the view is not removed at once but by a sweep run in a
 * microtask, one per store: StrictMode unmounts and remounts a component's effects synchronously in the
 * same commit, so by the time the sweep runs the count is back to one and the view survives untouched,
 * while a real unmount leaves it at zero and the view goes. A render that React throws away (an
 * interrupted transition, a suspended tree) creates a view nothing ever counts; the next sweep removes it
 * too, unless it was created after that sweep was scheduled — it may belong to a render whose effects
 * are still to run — in which case the sweep after removes it.
 */
export class ViewRegistry {
  readonly #store: Store
  readonly #entries = new Map<string, Entry>()
  #generation = 0
  #sweepScheduled = false

  constructor(store: Store) {
    this.#store = store
  }

  /** The view for `key`, created and added to the store if no component holds it. */
  view<T, P extends Key>(key: string, build: Build<T, P>): View<T, P> {
    return this.#entry(key, build).view as View<T, P>
  }

  /** Counts one subscriber of `key`'s view (creating it if a sweep removed it) until `release`. */
  retain<T, P extends Key>(key: string, build: Build<T, P>): { readonly view: View<T, P>; readonly release: () => void } {
    const entry = this.#entry(key, build)
    entry.refs++
    entry.unclaimedSince = undefined
    return { view: entry.view as View<T, P>, release: () => this.#release(entry) }
  }

  /**
   * The rows of `key`'s view without keeping it: for server rendering, where no effect ever runs to
   * release what a render added. A view some mounted component holds is read as it is.
   */
  readDetached<T, P extends Key>(key: string, build: Build<T, P>, partition: P | undefined): readonly T[] {
    const held = this.#entries.get(key)
    if (held !== undefined) return this.#store.read(held.view as View<T, P>, partition)
    const detached = define(key, build)
    this.#store.addView(detached)
    try {
      return this.#store.read(detached, partition)
    } finally {
      this.#store.removeView(detached)
    }
  }

  /** The keys of the views the registry holds, for tests and devtools. */
  get keys(): readonly string[] {
    return [...this.#entries.keys()]
  }

  #entry<T, P extends Key>(key: string, build: Build<T, P>): Entry {
    let entry = this.#entries.get(key)
    if (entry === undefined) {
      const created = define(key, build)
      // addView throws (an OperatorError) when the view fails on the current rows: nothing is registered.
      this.#store.addView(created)
      entry = { view: created, refs: 0, unclaimedSince: this.#generation }
      this.#entries.set(key, entry)
    }
    return entry
  }

  #release(entry: Entry): void {
    entry.refs--
    if (entry.refs > 0 || this.#sweepScheduled) return
    this.#sweepScheduled = true
    const cutoff = ++this.#generation
    queueMicrotask(() => {
      this.#sweepScheduled = false
      for (const [key, e] of this.#entries) {
        if (e.refs > 0 || (e.unclaimedSince !== undefined && e.unclaimedSince >= cutoff)) continue
        this.#entries.delete(key)
        this.#store.removeView(e.view)
      }
    })
  }
}

function define<T, P extends Key>(name: string, build: Build<T, P>): View<T, P> {
  const relation = build()
  return relation instanceof PartitionedRelation ? view(name, relation) : (view(name, relation) as View<T, P>)
}

const registries = new WeakMap<Store, ViewRegistry>()

/** The registry of component-defined views of `store`. */
export function registryOf(store: Store): ViewRegistry {
  let registry = registries.get(store)
  if (registry === undefined) registries.set(store, (registry = new ViewRegistry(store)))
  return registry
}
