import { describe, expect, test } from 'vitest'
import { Arrangement } from '../src/operators/arrangement'
import { InputOperator } from '../src/operators/input'
import { JoinOperator } from '../src/operators/join'
import { NO_UNDO, UndoLog } from '../src/undo'
import { change, type Change } from '../src/zset'
import { count, createStore, max, memoryStorage, min, view, type Storage } from '../src/index'
import { items, teams, type Item, type Team } from './scenario'

// An update of a row on one side of a join re-joins each of its matches. The join hands each match's
// −old and +new pairs on one after the other, and a view's sink replaces a bare row in its place when its
// −old and +new arrive together: one lookup and one comparison with the row held instead of emptying the
// key and filling it again, and no second comparison at the end of the step.

/** A deterministic stream of integers below `n` (a linear congruential generator from `seed`). */
function seeded(seed: number): (n: number) => number {
  return (n) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31
    return seed % n
  }
}

const item = (id: number, g: number): Item => ({ id, g, v: id, tag: 'a' })
const team = (id: number, name: string): Team => ({ id, name, size: 1 })

describe('the join hands on an update of a row as an update of each joined row', () => {
  /** Items arranged by team, teams by id, each loaded in a step of its own. */
  function arranged() {
    const left = new Arrangement(new InputOperator(items.source), (i) => (i as Item).g)
    const right = new Arrangement(new InputOperator(teams.source), (t) => (t as Team).id)
    left.step([[change(1, item(1, 0), 1), change(2, item(2, 0), 1), change(3, item(3, 1), 1)]])
    left.flush(NO_UNDO)
    right.step([[change(0, team(0, 'core'), 1), change(1, team(1, 'ui'), 1)]])
    right.flush(NO_UNDO)
    return { left, right, join: new JoinOperator(left, right) }
  }
  const pairs = (out: readonly Change<unknown>[]) =>
    out.map((c) => {
      const [i, t] = c.row as [Item, Team]
      return `${c.weight > 0 ? '+' : '-'}${i.id}:${i.g}/${t.name}`
    })

  test('a renamed team: each of its items as −old then +new', () => {
    const { left, right, join } = arranged()
    left.step([[]])
    right.step([[change(0, team(0, 'core'), -1), change(0, team(0, 'base'), 1)]])
    expect(pairs(join.step([], NO_UNDO))).toEqual(['-1:0/core', '+1:0/base', '-2:0/core', '+2:0/base'])
  })

  test('an item moved to another team: the two lookups, each in its own group', () => {
    const { left, right, join } = arranged()
    left.step([[change(1, item(1, 0), -1), change(1, item(1, 1), 1)]])
    right.step([[]])
    expect(pairs(join.step([], NO_UNDO))).toEqual(['-1:0/core', '+1:1/ui'])
  })

  test('a delete and an insert of two keys under one index key are not an update', () => {
    const { left, right, join } = arranged()
    left.step([[]])
    right.step([[change(0, team(0, 'core'), -1), change(5, { ...team(5, 'x'), id: 0 }, 1)]])
    expect(pairs(join.step([], NO_UNDO))).toEqual(['-1:0/core', '-2:0/core', '+1:0/x', '+2:0/x'])
  })
})

