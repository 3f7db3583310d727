import type { Transaction } from '@stepping/core'
import { Prng } from './prng'
import { comments, issues, users } from './schema'
import type { CollectionName, Comment, Dataset, Status } from './schema'
import { EPOCH, SPAN } from './workload'

/** One single-row change of the workload. */
export type Edit =
  | { readonly kind: 'issueStatus'; readonly id: number; readonly status: Status }
  | { readonly kind: 'issuePriority'; readonly id: number; readonly priority: number }
  | { readonly kind: 'issueOwner'; readonly id: number; readonly ownerId: number }
  | { readonly kind: 'commentInsert'; readonly comment: Comment }
  | { readonly kind: 'commentDelete'; readonly id: number }
  | { readonly kind: 'userRename'; readonly id: number; readonly name: string }

export type EditKind = Edit['kind']

/** How often each kind of change occurs in the stream (relative weights). */
export const EDIT_MIX: Readonly<Record<EditKind, number>> = {
  issueStatus: 15,
  issuePriority: 15,
  issueOwner: 10,
  commentInsert: 30,
  commentDelete: 20,
  userRename: 10,
}

/** The collection an edit changes. */
export function collectionOf(edit: Edit): CollectionName {
  switch (edit.kind) {
    case 'issueStatus':
    case 'issuePriority':
    case 'issueOwner':
      return 'issues'
    case 'commentInsert':
    case 'commentDelete':
      return 'comments'
    case 'userRename':
      return 'users'
  }
}

/** Applies an edit inside a stepping transaction. */
export function applyEdit(tx: Transaction, edit: Edit): void {
  switch (edit.kind) {
    case 'issueStatus':
      tx.update(issues, edit.id, { status: edit.status })
      return
    case 'issuePriority':
      tx.update(issues, edit.id, { priority: edit.priority })
      return
    case 'issueOwner':
      tx.update(issues, edit.id, { ownerId: edit.ownerId })
      return
    case 'commentInsert':
      tx.insert(comments, edit.comment)
      return
    case 'commentDelete':
      tx.delete(comments, edit.id)
      return
    case 'userRename':
      tx.update(users, edit.id, { name: edit.name })
      return
  }
}

/**
 * The endless, deterministic stream of single-row changes over `data`. Every edit is valid against the
 * state left by the edits before it (deletes name live comments; updates change a field to a new value),
 * so any prefix of it, filtered to any set of collections, is a valid change history.
 *
 * Comment inserts come in three flavours: fresh (newest of all, so they enter the top 20), slightly
 * back-dated (within the last ~20 minutes, so some land inside the top 20 and some just outside) and
 * back-dated far into the past (outside it). A third of comment deletes remove one of the comments the
 * stream inserted most recently, which are often in the top 20 (the window then refills from below).
 */
export function* editStream(data: Dataset, seed: number): Generator<Edit, never> {
  const rng = new Prng(seed)
  const userCount = data.users.length
  const status: Status[] = data.issues.map((i) => i.status)
  const priority: number[] = data.issues.map((i) => i.priority)
  const owner: number[] = data.issues.map((i) => i.ownerId)
  // Live comment ids, with each id's position for O(1) removal.
  const live: number[] = data.comments.map((c) => c.id)
  const position: number[] = []
  for (let i = 0; i < live.length; i++) position[live[i]!] = i
  const recent: number[] = []
  let nextCommentId = data.comments.length + 1
  let clock = EPOCH + SPAN
  let renames = 0

  const removeLive = (id: number): void => {
    const at = position[id]!
    const last = live.pop()!
    if (last !== id) {
      live[at] = last
      position[last] = at
    }
    position[id] = -1
  }

  for (;;) {
    const kind = rng.weighted(EDIT_MIX)
    switch (kind) {
      case 'issueStatus': {
        const id = rng.range(1, data.n)
        const next: Status = status[id - 1] === 'open' ? 'closed' : 'open'
        status[id - 1] = next
        yield { kind, id, status: next }
        break
      }
      case 'issuePriority': {
        const id = rng.range(1, data.n)
        const next = (priority[id - 1]! + 1 + rng.int(3)) % 4
        priority[id - 1] = next
        yield { kind, id, priority: next }
        break
      }
      case 'issueOwner': {
        const id = rng.range(1, data.n)
        let next = rng.range(1, userCount)
        if (next === owner[id - 1] && userCount > 1) next = (next % userCount) + 1
        owner[id - 1] = next
        yield { kind, id, ownerId: next }
        break
      }
      case 'commentInsert': {
        const flavour = rng.weighted({ fresh: 4, recent: 3, old: 3 })
        let createdAt: number
        if (flavour === 'fresh') createdAt = clock += rng.range(1, 120)
        else if (flavour === 'recent') createdAt = clock - rng.int(1200)
        else createdAt = EPOCH + rng.int(clock - EPOCH)
        const id = nextCommentId++
        const comment: Comment = {
          id,
          issueId: rng.range(1, data.n),
          authorId: rng.range(1, userCount),
          createdAt,
          body: `comment ${id} (${flavour})`,
        }
        position[id] = live.length
        live.push(id)
        recent.push(id)
        if (recent.length > 20) recent.shift()
        yield { kind, comment }
        break
      }
      case 'commentDelete': {
        let id: number | undefined
        if (recent.length > 0 && rng.chance(1 / 3)) id = recent.splice(rng.int(recent.length), 1)[0]
        else id = rng.pick(live)
        if (id === undefined || position[id] === -1) break
        const r = recent.indexOf(id)
        if (r >= 0) recent.splice(r, 1)
        removeLive(id)
        yield { kind, id }
        break
      }
      case 'userRename': {
        const id = rng.range(1, userCount)
        yield { kind, id, name: `user-${id}-renamed-${++renames}` }
        break
      }
    }
  }
}

/** The first `count` edits of the stream that change one of `reads`: the history one view sees. */
export function editsFor(data: Dataset, seed: number, reads: ReadonlySet<CollectionName>, count: number): Edit[] {
  const out: Edit[] = []
  for (const edit of editStream(data, seed)) {
    if (!reads.has(collectionOf(edit))) continue
    out.push(edit)
    if (out.length >= count) break
  }
  return out
}
