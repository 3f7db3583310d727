import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { DEMO_USERS } from '../shared/schema'

/** Signs demo users' tokens with a secret made at start: a restart signs everyone out of their sockets, not their pages. */
export class Tokens {
  readonly #secret = randomBytes(32)

  /** A token for a demo user, or undefined for anyone else. */
  issue(userId: string): string | undefined {
    if (!DEMO_USERS.some((u) => u.id === userId)) return undefined
    return `${userId}.${this.#sign(userId)}`
  }

  /** The user id a token was issued for, if this server signed it. */
  verify(token: string): string | undefined {
    const dot = token.lastIndexOf('.')
    if (dot <= 0) return undefined
    const userId = token.slice(0, dot)
    const given = Buffer.from(token.slice(dot + 1), 'base64url')
    const expected = Buffer.from(this.#sign(userId), 'base64url')
    return given.length === expected.length && timingSafeEqual(given, expected) ? userId : undefined
  }

  #sign(userId: string): string {
    return createHmac('sha256', this.#secret).update(userId).digest('base64url')
  }
}