describe('a view over a join, updated through it', () => {
  const teamNames = view('teamNames', items.join(teams, 'g', 'id').map(([i, t]) => ({ id: i.id, team: t.name }), { key: (r) => r.id }))

  /** Storage whose append throws while `failing` is set: the step fails after every sink took it. */
  function flaky() {
    const inner = memoryStorage()
    const state = { failing: false }
    const storage: Storage = {
      load: () => inner.load(),
      append(commit) {
        if (state.failing) throw new Error('disk full')
        inner.append(commit)
      },
    }
    return { storage, state }
  }

  function loaded(storage: Storage = memoryStorage()) {
    const store = createStore({ views: [teamNames], storage })
    store.transact((tx) => {
      tx.insert(teams, [team(0, 'core'), team(1, 'ui')])
      tx.insert(items, [item(1, 0), item(2, 1), item(3, 0)])
    })
    const heard: Change<{ id: number; team: string }>[][] = []
    store.subscribe(teamNames, (diff) => heard.push([...diff]))
    return { store, heard }
  }

  test('a rename of one team and an item moved to a team of its old name: only the other items change', () => {
    const { store, heard } = loaded()
    const [one, two, three] = store.read(teamNames)
    // Item 1 leaves 'core' for team 1, renamed 'core' in the same transaction: it reads as before.
    store.transact((tx) => {
      tx.update(teams, 0, { name: 'base' })
      tx.update(teams, 1, { name: 'core' })
      tx.update(items, 1, { g: 1 })
    })
    const rows = store.read(teamNames)
    expect(rows).toEqual([
      { id: 1, team: 'core' },
      { id: 2, team: 'core' },
      { id: 3, team: 'base' },
    ])
    expect(rows[0]).toBe(one)
    expect(heard).toHaveLength(1)
    const byKey = [...heard[0]!].sort((a, b) => Number(a.key) - Number(b.key) || a.weight - b.weight)
    expect(byKey).toEqual([change(2, two, -1), change(2, { id: 2, team: 'core' }, 1), change(3, three, -1), change(3, { id: 3, team: 'base' }, 1)])
  })

  test('a failing transaction that renamed a team leaves every row object and its place', () => {
    const { storage, state } = flaky()
    const { store, heard } = loaded(storage)
    const before = store.read(teamNames)
    const objects = [...before]
    state.failing = true
    expect(() => store.transact((tx) => tx.update(teams, 0, { name: 'base' }))).toThrow('disk full')
    state.failing = false
    expect(store.read(teamNames)).toBe(before)
    expect(store.read(teamNames).every((r, i) => r === objects[i])).toBe(true)
    store.transact((tx) => tx.update(teams, 0, { name: 'base' }))
    expect(store.read(teamNames).map((r) => r.team)).toEqual(['base', 'ui', 'base'])
    expect(store.read(teamNames)[1]).toBe(objects[1])
    expect(heard).toHaveLength(1)
  })
})

/** What `a` holds under index key `indexId`, as `key:tag×weight`. */
function heldAt(a: Arrangement, indexId: number): string[] {
  const out: string[] = []
  a.each(indexId, (key, row, weight) => out.push(`${String(key)}:${(row as Item).tag}×${weight}`))
  return out
}

describe('an arrangement writes an update that keeps its index key in its slot', () => {
  // One index key holding one row (bare), three (the id/row array) and twelve (a keyed set past eight).
  for (const rowsPerKey of [1, 3, 12]) {
    /** Items 0…rowsPerKey−1 under index key 0, arranged in one step. */
    function arrangement() {
      const arranged = new Arrangement(new InputOperator(items.source), (i) => (i as Item).g)
      arranged.step([Array.from({ length: rowsPerKey }, (_, id) => change(id, item(id, 0), 1))])
      arranged.flush(NO_UNDO)
      return arranged
    }
    const held = (a: Arrangement) => heldAt(a, 0)
    const before = Array.from({ length: rowsPerKey }, (_, id) => `${id}:a×1`)
    const updated = (a: Arrangement, undo: UndoLog) => {
      const old = item(0, 0)
      a.step([[change(0, old, -1), change(0, { ...old, tag: 'b' }, 1)]])
      a.flush(undo)
    }

    test(`${rowsPerKey} row(s) under the index key: the new row takes the old one's place`, () => {
      const a = arrangement()
      updated(a, NO_UNDO)
      expect(held(a)).toEqual(['0:b×1', ...before.slice(1)])
      expect(a.weightAt(0)).toBe(rowsPerKey)
    })

    test(`${rowsPerKey} row(s) under the index key: a rolled-back step puts the old row back`, () => {
      const a = arrangement()
      const undo = new UndoLog()
      updated(a, undo)
      undo.rollback()
      expect(held(a)).toEqual(before)
      expect(a.weightAt(0)).toBe(rowsPerKey)
    })
  }

  test('a pair whose old row is not the one held is added as two changes', () => {
    const a = new Arrangement(new InputOperator(items.source), (i) => (i as Item).g)
    a.step([[change(0, item(0, 0), 1)]])
    a.flush(NO_UNDO)
    a.step([[change(0, { ...item(0, 0), tag: 'z' }, -1), change(0, { ...item(0, 0), tag: 'b' }, 1)]])
    a.flush(NO_UNDO)
    expect(heldAt(a, 0).sort()).toEqual(['0:a×1', '0:b×1', '0:z×-1'])
  })
})

