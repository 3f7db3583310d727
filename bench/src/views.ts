import { count, createStore, max, sum, view } from '@stepping/core'
import type { Store, View } from '@stepping/core'
import { comments, issues, users } from './schema'
import type { CollectionName } from './schema'
import {
  q1OpenUrgent,
  q2IssueOwners,
  q3aCommentCounts,
  q3bProjectStats,
  q4OpenCommentsPerUser,
  q5LatestComments,
  type ScratchDb,
} from './scratch'
import { verifyRows } from './verify'

/** The six views, as stepping relations. */
export const q1 = view('q1', issues.filter((i) => i.status === 'open' && i.priority >= 2).orderBy((i) => i.createdAt, 'desc'))

export const q2 = view(
  'q2',
  issues.join(users, 'ownerId', 'id').map(([i, u]) => ({ id: i.id, title: i.title, owner: u.name }), { key: (r) => r.id }),
)

export const q3a = view('q3a', comments.groupBy((c) => c.issueId, { n: count() }))

export const q3b = view(
  'q3b',
  issues
    .filter((i) => i.status === 'open')
    .groupBy((i) => i.projectId, { n: count(), prio: sum((i) => i.priority), newest: max((i) => i.createdAt) }),
)

/**
 * Q4 filters the issues before the join, as every peer's Q4 does (db-ivm and d2ts are written so, and
 * @tanstack/db's optimizer moves a one-source `where` below the join): a comment on a closed issue never
 * makes a pair, and an edit to a closed issue that leaves it closed never reaches the join.
 */
export const q4 = view(
  'q4',
  comments
    .join(
      issues.filter((i) => i.status === 'open'),
      'issueId',
      'id',
    )
    .groupBy(([c]) => c.authorId, { n: count() }),
)

export const q5 = view('q5', comments.orderBy((c) => c.createdAt, 'desc').limit(20))

/** One benchmarked view: its stepping definition and its from-scratch twin, type-erased for the runner. */
export interface BenchCase {
  readonly id: string
  readonly title: string
  /** Collections the view reads: its store holds these, and only their edits reach it. */
  readonly reads: ReadonlySet<CollectionName>
  /** A store maintaining this view alone. */
  createStore(): Store
  /** The from-scratch recompute; returns the rows (kept alive so the work cannot be optimized away). */
  recompute(db: ScratchDb): readonly unknown[]
  /** Throws unless the store's view has exactly the rows the from-scratch recompute gives. */
  verify(store: Store, db: ScratchDb): void
}

interface CaseSpec<R> {
  readonly id: string
  readonly title: string
  readonly reads: readonly CollectionName[]
  readonly view: View<R>
  readonly scratch: (db: ScratchDb) => R[]
  /** For ordered views: rows compare position by position. Otherwise: sorted by this key first. */
  readonly order: 'ordered' | ((row: R) => number)
}

function defineCase<R>(spec: CaseSpec<R>): BenchCase {
  return {
    id: spec.id,
    title: spec.title,
    reads: new Set(spec.reads),
    createStore: () => createStore({ views: [spec.view] }),
    recompute: (db) => spec.scratch(db),
    verify: (store, db) => verifyRows(spec.id, store.read(spec.view), spec.scratch(db), spec.order),
  }
}

export const CASES: readonly BenchCase[] = [
  defineCase({
    id: 'Q1',
    title: 'open issues, priority ≥ 2, by createdAt desc (filter + orderBy)',
    reads: ['issues'],
    view: q1,
    scratch: q1OpenUrgent,
    order: 'ordered',
  }),
  defineCase({
    id: 'Q2',
    title: "issues with their owner's name (join + map)",
    reads: ['issues', 'users'],
    view: q2,
    scratch: q2IssueOwners,
    order: (r) => r.id,
  }),
  defineCase({
    id: 'Q3a',
    title: 'comment count per issue (groupBy count)',
    reads: ['comments'],
    view: q3a,
    scratch: q3aCommentCounts,
    order: (r) => r.key,
  }),
  defineCase({
    id: 'Q3b',
    title: 'per project: open issues, priority sum, newest (filter + groupBy count/sum/max)',
    reads: ['issues'],
    view: q3b,
    scratch: q3bProjectStats,
    order: (r) => r.key,
  }),
  defineCase({
    id: 'Q4',
    title: 'per user: comments on open issues (filter + join + groupBy)',
    reads: ['comments', 'issues'],
    view: q4,
    scratch: q4OpenCommentsPerUser,
    order: (r) => r.key,
  }),
  defineCase({
    id: 'Q5',
    title: '20 newest comments (orderBy + limit 20)',
    reads: ['comments'],
    view: q5,
    scratch: (db) => q5LatestComments(db),
    order: 'ordered',
  }),
]
