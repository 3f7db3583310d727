import { memoryStorage } from '../src/index'
import { storageContract } from './storage-contract'

storageContract('memoryStorage', () => {
  const storage = memoryStorage()
  // Memory outlives its store: "reopening" is handing the same instance to a new store.
  return { storage, reopen: () => storage, cleanup: () => undefined }
})