describe('an arrangement holds the lone row of an index key that is its own key apart, as itself', () => {
  /** Item 0 under index key 0 (its own key), arranged in one step. */
  function arrangement() {
    const a = new Arrangement(new InputOperator(items.source), (i) => (i as Item).g)
    a.step([[change(0, item(0, 0), 1)]])
    a.flush(NO_UNDO)
    return a
  }
  const stepped = (a: Arrangement, changes: Change<unknown>[], undo: UndoLog) => {
    a.step([changes])
    a.flush(undo)
  }

  test('a row of another key under it makes a group of both; a rollback leaves the lone row again', () => {
    const a = arrangement()
    const undo = new UndoLog()
    stepped(a, [change(1, item(1, 0), 1)], undo)
    expect(heldAt(a, 0).sort()).toEqual(['0:a×1', '1:a×1'])
    expect(a.weightAt(0)).toBe(2)
    expect(a.singles.has(0)).toBe(false)
    undo.rollback()
    expect(heldAt(a, 0)).toEqual(['0:a×1'])
    expect(a.singles.get(0)).toEqual(item(0, 0))
    expect(a.groups.has(0)).toBe(false)
  })

  test('a delete of an equal row removes it; a rollback puts it back', () => {
    const a = arrangement()
    const undo = new UndoLog()
    stepped(a, [change(0, { ...item(0, 0) }, -1)], undo)
    expect(a.size).toBe(0)
    undo.rollback()
    expect(heldAt(a, 0)).toEqual(['0:a×1'])
  })

  test('a second copy of the row gives it weight 2, and deleting one leaves weight 1', () => {
    const a = arrangement()
    stepped(a, [change(0, item(0, 0), 1)], NO_UNDO)
    expect(heldAt(a, 0)).toEqual(['0:a×2'])
    stepped(a, [change(0, item(0, 0), -1)], NO_UNDO)
    expect(heldAt(a, 0)).toEqual(['0:a×1'])
    expect(a.weightAt(0)).toBe(1)
  })
})

describe('a group-by fused into a join takes an update of a joined row as one', () => {
  // Grouped by the team's name (the side that is not updated, or is), through a filter on the item's tag
  // that an update can pass into or out of; min/max read the item's value.
  const kept = items.join(teams, 'g', 'id').filter(([i]) => i.tag !== 'c')
  const perTeam = view('perTeam', kept.groupBy(([, t]) => t.name, { n: count(), lo: min(([i]) => i.v), hi: max(([i]) => i.v) }))
  const perTag = view('perTag', kept.groupBy(([i]) => i.tag, { n: count(), hi: max(([i]) => i.v) }))
  // Compiled first for a view of its own, the filtered join is shared as it is, and group-bys read it unfused.
  const plain = view('plain', kept)

  test('after every step of a random stream, as the same group-bys reading the join unfused', () => {
    const fused = createStore({ views: [perTeam, perTag] })
    const unfused = createStore({ views: [plain, perTeam, perTag] })
    const labels = (s: typeof fused) => s.describe().operators.map((o) => o.label)
    expect(labels(fused).filter((l) => l.endsWith('→groupBy'))).toHaveLength(2)
    expect(labels(unfused).filter((l) => l.endsWith('→groupBy'))).toHaveLength(0)

    const next = seeded(7)
    const tags = ['a', 'b', 'c']
    const names = ['core', 'ui', 'core', 'docs']
    const steps: ((tx: Parameters<Parameters<typeof fused.transact>[0]>[0]) => void)[] = [
      (tx) => tx.insert(teams, [0, 1, 2, 3].map((id) => team(id, names[id]!))),
      (tx) => tx.insert(items, Array.from({ length: 24 }, (_, id) => ({ id, g: id % 4, v: id % 7, tag: tags[id % 3]! }))),
    ]
    for (let s = 0; s < 300; s++) {
      const id = next(24)
      const kind = next(5)
      const value = next(9)
      steps.push((tx) => {
        if (kind === 0) tx.update(items, id, { v: value })
        else if (kind === 1) tx.update(items, id, { tag: tags[value % 3]! })
        else if (kind === 2) tx.update(items, id, { g: value % 4 })
        else if (kind === 3) tx.update(teams, id % 4, { name: names[value % 4]! })
        else tx.update(teams, id % 4, { size: value })
      })
    }
    const byKey = (rows: readonly { key: unknown }[]) => [...rows].sort((x, y) => String(x.key).localeCompare(String(y.key)))
    for (const step of steps) {
      fused.transact(step)
      unfused.transact(step)
      expect(byKey(fused.read(perTeam))).toEqual(byKey(unfused.read(perTeam)))
      expect(byKey(fused.read(perTag))).toEqual(byKey(unfused.read(perTag)))
    }
    expect(fused.read(perTeam).length).toBeGreaterThan(0)
  })
})

