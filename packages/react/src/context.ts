import { UsageError, type Store } from '@stepping/core'
import { createContext, createElement, useContext, type ReactElement, type ReactNode } from 'react'

const StoreContext = createContext<Store | null>(null)

/** Props of `<StoreProvider>`. */
export interface StoreProviderProps {
  /** The store every hook below reads from and writes to. */
  readonly store: Store
  readonly children?: ReactNode
}

/** Makes `store` the store of every stepping hook in `children`. */
export function StoreProvider({ store, children }: StoreProviderProps): ReactElement {
  return createElement(StoreContext.Provider, { value: store }, children)
}

/** The store of the nearest `<StoreProvider>`; a `UsageError` outside one. */
export function useStore(): Store {
  const store = useContext(StoreContext)
  if (store === null) throw new UsageError('no stepping store here: wrap the tree in <StoreProvider store={store}>')
  return store
}
