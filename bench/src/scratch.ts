import type { CollectionName, Comment, Dataset, Issue, User } from './schema'
import type { Edit } from './stream'

/**
 * The baseline: the same data in plain `Map`s, and every view recomputed from nothing with loops, Maps and
 * a sort — the straightforward fast way to answer each query without incremental maintenance.
 */
export class ScratchDb {
  readonly issues = new Map<number, Issue>()
  readonly users = new Map<number, User>()
  readonly comments = new Map<number, Comment>()

  /** Loads the collections a view reads (projects are read by none). */
  static load(data: Dataset, reads: ReadonlySet<CollectionName>): ScratchDb {
    const db = new ScratchDb()
    if (reads.has('issues')) for (const i of data.issues) db.issues.set(i.id, i)
    if (reads.has('users')) for (const u of data.users) db.users.set(u.id, u)
    if (reads.has('comments')) for (const c of data.comments) db.comments.set(c.id, c)
    return db
  }

  /** Applies one edit to the inputs (the view is not touched: it is recomputed when asked for). */
  apply(edit: Edit): void {
    switch (edit.kind) {
      case 'issueStatus':
        this.issues.set(edit.id, { ...this.#issue(edit.id), status: edit.status })
        return
      case 'issuePriority':
        this.issues.set(edit.id, { ...this.#issue(edit.id), priority: edit.priority })
        return
      case 'issueOwner':
        this.issues.set(edit.id, { ...this.#issue(edit.id), ownerId: edit.ownerId })
        return
      case 'commentInsert':
        if (this.comments.has(edit.comment.id)) throw new Error(`scratch: comment ${edit.comment.id} exists`)
        this.comments.set(edit.comment.id, edit.comment)
        return
      case 'commentDelete':
        if (!this.comments.delete(edit.id)) throw new Error(`scratch: no comment ${edit.id}`)
        return
      case 'userRename': {
        const user = this.users.get(edit.id)
        if (user === undefined) throw new Error(`scratch: no user ${edit.id}`)
        this.users.set(edit.id, { ...user, name: edit.name })
        return
      }
    }
  }

  #issue(id: number): Issue {
    const issue = this.issues.get(id)
    if (issue === undefined) throw new Error(`scratch: no issue ${id}`)
    return issue
  }
}

/** Q1: open issues with priority ≥ 2, newest first (ties by id). */
export function q1OpenUrgent(db: ScratchDb): Issue[] {
  const out: Issue[] = []
  for (const i of db.issues.values()) if (i.status === 'open' && i.priority >= 2) out.push(i)
  return out.sort((a, b) => b.createdAt - a.createdAt || a.id - b.id)
}

export interface IssueWithOwner {
  readonly id: number
  readonly title: string
  readonly owner: string
}

/** Q2: every issue with its owner's name. */
export function q2IssueOwners(db: ScratchDb): IssueWithOwner[] {
  const out: IssueWithOwner[] = []
  const users = db.users
  for (const i of db.issues.values()) {
    const u = users.get(i.ownerId)
    if (u !== undefined) out.push({ id: i.id, title: i.title, owner: u.name })
  }
  return out
}

export interface CountRow {
  readonly key: number
  readonly n: number
}

function countRows(counts: Map<number, number>): CountRow[] {
  const out: CountRow[] = []
  for (const [key, n] of counts) out.push({ key, n })
  return out
}

/** Q3a: number of comments per issue (issues without comments have no row). */
export function q3aCommentCounts(db: ScratchDb): CountRow[] {
  const counts = new Map<number, number>()
  for (const c of db.comments.values()) counts.set(c.issueId, (counts.get(c.issueId) ?? 0) + 1)
  return countRows(counts)
}

export interface ProjectStats {
  readonly key: number
  readonly n: number
  readonly prio: number
  readonly newest: number
}

/** Q3b: per project, its open issues' count, priority sum and newest createdAt. */
export function q3bProjectStats(db: ScratchDb): ProjectStats[] {
  const acc = new Map<number, { n: number; prio: number; newest: number }>()
  for (const i of db.issues.values()) {
    if (i.status !== 'open') continue
    const a = acc.get(i.projectId)
    if (a === undefined) acc.set(i.projectId, { n: 1, prio: i.priority, newest: i.createdAt })
    else {
      a.n++
      a.prio += i.priority
      if (i.createdAt > a.newest) a.newest = i.createdAt
    }
  }
  const out: ProjectStats[] = []
  for (const [key, a] of acc) out.push({ key, n: a.n, prio: a.prio, newest: a.newest })
  return out
}

/** Q4: per comment author, the number of their comments on open issues. */
export function q4OpenCommentsPerUser(db: ScratchDb): CountRow[] {
  const counts = new Map<number, number>()
  const issues = db.issues
  for (const c of db.comments.values()) {
    if (issues.get(c.issueId)?.status === 'open') counts.set(c.authorId, (counts.get(c.authorId) ?? 0) + 1)
  }
  return countRows(counts)
}

/** Q5: the 20 newest comments (ties by id), in one pass keeping a sorted window of 20. */
export function q5LatestComments(db: ScratchDb, limit = 20): Comment[] {
  const top: Comment[] = []
  const before = (a: Comment, b: Comment): boolean => a.createdAt > b.createdAt || (a.createdAt === b.createdAt && a.id < b.id)
  for (const c of db.comments.values()) {
    if (top.length === limit) {
      if (!before(c, top[limit - 1]!)) continue
      top.pop()
    }
    let j = top.length
    top.push(c)
    while (j > 0 && before(c, top[j - 1]!)) {
      top[j] = top[j - 1]!
      j--
    }
    top[j] = c
  }
  return top
}
