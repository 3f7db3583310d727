import { and, BasicIndex, count, createCollection, createLiveQueryCollection, createTransaction, eq, gte, localOnlyCollectionOptions, max, sum } from '@tanstack/db'
import type { Comment, Dataset, Issue, User } from '../schema'
import type { Edit } from '../stream'
import type { PeerEngine, PeerView, ViewId } from './types'

let instances = 0

/**
 * Indexes made for the simple where clauses of live queries (auto-indexing, as TanStack DB's docs
 * recommend); `indexFor` adds the ones it asks for by name.
 */
const INDEXING = { autoIndex: 'eager', defaultIndexType: BasicIndex } as const

/** The three input collections: local-only (in memory, each write confirmed synchronously). */
function inputs(data: Dataset, reads: { issues: boolean; users: boolean; comments: boolean }) {
  const id = ++instances
  return {
    issues: createCollection(
      localOnlyCollectionOptions({ id: `issues-${id}`, getKey: (r: Issue) => r.id, initialData: reads.issues ? [...data.issues] : [], ...INDEXING }),
    ),
    users: createCollection(
      localOnlyCollectionOptions({ id: `users-${id}`, getKey: (r: User) => r.id, initialData: reads.users ? [...data.users] : [], ...INDEXING }),
    ),
    comments: createCollection(
      localOnlyCollectionOptions({ id: `comments-${id}`, getKey: (r: Comment) => r.id, initialData: reads.comments ? [...data.comments] : [], ...INDEXING }),
    ),
  }
}

type Inputs = ReturnType<typeof inputs>

function write(c: Inputs, edit: Edit): void {
  switch (edit.kind) {
    case 'issueStatus':
      c.issues.update(edit.id, (d) => {
        d.status = edit.status
      })
      return
    case 'issuePriority':
      c.issues.update(edit.id, (d) => {
        d.priority = edit.priority
      })
      return
    case 'issueOwner':
      c.issues.update(edit.id, (d) => {
        d.ownerId = edit.ownerId
      })
      return
    case 'commentInsert':
      c.comments.insert(edit.comment)
      return
    case 'commentDelete':
      c.comments.delete(edit.id)
      return
    case 'userRename':
      c.users.update(edit.id, (d) => {
        d.name = edit.name
      })
      return
  }
}

/**
 * One edit: a direct collection write, which updates the live query synchronously (measured until it
 * returns). Several edits: one manual transaction (`tx.mutate` with every write, then `commit`, whose
 * mutationFn hands the writes to the local-only collections), awaited until committed.
 */
async function applyMany(c: Inputs, edits: readonly Edit[]): Promise<void> {
  const tx = createTransaction({
    autoCommit: false,
    mutationFn: async ({ transaction }) => {
      c.issues.utils.acceptMutations(transaction)
      c.users.utils.acceptMutations(transaction)
      c.comments.utils.acceptMutations(transaction)
    },
  })
  tx.mutate(() => {
    for (const e of edits) write(c, e)
  })
  await tx.commit()
}

function view(c: Inputs, rows: () => readonly unknown[]): PeerView {
  return {
    apply: (edits) => {
      if (edits.length !== 1) return applyMany(c, edits)
      write(c, edits[0]!)
      return undefined
    },
    rows,
  }
}

const issueRow = (i: Issue): Issue => ({
  id: i.id,
  title: i.title,
  status: i.status,
  priority: i.priority,
  ownerId: i.ownerId,
  projectId: i.projectId,
  createdAt: i.createdAt,
})
const commentRow = (c: Comment): Comment => ({ id: c.id, issueId: c.issueId, authorId: c.authorId, createdAt: c.createdAt, body: c.body })

/**
 * The indexes TanStack DB asks for (it logs "may benefit from an index" and "Join requires an index"
 * without them): on the fields a view filters, joins and orders by.
 */