describe('a group-by of counts alone takes an update that keeps its group as nothing', () => {
  // Nothing of such a group changes, so the group-by leaves it untouched: these check that the counts
  // still follow updates that move rows between groups, through a join (fused) and over a collection.
  const perName = view('perName', items.join(teams, 'g', 'id').groupBy(([, t]) => t.name, { n: count() }))
  const perTag = view('perTag', items.groupBy((i) => i.tag, { n: count() }))

  /** The counts recomputed from the collections' rows, sorted by key. */
  function recomputed(store: ReturnType<typeof createStore>) {
    const names = new Map(store.read(teams).map((t) => [t.id, t.name]))
    const byName = new Map<string, number>()
    const byTag = new Map<string, number>()
    for (const i of store.read(items)) {
      const name = i.g === null ? undefined : names.get(i.g)
      if (name !== undefined) byName.set(name, (byName.get(name) ?? 0) + 1)
      byTag.set(i.tag, (byTag.get(i.tag) ?? 0) + 1)
    }
    const rows = (m: Map<string, number>) => sorted([...m].map(([key, n]) => ({ key, n })))
    return { perName: rows(byName), perTag: rows(byTag) }
  }
  const sorted = (rows: readonly { key: string; n: number }[]) => [...rows].sort((x, y) => x.key.localeCompare(y.key))

  test('after every step of a random stream, the counts recomputed; no diff for an update that keeps every group', () => {
    const store = createStore({ views: [perName, perTag] })
    const heard: string[] = []
    store.subscribe(perName, (diff) => heard.push(`perName ${diff.length}`))
    store.subscribe(perTag, (diff) => heard.push(`perTag ${diff.length}`))
    const names = ['core', 'ui', 'core', 'docs']
    const tags = ['a', 'b', 'c']
    store.transact((tx) => tx.insert(teams, [0, 1, 2, 3].map((id) => team(id, names[id]!))))
    store.transact((tx) => tx.insert(items, Array.from({ length: 24 }, (_, id) => ({ id, g: id % 4, v: id, tag: tags[id % 3]! }))))
    const next = seeded(11)
    for (let s = 0; s < 300; s++) {
      const id = next(24)
      const kind = next(4)
      const value = next(9)
      store.transact((tx) => {
        if (kind === 0) tx.update(items, id, { v: value })
        else if (kind === 1) tx.update(items, id, { tag: tags[value % 3]! })
        else if (kind === 2) tx.update(items, id, { g: value % 4 })
        else tx.update(teams, id % 4, { name: names[value % 4]! })
      })
      const expected = recomputed(store)
      expect(sorted(store.read(perName))).toEqual(expected.perName)
      expect(sorted(store.read(perTag))).toEqual(expected.perTag)
    }
    // An item's value is read by neither group-by: the update reaches both and changes neither.
    heard.length = 0
    store.transact((tx) => tx.update(items, 5, { v: 100 }))
    expect(heard).toEqual([])
    // Moved to another tag and another team: both views hear of it.
    const before = store.get(items, 5)!
    store.transact((tx) => tx.update(items, 5, { tag: before.tag === 'a' ? 'b' : 'a', g: before.g === 1 ? 3 : 1 }))
    expect(heard).toEqual(['perName 4', 'perTag 4'])
  })
})
