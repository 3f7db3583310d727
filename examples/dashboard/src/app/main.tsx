import { connect, createStore } from '@stepping/core'
import { StoreProvider, SyncProvider } from '@stepping/react'
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { clientMutators, subscriptions, syncedCollections } from '../synced'
import { App } from './App'
import { clientViews } from './views'
import './styles.css'

// One store and one connection for the page, made before React renders: the synced collections fill
// from the server's published views, and the client views follow them.
const store = createStore({ collections: syncedCollections, views: clientViews })
const client = connect(store, `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/sync`, {
  token: 'viewer',
  mutators: clientMutators,
  subscriptions,
})

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <StoreProvider store={store}>
      <SyncProvider client={client}>
        <App />
      </SyncProvider>
    </StoreProvider>
  </StrictMode>,
)
