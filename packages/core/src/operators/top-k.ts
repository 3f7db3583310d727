import { keyId, type Key, type KeyId } from '../key'
import type { Order } from '../relation'
import { FILL_AT, SortedRows, TableHead, type SortedEntry, type SortKey } from '../sorted'
import { change, groupChanges, savedRows, type Change, type Delta, type KeyedZSet } from '../zset'
import { NO_UNDO, type UndoLog } from '../undo'
import { assert } from '../errors'
import { BaseOperator, type Operator } from './operator'

/** The window of one group. */
class Window {
  /** The entries of the rows currently in the window, in order, and each one's row when it was shown. */
  shown: readonly SortedEntry<unknown>[] = NONE_SHOWN
  shownRows: readonly unknown[] = NONE_SHOWN
  /**
   * Sort key of the window's last row when the window is full; changes past it cannot matter. It is that
   * row's tree entry, whose sort value changes only when the entry is placed again, which touches the
   * window and so re-reads it (and `last`) in the same step.
   */
  last: SortKey | undefined = undefined
  /** The step that last marked the window for a re-read. */
  dirtyAt = 0

  constructor(
    readonly id: KeyId,
    readonly rows: SortedRows<unknown> | TableHead<unknown>,
  ) {}
}

const NONE_SHOWN: readonly never[] = Object.freeze([])

/**
 * A window's re-read matches its old rows to its new ones by scanning (no allocation, and faster than a
 * map for a few dozen rows) while old × new is at most this; past it, through a map from key id to position.
 */
const SCAN_UP_TO = 32 * 32

/** Marks a window for a re-read at the end of the step, once. */
function markDirty(w: Window, dirty: Window[], step: number): void {
  w.dirtyAt = step
  dirty.push(w)
}

/** The position of the entry with key id `id` in `entries`, or -1. */
function scan(entries: readonly SortedEntry<unknown>[], id: KeyId): number {
  for (let i = 0; i < entries.length; i++) if (entries[i]!.id === id) return i
  return -1
}

/** Each entry's position, by key id. */
function positions(entries: readonly SortedEntry<unknown>[]): Map<KeyId, number> {
  const byId = new Map<KeyId, number>()
  for (let i = 0; i < entries.length; i++) byId.set(entries[i]!.id, i)
  return byId
}

/** The collection a top-K reads directly (see `TableHead`): its committed rows by key id, and a row's key. */
export interface CollectionTable {
  readonly rows: () => ReadonlyMap<KeyId, unknown>
  readonly key: (row: unknown) => Key
}

/**
 * orderBy + limit (top-K), optionally per group. State: every row of each group, its head (at least
 * offset + limit rows) in sort order (a B+ tree, O(log n) per change; see `SortedRows`), and the window
 * currently shown. A change strictly after a full window's last row does nothing more; one inside it
 * re-reads the first offset + limit rows of its group, so the cost per change is O(log n + offset +
 * limit), plus, amortized, the scans that reload a drained head. Ties are broken by key, so the window
 * never depends on arrival order.
 *
 * Over a collection itself (no `per`, given its `table`), the rows are not kept twice: the head is placed
 * as above and the rest is the collection's table (`TableHead`). Its state then lives partly in the
 * store's tables, so it can be neither saved in a checkpoint nor rebuilt from an older state of the
 * collections (`readsTables`): views using it are rebuilt on open.
 */
export class TopKOperator extends BaseOperator {
  readonly kind = 'topK'
  readonly groups = new Map<KeyId, Window>()
  readonly readsTables: boolean
  /** Steps taken, to tell the windows a step marked without a set of them. */
  #steps = 0

  constructor(
    input: Operator,
    readonly order: Order,
    readonly limit: number,
    readonly offset: number,
    readonly per: ((row: unknown) => Key) | undefined,
    readonly table?: CollectionTable,
    /** The fewest rows a load places (tests make it small to drain and load with a few dozen rows). */
    readonly loadMin?: number,
  ) {
    super([input])
    assert(table === undefined || per === undefined, () => 'a top-K per group cannot read the table of its collection')
    this.readsTables = table !== undefined
  }

