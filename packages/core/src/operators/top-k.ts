import { keyId, type Key, type KeyId } from '../key'
import type { Order } from '../relation'
import { FILL_AT, SortedRows, type SortKey } from '../sorted'
import { change, groupChanges, savedRows, type Change, type Delta } from '../zset'
import { NO_UNDO, type UndoLog } from '../undo'
import { BaseOperator, type Operator } from './operator'

interface Window {
  readonly id: KeyId
  readonly rows: SortedRows<unknown>
  /** The rows currently in the window, by key id. */
  shown: Map<KeyId, { key: Key; row: unknown }>
  /**
   * Sort key of the window's last row when the window is full; changes past it cannot matter. It is that
   * row's tree entry, whose sort value changes only when the entry is placed again, which touches the
   * window and so re-reads it (and `last`) in the same step.
   */
  last: SortKey | undefined
}

/**
 * orderBy + limit (top-K), optionally per group. State: every row of each group, its head (at least
 * offset + limit rows) in sort order (a B+ tree, O(log n) per change; see `SortedRows`), and the window
 * currently shown. A change strictly after a full window's last row does nothing more; one inside it
 * re-reads the first offset + limit rows of its group, so the cost per change is O(log n + offset +
 * limit), plus, amortized, the scans that reload a drained head. Ties are broken by key, so the window
 * never depends on arrival order.
 */
export class TopKOperator extends BaseOperator {
  readonly kind = 'topK'
  readonly groups = new Map<KeyId, Window>()

  constructor(
    input: Operator,
    readonly order: Order,
    readonly limit: number,
    readonly offset: number,
    readonly per: ((row: unknown) => Key) | undefined,
  ) {
    super([input])
  }

  step([delta]: readonly Delta<unknown>[], undo: UndoLog): Delta<unknown> {
    const { groups, per } = this
    const dirty = new Set<Window>()
    if (delta!.length < FILL_AT) {
      for (const c of delta!) this.#add(this.#window(per ? keyId(per(c.row)) : null, undo), c, dirty, undo)
    } else {
      // A large delta (a build, say) is split by group first (without `per` there is one group: the
      // delta itself): a group that is empty takes its rows in one sort rather than row by row.
      const byGroup = per ? groupChanges(delta!, (c) => keyId(per(c.row))) : [[null, delta!] as const]
      for (const [gid, changes] of byGroup) {
        const w = this.#window(gid, undo)
        if (w.rows.size === 0 && changes.length >= FILL_AT) {
          w.rows.fill(changes, undo)
          dirty.add(w)
        } else for (const c of changes) this.#add(w, c, dirty, undo)
      }
    }
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
  #add(w: Window, c: Change<unknown>, dirty: Set<Window>, undo: UndoLog): void {
    const touchedKeys = w.rows.add(c.key, keyId(c.key), c.row, c.weight, undo)
    if (!dirty.has(w) && touchedKeys.some((sk) => w.last === undefined || w.rows.compare(sk, w.last) <= 0)) dirty.add(w)
  }

  /** The window of a group, created empty on first use. */
  #window(gid: KeyId, undo: UndoLog): Window {
    const groups = this.groups
    let w = groups.get(gid)
    if (w === undefined) {
      const created: Window = { id: gid, rows: new SortedRows(this.order, this.offset + this.limit), shown: new Map(), last: undefined }
      groups.set(gid, created)
      if (undo.active) undo.entry(groups, gid, undefined)
      w = created
    }
    return w
  }

  /** Re-reads the window of a group and emits what entered, left or changed. */
  #refresh(w: Window, out: Change<unknown>[], undo: UndoLog): void {
    const shown = new Map<KeyId, { key: Key; row: unknown }>()
    let last: SortKey | undefined
    let i = 0
    const end = this.offset + this.limit
    if (this.limit > 0)
      for (const e of w.rows.tree.values()) {
        if (i >= this.offset) {
          shown.set(e.id, { key: e.key, row: e.row })
          last = e
        }
        if (++i >= end) break
      }
    const before = w.shown
    for (const [id, old] of before) {
      const now = shown.get(id)
      if (now === undefined || now.row !== old.row) out.push(change(old.key, old.row, -1))
    }
    for (const [id, now] of shown) {
      const old = before.get(id)
      if (old === undefined || old.row !== now.row) out.push(change(now.key, now.row, 1))
    }
    const lastBefore = w.last
    w.shown = shown
    w.last = shown.size === this.limit ? last : undefined
    if (undo.active)
      undo.record(() => {
        w.shown = before
        w.last = lastBefore
      })
  }

  save(): unknown {
    return savedRows(Array.from(this.groups.values(), (w) => w.rows.rows))
  }

  load(saved: unknown): void {
    this.step([saved as Delta<unknown>], NO_UNDO)
  }

  override stateSize(): number {
    let n = 0
    for (const w of this.groups.values()) n += w.rows.rows.size
    return n
  }
}