function indexFor(id: ViewId, c: Inputs): void {
  switch (id) {
    case 'Q1':
      c.issues.createIndex((i) => i.status)
      c.issues.createIndex((i) => i.priority)
      c.issues.createIndex((i) => i.createdAt)
      return
    case 'Q2':
      c.issues.createIndex((i) => i.ownerId)
      c.users.createIndex((u) => u.id)
      return
    case 'Q3a':
      c.comments.createIndex((r) => r.issueId)
      return
    case 'Q3b':
      c.issues.createIndex((i) => i.status)
      return
    case 'Q4':
      c.comments.createIndex((r) => r.issueId)
      c.issues.createIndex((i) => i.id)
      c.issues.createIndex((i) => i.status)
      return
    case 'Q5':
      c.comments.createIndex((r) => r.createdAt)
      return
  }
}

function build(id: ViewId, data: Dataset): PeerView {
  const c = inputs(data, { issues: id !== 'Q3a' && id !== 'Q5', users: id === 'Q2', comments: id === 'Q3a' || id === 'Q4' || id === 'Q5' })
  indexFor(id, c)
  switch (id) {
    case 'Q1': {
      const q = createLiveQueryCollection({
        startSync: true,
        query: (q) =>
          q
            .from({ i: c.issues })
            .where(({ i }) => and(eq(i.status, 'open'), gte(i.priority, 2)))
            .orderBy(({ i }) => i.createdAt, 'desc')
            .orderBy(({ i }) => i.id, 'asc'),
      })
      return view(c, () => q.toArray.map(issueRow))
    }
    case 'Q2': {
      const q = createLiveQueryCollection({
        startSync: true,
        query: (q) =>
          q
            .from({ i: c.issues })
            .join({ u: c.users }, ({ i, u }) => eq(i.ownerId, u.id), 'inner')
            .select(({ i, u }) => ({ id: i.id, title: i.title, owner: u.name })),
      })
      return view(c, () => q.toArray.map((r) => ({ id: r.id, title: r.title, owner: r.owner })))
    }
    case 'Q3a': {
      const q = createLiveQueryCollection({
        startSync: true,
        query: (q) =>
          q
            .from({ c: c.comments })
            .groupBy(({ c }) => c.issueId)
            .select(({ c }) => ({ key: c.issueId, n: count(c.id) })),
      })
      return view(c, () => q.toArray.map((r) => ({ key: r.key, n: r.n })))
    }
    case 'Q3b': {
      const q = createLiveQueryCollection({
        startSync: true,
        query: (q) =>
          q
            .from({ i: c.issues })
            .where(({ i }) => eq(i.status, 'open'))
            .groupBy(({ i }) => i.projectId)
            .select(({ i }) => ({ key: i.projectId, n: count(i.id), prio: sum(i.priority), newest: max(i.createdAt) })),
      })
      return view(c, () => q.toArray.map((r) => ({ key: r.key, n: r.n, prio: r.prio, newest: r.newest })))
    }
    case 'Q4': {
      const q = createLiveQueryCollection({
        startSync: true,
        query: (q) =>
          q
            .from({ c: c.comments })
            .join({ i: c.issues }, ({ c, i }) => eq(c.issueId, i.id), 'inner')
            .where(({ i }) => eq(i.status, 'open'))
            .groupBy(({ c }) => c.authorId)
            .select(({ c }) => ({ key: c.authorId, n: count(c.id) })),
      })
      return view(c, () => q.toArray.map((r) => ({ key: r.key, n: r.n })))
    }
    case 'Q5': {
      const q = createLiveQueryCollection({
        startSync: true,
        query: (q) =>
          q
            .from({ c: c.comments })
            .orderBy(({ c }) => c.createdAt, 'desc')
            .orderBy(({ c }) => c.id, 'asc')
            .limit(20),
      })
      return view(c, () => q.toArray.map(commentRow))
    }
  }
}

/** @tanstack/db: local-only collections and live query collections (the query builder). */
export const tanstackDb: PeerEngine = { name: '@tanstack/db live queries', pkg: '@tanstack/db', build }
