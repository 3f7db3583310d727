import { encode, mergeDiffs, type Change, type ServerMessage } from '@stepping/core'
import type { WebSocket } from 'ws'

interface HeldDiff {
  readonly kind: 'diff'
  readonly sub: string
  readonly from: number
  to: number
  reset: boolean
  readonly parts: (readonly Change<unknown>[])[]
}

type Held = HeldDiff | { readonly kind: 'message'; readonly message: ServerMessage }

/** Limits of one connection's outgoing traffic. */
export interface OutboxLimits {
  /** Bytes the socket may have buffered before further diffs are held back and merged. */
  readonly sendBufferBytes: number
  /** Changes held back at most; past it the connection is closed, and the client resumes later. */
  readonly maxHeldChanges: number
}

const DRAIN_POLL_MS = 20

/**
 * What one connection sends, in order. While the socket's buffer is under the cap every message goes out
 * at once. Past it, messages are held: the diffs of one subscription merge into one (the client then
 * skips intermediate versions, never a change), and the order is kept, so an `ack` still follows the
 * diff holding its mutation's effects. Memory stays bounded: past `maxHeldChanges` held changes the
 * connection is closed (`onOverflow`) and the client resumes from its version.
 */
export class Outbox {
  #held: Held[] = []
  readonly #heldDiffs = new Map<string, HeldDiff>()
  #heldChanges = 0
  #timer: ReturnType<typeof setTimeout> | undefined
  #closed = false

  constructor(
    readonly socket: WebSocket,
    readonly limits: OutboxLimits,
    readonly onOverflow: () => void,
  ) {}

  send(message: ServerMessage): void {
    if (this.#closed) return
    if (this.#held.length === 0 && this.socket.bufferedAmount <= this.limits.sendBufferBytes) return this.#write(message)
    this.#held.push({ kind: 'message', message })
    this.#schedule()
  }

  diff(sub: string, from: number, to: number, reset: boolean, changes: readonly Change<unknown>[]): void {
    if (this.#closed) return
    if (this.#held.length === 0 && this.socket.bufferedAmount <= this.limits.sendBufferBytes)
      return this.#write({ type: 'diff', sub, from, to, reset, changes })
    const held = this.#heldDiffs.get(sub)
    if (held === undefined) {
      const entry: HeldDiff = { kind: 'diff', sub, from, to, reset, parts: [changes] }
      this.#held.push(entry)
      this.#heldDiffs.set(sub, entry)
    } else {
      held.to = to
      // A reset replaces whatever the subscription had: what was held for it before no longer matters.
      if (reset) {
        held.reset = true
        held.parts.length = 0
      }
      held.parts.push(changes)
    }
    this.#heldChanges += changes.length
    if (this.#heldChanges > this.limits.maxHeldChanges) {
      this.close()
      this.onOverflow()
      return
    }
    this.#schedule()
  }

  /** Drops what is held and stops sending. */
  close(): void {
    this.#closed = true
    clearTimeout(this.#timer)
    this.#held = []
    this.#heldDiffs.clear()
    this.#heldChanges = 0
  }

  #schedule(): void {
    this.#timer ??= setTimeout(() => this.#drain(), DRAIN_POLL_MS)
  }

  #drain(): void {
    this.#timer = undefined
    if (this.#closed) return
    if (this.socket.bufferedAmount > this.limits.sendBufferBytes) return this.#schedule()
    const held = this.#held
    this.#held = []
    this.#heldDiffs.clear()
    this.#heldChanges = 0
    for (const h of held)
      if (h.kind === 'message') this.#write(h.message)
      else this.#write({ type: 'diff', sub: h.sub, from: h.from, to: h.to, reset: h.reset, changes: mergeDiffs(h.parts) })
  }

  #write(message: ServerMessage): void {
    this.socket.send(encode(message))
  }
}
