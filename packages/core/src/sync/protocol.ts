import superjson from 'superjson'
import { isKey, type Key } from '../key'
import type { Change } from '../zset'

/**
 * The sync protocol, shared by the client (here, in core) and `@stepping/sync-server`. Every frame is one
 * text WebSocket message holding `superjson.stringify(message)`. docs/sync-protocol.md describes each
 * message with an example; the types below are the contract.
 */
export const PROTOCOL_VERSION = 1

/** A mutation as the client sends it: `id` grows by one per mutation of the client (gaps are allowed). */
export interface MutationMessage {
  readonly id: number
  readonly name: string
  readonly args: unknown
}

/** The first message of every connection: who the client is and the token the server authenticates. */
export interface HelloMessage {
  readonly type: 'hello'
  readonly protocol: number
  readonly token: string
  readonly clientId: string
}

/**
 * Subscribes to one published view (one partition of it when the view is partitioned). `id` is chosen by
 * the client and names the subscription in every later message. With `version`, the client already holds
 * the rows as of that version and asks only for what changed since.
 */
export interface SubscribeMessage {
  readonly type: 'subscribe'
  readonly id: string
  readonly view: string
  readonly partition?: Key
  readonly version?: number
}

export interface UnsubscribeMessage {
  readonly type: 'unsubscribe'
  readonly id: string
}

/** Mutations to apply, in order, each once. `clientId` must be the connection's (from `hello`). */
export interface PushMessage {
  readonly type: 'push'
  readonly clientId: string
  readonly mutations: readonly MutationMessage[]
}

export interface PingMessage {
  readonly type: 'ping'
  readonly nonce: number
}

/** Every message a client may send. */
export type ClientMessage = HelloMessage | SubscribeMessage | UnsubscribeMessage | PushMessage | PingMessage

/** The answer to `hello`: the connection is authenticated. */
export interface WelcomeMessage {
  readonly type: 'welcome'
  readonly protocol: number
  /** Identifies the server's database: versions are comparable only within one epoch. */
  readonly epoch: string
  readonly clientId: string
  /** The last mutation id of this client the server has applied or rejected (0 for none). */
  readonly lastMutationId: number
}

/**
 * The change of one subscription from version `from` to version `to`, applied by the client as one
 * transaction. With `reset` the client first drops every row of the subscription (`changes` is then the
 * whole snapshot, all weights +1) and `from` is meaningless. Otherwise `from` is the version the
 * client holds: it equals the `to` of the subscription's previous diff, so a gap or a repeat is seen.
 */
export interface DiffMessage {
  readonly type: 'diff'
  readonly sub: string
  readonly from: number
  readonly to: number
  readonly reset: boolean
  readonly changes: readonly Change<unknown>[]
}

/**
 * The outcome of one mutation, sent after every diff that includes its effects. A repeated mutation id
 * gets the original outcome again.
 */
export type AckMessage =
  | { readonly type: 'ack'; readonly id: number; readonly ok: true }
  | { readonly type: 'ack'; readonly id: number; readonly ok: false; readonly error: { readonly name: string; readonly message: string } }

/** The codes of `error` messages. */
export const ErrorCode = {
  /** Not JSON or superjson, or a field of the wrong type. */
  badMessage: 'bad-message',
  /** Larger than the server's `maxMessageBytes`. */
  tooLarge: 'too-large',
  /** Nested deeper than the server's `maxDepth`. */
  tooDeep: 'too-deep',
  /** A `type` the protocol does not have. */
  unknownType: 'unknown-type',
  /** A protocol version the server does not speak (fatal). */
  protocol: 'protocol',
  /** The token was refused (fatal). */
  unauthenticated: 'unauthenticated',
  /** `hello` was expected first, or came twice. */
  sequence: 'sequence',
  /** The identity may not read that partition; for a live subscription, access was revoked. */
  forbidden: 'forbidden',
  unknownView: 'unknown-view',
  unknownMutator: 'unknown-mutator',
  unknownSubscription: 'unknown-subscription',
  duplicateSubscription: 'duplicate-subscription',
  tooManySubscriptions: 'too-many-subscriptions',
  /** A `push` named another client, or the client id belongs to another identity. */
  wrongClient: 'wrong-client',
  /** Too many mutations: the mutation `ref` and those after it were not applied; push them again later. */
  rateLimited: 'rate-limited',
  /** The server is stopping (the connection then closes with `CloseCode.restart`). */
  shuttingDown: 'shutting-down',
  internal: 'internal',
} as const
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode]

