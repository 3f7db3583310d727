// The app shell, offline: pages fall back to the cached index.html, hashed assets come from the cache.
// Data never goes through here — it lives in IndexedDB and arrives over the WebSocket.
const CACHE = 'comments-app-shell'

self.addEventListener('install', () => self.skipWaiting())
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()))

self.addEventListener('fetch', (event) => {
  const request = event.request
  const url = new URL(request.url)
  if (request.method !== 'GET' || url.origin !== location.origin || url.pathname.startsWith('/api/')) return
  if (request.mode === 'navigate') {
    event.respondWith(fetch(request).catch(() => caches.match('/').then((hit) => hit ?? Response.error())))
    return
  }
  event.respondWith(caches.match(request).then((hit) => hit ?? fetch(request)))
})
