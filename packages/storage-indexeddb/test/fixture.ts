import type { StorageFixture } from '../../core/test/storage-contract'
import { indexedDbStorage, type IndexedDbStorage } from '../src/index'

/** The storage contract's fixture on the IndexedDB database `name` (fake-indexeddb in Node, real in Chromium). */
export function indexedDbFixture(name: string): StorageFixture {
  let current: IndexedDbStorage = indexedDbStorage(name)
  return {
    storage: current,
    reopen() {
      current.close()
      return (current = indexedDbStorage(name))
    },
    cleanup() {
      current.close()
    },
  }
}
