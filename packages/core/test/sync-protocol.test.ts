import fc from 'fast-check'
import superjson from 'superjson'
import { describe, expect, test } from 'vitest'
import { decodeClientMessage, encode, memorySyncPersistence, mergeDiffs, type Change } from '../src/index'

const limits = { maxMessageBytes: 1000, maxDepth: 8 }

describe('mergeDiffs', () => {
  test('composing diffs equals applying them one by one', () => {
    // Random sequences of states of a small keyed set; each diff takes one state to the next.
    const state = fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd'), fc.integer({ min: 0, max: 3 }))
    fc.assert(
      fc.property(fc.array(state, { minLength: 1, maxLength: 6 }), (states) => {
        const diff = (from: Record<string, number>, to: Record<string, number>): Change<unknown>[] => {
          const out: Change<unknown>[] = []
          for (const key of new Set([...Object.keys(from), ...Object.keys(to)])) {
            if (from[key] === to[key]) continue
            // Alternate the order of −old and +new: a consolidated diff may hold them either way.
            if (to[key] !== undefined) out.push({ key, row: { v: to[key] }, weight: 1 })
            if (from[key] !== undefined) out.push({ key, row: { v: from[key] }, weight: -1 })
          }
          return out
        }
        const all = [{}, ...states]
        const diffs = all.slice(1).map((s, i) => diff(all[i]!, s))
        const merged = mergeDiffs(diffs)
        const sortKey = (c: Change<unknown>) => `${String(c.key)}${c.weight}`
        expect([...merged].sort((x, y) => sortKey(x).localeCompare(sortKey(y)))).toEqual(
          diff({}, states.at(-1)!).sort((x, y) => sortKey(x).localeCompare(sortKey(y))),
        )
      }),
    )
  })
})

describe('decodeClientMessage', () => {
  test('accepts well-formed messages, superjson values included', () => {
    const at = new Date(0)
    expect(decodeClientMessage(encode({ type: 'push', clientId: 'c', mutations: [{ id: 1, name: 'm', args: { at } }] }), limits)).toEqual({
      type: 'push',
      clientId: 'c',
      mutations: [{ id: 1, name: 'm', args: { at } }],
    })
    expect(decodeClientMessage(encode({ type: 'subscribe', id: 's', view: 'v', partition: [1, 'a'], version: 3 }), limits)).toEqual({
      type: 'subscribe',
      id: 's',
      view: 'v',
      partition: [1, 'a'],
      version: 3,
    })
  })

  test('refuses malformed, deep, large and unknown messages with their codes', () => {
    const code = (frame: string) => {
      const m = decodeClientMessage(frame, limits)
      return m.type === undefined ? m.code : m.type
    }
    expect(code('{')).toBe('bad-message')
    expect(code('{"type":"ping","nonce":1}')).toBe('bad-message')
    expect(code(superjson.stringify({ type: 'ping', nonce: 'x' }))).toBe('bad-message')
    expect(code(superjson.stringify({ type: 'teleport' }))).toBe('unknown-type')
    expect(code(`{"json":${'['.repeat(20)}${']'.repeat(20)}}`)).toBe('too-deep')
    expect(code(superjson.stringify({ type: 'ping', nonce: 1, pad: 'é'.repeat(600) }))).toBe('too-large')
    expect(code(superjson.stringify({ code: 'internal', message: 'not a message' }))).toBe('bad-message')
    expect(code(superjson.stringify({ type: 'ping', nonce: 1 }))).toBe('ping')
  })
})

describe('memorySyncPersistence', () => {
  test('loads what the writes add up to', () => {
    const p = memorySyncPersistence()
    expect(p.load()).toBeUndefined()
    p.write({ clientId: 'c1', epoch: 'e1', lastMutationId: 2, addPending: [{ id: 1, name: 'm', args: 1 }, { id: 2, name: 'm', args: 2 }] })
    p.write({ subscriptions: [{ view: 'v', partition: 7, version: 4, reset: true, changes: [{ key: 'a', row: { id: 'a' }, weight: 1 }] }] })
    p.write({ subscriptions: [{ view: 'v', partition: 7, version: 5, reset: false, changes: [{ key: 'a', row: { id: 'a' }, weight: -1 }, { key: 'b', row: { id: 'b' }, weight: 1 }] }], removePending: [1] })
    expect(p.load()).toEqual({
      clientId: 'c1',
      epoch: 'e1',
      lastMutationId: 2,
      subscriptions: [{ view: 'v', partition: 7, version: 5, rows: [{ key: 'b', row: { id: 'b' } }] }],
      pending: [{ id: 2, name: 'm', args: 2 }],
    })
  })
})
