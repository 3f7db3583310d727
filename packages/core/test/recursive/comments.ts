import { collection, count, recursive, type Relation } from '../../src/index'

/** A comment; `parentId` is null for a thread's first comment. */
export interface Comment {
  readonly id: number
  readonly parentId: number | null
  readonly postId: number
}

/** `id` is a descendant of `ancestor` at `depth` levels below it (depth 0: the comment itself). */
export interface Descendant {
  readonly ancestor: number
  readonly id: number
  readonly depth: number
}

export const comments = collection<Comment>('comments', { key: 'id' })

/** Every (ancestor, descendant) pair with its depth: the recursive view the comments app renders. */
export const descendants: Relation<Descendant> = recursive(
  comments.map((c): Descendant => ({ ancestor: c.id, id: c.id, depth: 0 }), { key: (d) => [d.ancestor, d.id] }),
  (self) =>
    self
      .join(comments, 'id', 'parentId')
      .map(([d, c]): Descendant => ({ ancestor: d.ancestor, id: c.id, depth: d.depth + 1 }), { key: (d) => [d.ancestor, d.id] }),
)

/** Each comment's thread root: the ancestor that has no parent. */
export const threadRoot = descendants
  .join(comments, 'ancestor', 'id')
  .filter(([, a]) => a.parentId === null)
  .map(([d]) => ({ id: d.id, root: d.ancestor }), { key: (r) => r.id })

/** Replies in each comment's whole subtree (itself excluded). */
export const subtreeReplies = descendants.filter((d) => d.depth > 0).groupBy((d) => d.ancestor, { replies: count() })