  step([delta]: readonly Delta<unknown>[], undo: UndoLog): Delta<unknown> {
    const { groups, per } = this
    const step = ++this.#steps
    const dirty: Window[] = []
    if (delta!.length < FILL_AT) {
      for (const c of delta!) this.#add(this.#window(per ? keyId(per(c.row)) : null, undo), c, dirty, step, undo)
    } else {
      // A large delta (a build, say) is split by group first (without `per` there is one group: the
      // delta itself): a group that is empty takes its rows in one sort rather than row by row.
      const byGroup = per ? groupChanges(delta!, (c) => keyId(per(c.row))) : [[null, delta!] as const]
      for (const [gid, changes] of byGroup) {
        const w = this.#window(gid, undo)
        if (w.rows.size === 0 && changes.length >= FILL_AT) {
          w.rows.fill(changes, undo)
          markDirty(w, dirty, step)
        } else for (const c of changes) this.#add(w, c, dirty, step, undo)
      }
    }
    // Over a collection, a head drained by this step is loaded again from the table.
    const whole = this.table === undefined ? undefined : groups.get(null)
    if (whole !== undefined && whole.rows instanceof TableHead && whole.rows.settle(delta!, undo) && whole.dirtyAt !== step) markDirty(whole, dirty, step)
    const out: Change<unknown>[] = []
    for (const w of dirty) {
      this.#refresh(w, out, undo)
      if (w.rows.size === 0) {
        groups.delete(w.id)
        if (undo.active) undo.entry(groups, w.id, w)
      }
    }
    return out
  }

  /** Adds one change to a group's rows; the window is dirty when the change lands inside it. */
  #add(w: Window, c: Change<unknown>, dirty: Window[], step: number, undo: UndoLog): void {
    const touchedKeys = w.rows.add(c.key, keyId(c.key), c.row, c.weight, undo)
    if (w.dirtyAt === step) return
    const last = w.last
    for (let i = 0; i < touchedKeys.length; i++)
      if (last === undefined || w.rows.compare(touchedKeys[i]!, last) <= 0) return markDirty(w, dirty, step)
  }

  /** The window of a group, created empty on first use. */
  #window(gid: KeyId, undo: UndoLog): Window {
    const groups = this.groups
    let w = groups.get(gid)
    if (w === undefined) {
      const bound = this.offset + this.limit
      const table = this.table
      const rows = table === undefined ? new SortedRows(this.order, bound, this.loadMin) : new TableHead(this.order, bound, table, this.loadMin)
      const created = new Window(gid, rows)
      groups.set(gid, created)
      if (undo.active) undo.entry(groups, gid, undefined)
      w = created
    }
    return w
  }

  /** Re-reads the window of a group and emits what entered, left or changed. */
  #refresh(w: Window, out: Change<unknown>[], undo: UndoLog): void {
    const shown: SortedEntry<unknown>[] = []
    const shownRows: unknown[] = []
    let i = 0
    const end = this.offset + this.limit
    if (this.limit > 0)
      for (const e of w.rows.tree.values()) {
        if (i >= this.offset) {
          shown.push(e)
          shownRows.push(e.row)
        }
        if (++i >= end) break
      }
    const before = w.shown
    const beforeRows = w.shownRows
    // Where each row shown before is now (-1: gone); a row that stays with the same row object is no change.
    const byId = before.length * shown.length > SCAN_UP_TO ? positions(shown) : undefined
    const kept: boolean[] = new Array<boolean>(shown.length).fill(false)
    for (let j = 0; j < before.length; j++) {
      const old = before[j]!
      const at = byId === undefined ? scan(shown, old.id) : (byId.get(old.id) ?? -1)
      if (at >= 0 && shownRows[at] === beforeRows[j]) kept[at] = true
      else out.push(change(old.key, beforeRows[j], -1))
    }
    for (let k = 0; k < shown.length; k++) if (!kept[k]) out.push(change(shown[k]!.key, shownRows[k], 1))
    if (undo.active) {
      undo.field(w, 'shown', before)
      undo.field(w, 'shownRows', beforeRows)
      undo.field(w, 'last', w.last)
    }
    w.shown = shown
    w.shownRows = shownRows
    w.last = shown.length === this.limit ? shown[shown.length - 1] : undefined
  }

  save(): unknown {
    // Over a collection, most of the state is the store's table: not saved (see `readsTables`).
    if (this.table !== undefined) return undefined
    const sets: KeyedZSet<unknown>[] = []
    for (const w of this.groups.values()) if (w.rows instanceof SortedRows) sets.push(w.rows.rows)
    return savedRows(sets)
  }

  load(saved: unknown): void {
    this.step([saved as Delta<unknown>], NO_UNDO)
  }

  override stateSize(): number {
    let n = 0
    for (const w of this.groups.values()) n += w.rows instanceof SortedRows ? w.rows.rows.size : w.rows.size
    return n
  }
}
