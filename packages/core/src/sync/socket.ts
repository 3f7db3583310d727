/**
 * The part of a WebSocket the sync client uses: the browser's `WebSocket` and the `ws` package's both fit.
 * Handlers are declared through a method type so that either's event types are accepted (method
 * parameters are bivariant; a function-typed property would demand the exact event type).
 */
export interface SyncSocket {
  readonly readyState: number
  send(data: string): void
  close(code?: number, reason?: string): void
  onopen: Handler<unknown>
  onmessage: Handler<{ readonly data: unknown }>
  onclose: Handler<{ readonly code: number; readonly reason: string }>
  onerror: Handler<unknown>
}

type Handler<E> = { handle(event: E): void }['handle'] | null

/** A WebSocket constructor: `globalThis.WebSocket` in browsers, `WebSocket` from `ws` in Node. */
export type SyncSocketConstructor = new (url: string) => SyncSocket

/** `readyState` of an open socket. */
export const OPEN = 1