/**
 * A refused message. `ref` names what it was about (a subscription id, a mutation id); `retryAfterMs` is
 * how long to wait before trying again; `fatal` errors are followed by the server closing the connection.
 */
export interface ErrorMessage {
  readonly type: 'error'
  readonly code: ErrorCode
  readonly message: string
  readonly ref?: string | number
  readonly retryAfterMs?: number
  readonly fatal: boolean
}

export interface PongMessage {
  readonly type: 'pong'
  readonly nonce: number
}

/** Every message a server may send. */
export type ServerMessage = WelcomeMessage | DiffMessage | AckMessage | ErrorMessage | PongMessage

/** WebSocket close codes the server uses. The client reconnects after every one of them but `unauthorized`. */
export const CloseCode = {
  /** The server is shutting down or restarting: reconnect with backoff. */
  restart: 1012,
  /** A protocol violation that makes the connection unusable (no hello, bad protocol version). */
  protocol: 4002,
  /** The token was refused. */
  unauthorized: 4001,
  /** The client read too slowly: its send buffer passed the cap. Reconnect and resume. */
  slowConsumer: 4008,
} as const

/** Serializes a message into one frame. */
export function encode(message: ClientMessage | ServerMessage): string {
  return superjson.stringify(message)
}

/** Limits a decoder enforces before it trusts a frame. */
export interface DecodeLimits {
  readonly maxMessageBytes: number
  readonly maxDepth: number
}

/** Why a frame was refused: the error code and message to answer with. */
export interface Refusal {
  /** Absent: what tells a refusal from a message. */
  readonly type?: never
  readonly code: ErrorCode
  readonly message: string
  readonly ref?: string | number
}

/**
 * Parses and validates one frame a client sent. Size and depth are checked before superjson sees the
 * value, and every field is checked for its type, so the server acts only on well-formed messages.
 */
export function decodeClientMessage(frame: string, limits: DecodeLimits): ClientMessage | Refusal {
  const decoded = decodeValue(frame, limits)
  return 'refusal' in decoded ? decoded.refusal : validateClientMessage(decoded.value)
}

/** Parses one frame the server sent; a malformed one is an error of the server. */
export function decodeServerMessage(frame: string): ServerMessage | Refusal {
  const decoded = decodeValue(frame, { maxMessageBytes: Number.POSITIVE_INFINITY, maxDepth: Number.POSITIVE_INFINITY })
  if ('refusal' in decoded) return decoded.refusal
  const value = decoded.value
  if (!isRecord(value) || typeof value.type !== 'string') return bad('a server message must be an object with a type')
  switch (value.type) {
    case 'welcome':
    case 'diff':
    case 'ack':
    case 'error':
    case 'pong':
      return value as unknown as ServerMessage
    default:
      return { code: ErrorCode.unknownType, message: `unknown server message type '${value.type}'` }
  }
}

export function isRefusal(value: unknown): value is Refusal {
  return isRecord(value) && typeof value.code === 'string' && typeof value.message === 'string' && !('type' in value)
}

