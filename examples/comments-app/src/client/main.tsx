import { StoreProvider, SyncProvider } from '@stepping/react'
import { createRoot } from 'react-dom/client'
import { App, SignIn } from './App'
import { SessionContext } from './context'
import { renders } from './renders'
import { openSession, type Session } from './session'
import './styles.css'

declare global {
  interface Window {
    /** For the dev panel's users and the end-to-end tests: the live session and the render counter. */
    commentsApp?: { readonly session: Session; readonly renders: typeof renders }
  }
}

const USER_KEY = 'comments-app:user'
const root = createRoot(document.getElementById('root')!)

async function start(userId: string): Promise<void> {
  const session = await openSession(userId)
  window.commentsApp = { session, renders }
  // Render from what this browser kept (IndexedDB) first: no flash of empty lists, offline included.
  await session.client.ready
  root.render(
    <StoreProvider store={session.store}>
      <SyncProvider client={session.client}>
        <SessionContext.Provider value={session}>
          <App />
        </SessionContext.Provider>
      </SyncProvider>
    </StoreProvider>,
  )
}

const saved = localStorage.getItem(USER_KEY)
if (saved !== null) void start(saved)
else
  root.render(
    <SignIn
      onPick={(userId) => {
        localStorage.setItem(USER_KEY, userId)
        void start(userId)
      }}
    />,
  )

// Offline reloads: a service worker answers from the cache; the page puts its own files there.
if ('serviceWorker' in navigator) {
  void navigator.serviceWorker.register('/sw.js').then(async () => {
    const files = Array.from(document.querySelectorAll<HTMLScriptElement | HTMLLinkElement>('script[src], link[href]'), (e) => ('src' in e ? e.src : e.href))
    const cache = await caches.open('comments-app-shell')
    await cache.addAll(['/', ...files])
  })
}
