import type { CollectionName, Comment, Dataset, Issue, User } from '../schema'
import type { Edit } from '../stream'
import { canonical } from '../verify'

/** The benchmarked views, by id (the same ids as `CASES` in views.ts). */
export type ViewId = 'Q1' | 'Q2' | 'Q3a' | 'Q3b' | 'Q4' | 'Q5'

/** One view maintained by a peer engine over the benchmark's inputs. */
export interface PeerView {
  /**
   * Applies the edits as one step (one transaction / one graph run) and returns once the engine has run to
   * quiescence and its result reflects them. May return a promise when the engine commits asynchronously.
   */
  apply(edits: readonly Edit[]): void | Promise<void>
  /** The view's current rows, in the shape of the from-scratch result (ordered for Q1 and Q5). */
  rows(): readonly unknown[]
}

/** A view the peer cannot express, and why. */
export interface Unsupported {
  readonly unsupported: string
}

/** A peer engine: builds any of the six views over a dataset (the build runs to quiescence). */
export interface PeerEngine {
  readonly name: string
  /** npm package whose version is reported. */
  readonly pkg: string
  build(view: ViewId, data: Dataset, reads: ReadonlySet<CollectionName>): PeerView | Unsupported
}

export const isUnsupported = (x: PeerView | Unsupported): x is Unsupported => 'unsupported' in x

/**
 * The peers' inputs, for computing retractions: differential-dataflow inputs take a change as
 * (old row, −1), (new row, +1), so an adapter must know each row's current value. Rows start as the
 * dataset's (ids are 1…n, dense) and only changed rows are kept here, so this adds little heap.
 */
export class InputRows {
  readonly #data: Dataset
  readonly #issues = new Map<number, Issue>()
  readonly #users = new Map<number, User>()
  readonly #comments = new Map<number, Comment | null>()

  constructor(data: Dataset) {
    this.#data = data
  }

  issue(id: number): Issue {
    const row = this.#issues.get(id) ?? this.#data.issues[id - 1]
    if (row === undefined) throw new Error(`peers: no issue ${id}`)
    return row
  }

  user(id: number): User {
    const row = this.#users.get(id) ?? this.#data.users[id - 1]
    if (row === undefined) throw new Error(`peers: no user ${id}`)
    return row
  }

  comment(id: number): Comment {
    const own = this.#comments.get(id)
    const row = own === undefined ? this.#data.comments[id - 1] : own
    if (row === undefined || row === null) throw new Error(`peers: no comment ${id}`)
    return row
  }

  /** Records an edit and hands back its row-level change: the old row (if any) and the new row (if any). */
  change(edit: Edit): RowChange {
    switch (edit.kind) {
      case 'issueStatus':
      case 'issuePriority':
      case 'issueOwner': {
        const old = this.issue(edit.id)
        const next: Issue =
          edit.kind === 'issueStatus'
            ? { ...old, status: edit.status }
            : edit.kind === 'issuePriority'
              ? { ...old, priority: edit.priority }
              : { ...old, ownerId: edit.ownerId }
        this.#issues.set(edit.id, next)
        return { collection: 'issues', old, next }
      }
      case 'commentInsert':
        this.#comments.set(edit.comment.id, edit.comment)
        return { collection: 'comments', old: null, next: edit.comment }
      case 'commentDelete': {
        const old = this.comment(edit.id)
        this.#comments.set(edit.id, null)
        return { collection: 'comments', old, next: null }
      }
      case 'userRename': {
        const old = this.user(edit.id)
        const next: User = { ...old, name: edit.name }
        this.#users.set(edit.id, next)
        return { collection: 'users', old, next }
      }
    }
  }
}

export type RowChange =
  | { readonly collection: 'issues'; readonly old: Issue; readonly next: Issue }
  | { readonly collection: 'users'; readonly old: User; readonly next: User }
  | { readonly collection: 'comments'; readonly old: Comment | null; readonly next: Comment | null }

/**
 * A differential-dataflow output kept as the view's current rows: key → row. Usually a step brings a key
 * at most one retraction and one insertion, applied retraction first. But `consolidate()` does not merge
 * structurally equal object rows (db-ivm emits e.g. −a +a −a +b for one key in one message), so a key with
 * more entries is netted out by value first (rows compared as canonical JSON).
 */
export class Materialized<K, V> {
  readonly rows = new Map<K, V>()

  apply(changes: ReadonlyArray<readonly [readonly [K, V], number]>): void {
    const seen = new Map<K, number>()
    for (const [[key]] of changes) seen.set(key, (seen.get(key) ?? 0) + 1)
    const crowded = new Map<K, Map<string, [V, number]>>()
    for (const [[key], m] of changes) if (m < 0 && seen.get(key)! <= 2) this.rows.delete(key)
    for (const [[key, value], m] of changes) {
      if (seen.get(key)! <= 2) {
        if (m > 0) this.rows.set(key, value)
        continue
      }
      let net = crowded.get(key)
      if (net === undefined) crowded.set(key, (net = new Map()))
      const id = canonical(value)
      const entry = net.get(id)
      if (entry === undefined) net.set(id, [value, m])
      else entry[1] += m
    }
    for (const [key, net] of crowded) {
      for (const [value, m] of net.values()) if (m < 0 && this.rows.has(key) && canonical(this.rows.get(key)) === canonical(value)) this.rows.delete(key)
      for (const [value, m] of net.values()) if (m > 0) this.rows.set(key, value)
    }
  }
}

/** Orders the rows of an ordered view by their fractional index (the engines' way of keeping order). */
export function byIndex<V>(rows: Iterable<readonly [V, string]>): V[] {
  return [...rows].sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0)).map(([v]) => v)
}

/** Issues newest first, ties by id: the order of Q1 and Q5. */
export const newestFirst = (a: { createdAt: number; id: number }, b: { createdAt: number; id: number }): number =>
  b.createdAt - a.createdAt || a.id - b.id
