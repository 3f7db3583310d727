import type { Transaction } from '@stepping/core'
import { useCallback } from 'react'
import { useStore } from './context'

/** `store.transact` of the provided store: the same function on every render, safe in effect deps. */
export function useTransact(): <R>(fn: (tx: Transaction) => R) => R {
  const store = useStore()
  return useCallback(<R>(fn: (tx: Transaction) => R): R => store.transact(fn), [store])
}
