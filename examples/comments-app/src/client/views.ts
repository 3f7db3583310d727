import { count, recursive, view } from '@stepping/core'
import { comments, likes, posts, visits, type Comment } from '../shared/schema'

// The views the UI renders. They run in the browser over the collections the sync client fills, so they
// keep working offline, and every one of them is maintained incrementally: a new reply costs work in
// proportion to its ancestors, not to the 5,000 comments of its post.

/** Where a comment hangs: under its parent, or at the top of its post. */
export const parentOf = (c: Pick<Comment, 'parentId' | 'postId'>): string => c.parentId ?? `post:${c.postId}`

/** The replies directly under a comment (or the threads of a post), oldest first: the tree's edges. */
export const children = view('children', comments.orderBy((c) => c.createdAt).partitionBy(parentOf))

/** Every (ancestor, descendant) pair with the distance between them: a recursive view, a nested fixpoint. */
const descendants = recursive(
  comments.map((c) => ({ ancestor: c.id, id: c.id, depth: 0 }), { key: (d) => [d.ancestor, d.id] }),
  (self) =>
    self
      .join(comments, 'id', 'parentId')
      .map(([d, c]) => ({ ancestor: d.ancestor, id: c.id, depth: d.depth + 1 }), { key: (d) => [d.ancestor, d.id] }),
)

/** Each comment's thread root and depth: a second recursion, walking down from the roots. */
export const depth = view(
  'depth',
  recursive(
    comments.filter((c) => c.parentId === null).map((c) => ({ id: c.id, root: c.id, depth: 0 })),
    (self) => self.join(comments, 'id', 'parentId').map(([d, c]) => ({ id: c.id, root: d.root, depth: d.depth + 1 }), { key: (r) => r.id }),
  ),
)

/** Replies anywhere below each comment (the subtree size minus one); comments without replies have no row. */
export const replyCounts = view('replyCounts', descendants.filter((d) => d.depth > 0).groupBy((d) => d.ancestor, { replies: count() }))

/** The 5 biggest threads of each post: top-K per group over the recursive subtree sizes. */
export const activeThreads = view(
  'activeThreads',
  descendants
    .filter((d) => d.depth > 0)
    .groupBy((d) => d.ancestor, { replies: count() })
    .join(comments, 'key', 'id')
    .filter(([, c]) => c.parentId === null)
    .map(([r, c]) => ({ id: c.id, postId: c.postId, authorId: c.authorId, body: c.body, deleted: c.deleted, replies: r.replies }), { key: (t) => t.id })
    .orderBy((t) => t.replies, 'desc')
    .limit(5, { per: (t) => t.postId })
    .partitionBy((t) => t.postId),
)

/** Likes per comment (group-by + count). */
export const likeCounts = view('likeCounts', likes.groupBy((l) => l.commentId, { likes: count() }))

/** Comments per post, tombstones left out, for the post list. */
export const commentCounts = view('commentCounts', comments.filter((c) => !c.deleted).groupBy((c) => c.postId, { comments: count() }))

/** Newest post first. */
export const postList = view('postList', posts.orderBy((p) => p.createdAt, 'desc'))

/** The views that depend on who is signed in. */
export function viewerViews(userId: string) {
  /** The viewer's own likes, by like id. */
  const myLikes = view('myLikes', likes.filter((l) => l.userId === userId))
  /** Comments by others since the viewer last opened each post (all of them for a post never opened). */
  const unread = view(
    'unread',
    comments
      .filter((c) => c.authorId !== userId && !c.deleted)
      .leftJoin(visits, 'postId', 'postId')
      .filter(([c, v]) => v === undefined || c.createdAt > v.seenAt)
      .groupBy(([c]) => c.postId, { unread: count() }),
  )
  return { myLikes, unread }
}

export const sharedViews = [children, depth, replyCounts, activeThreads, likeCounts, commentCounts, postList]