function decodeValue(frame: string, limits: DecodeLimits): { readonly value: unknown } | { readonly refusal: Refusal } {
  // Each UTF-16 unit is at most 3 UTF-8 bytes: only frames near the limit pay for an exact count.
  if (frame.length * 3 > limits.maxMessageBytes && byteLength(frame) > limits.maxMessageBytes)
    return { refusal: { code: ErrorCode.tooLarge, message: `the message is larger than ${limits.maxMessageBytes} bytes` } }
  let parsed: unknown
  try {
    parsed = JSON.parse(frame)
  } catch {
    return { refusal: bad('the message is not JSON') }
  }
  if (Number.isFinite(limits.maxDepth) && depth(parsed, limits.maxDepth) > limits.maxDepth)
    return { refusal: { code: ErrorCode.tooDeep, message: `the message is nested deeper than ${limits.maxDepth} levels` } }
  if (!isRecord(parsed) || !('json' in parsed)) return { refusal: bad('the message is not superjson ({ json, meta })') }
  try {
    return { value: superjson.deserialize(parsed as unknown as Parameters<typeof superjson.deserialize>[0]) }
  } catch {
    return { refusal: bad('the message is not valid superjson') }
  }
}

function validateClientMessage(value: unknown): ClientMessage | Refusal {
  if (!isRecord(value)) return bad('a message must be an object')
  switch (value.type) {
    case 'hello':
      if (!isInt(value.protocol) || typeof value.token !== 'string' || !isId(value.clientId))
        return bad('hello needs { protocol: integer, token: string, clientId: string of 1 to 128 characters }')
      return { type: 'hello', protocol: value.protocol, token: value.token, clientId: value.clientId }
    case 'subscribe': {
      if (!isId(value.id) || typeof value.view !== 'string') return bad('subscribe needs { id: string, view: string }', value.id)
      if (value.partition !== undefined && !isKey(value.partition)) return bad('subscribe: partition must be a key', value.id)
      if (value.version !== undefined && !isVersion(value.version)) return bad('subscribe: version must be a non-negative integer', value.id)
      return {
        type: 'subscribe',
        id: value.id,
        view: value.view,
        ...(value.partition === undefined ? {} : { partition: value.partition }),
        ...(value.version === undefined ? {} : { version: value.version }),
      }
    }
    case 'unsubscribe':
      if (!isId(value.id)) return bad('unsubscribe needs { id: string }')
      return { type: 'unsubscribe', id: value.id }
    case 'push': {
      if (!isId(value.clientId) || !Array.isArray(value.mutations)) return bad('push needs { clientId: string, mutations: array }')
      const mutations: MutationMessage[] = []
      for (const m of value.mutations as unknown[]) {
        if (!isRecord(m) || !isVersion(m.id) || m.id === 0 || typeof m.name !== 'string')
          return bad('push: every mutation needs { id: positive integer, name: string, args }')
        mutations.push({ id: m.id, name: m.name, args: m.args })
      }
      return { type: 'push', clientId: value.clientId, mutations }
    }
    case 'ping':
      if (!isInt(value.nonce)) return bad('ping needs { nonce: integer }')
      return { type: 'ping', nonce: value.nonce }
    default:
      return typeof value.type === 'string'
        ? { code: ErrorCode.unknownType, message: `unknown message type '${value.type.slice(0, 64)}'` }
        : bad('a message needs a string type')
  }
}

const bad = (message: string, ref?: unknown): Refusal =>
  typeof ref === 'string' || typeof ref === 'number' ? { code: ErrorCode.badMessage, message, ref } : { code: ErrorCode.badMessage, message }

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
const isInt = (value: unknown): value is number => Number.isSafeInteger(value)
const isVersion = (value: unknown): value is number => isInt(value) && value >= 0
const isId = (value: unknown): value is string => typeof value === 'string' && value.length > 0 && value.length <= 128

/** How deeply `value` nests (a scalar is 0), counted without recursion and given up past `max`. */
function depth(value: unknown, max: number): number {
  let deepest = 0
  const stack: [unknown, number][] = [[value, 0]]
  while (stack.length > 0) {
    const [v, d] = stack.pop()!
    if (typeof v !== 'object' || v === null) continue
    if (d + 1 > deepest) deepest = d + 1
    if (deepest > max) return deepest
    for (const child of Object.values(v)) stack.push([child, d + 1])
  }
  return deepest
}

function byteLength(text: string): number {
  return new TextEncoder().encode(text).length
}
