import type { Transaction } from '@stepping/core'
import { comments, likeId, likes, MAX_BODY, visitId, visits } from './schema'

// The mutators, written once: the client runs them optimistically over its synced collections, the
// server runs them for real over its SQLite-backed ones, with the signed-in identity as `userId` and the
// server's clock as `now`. Every permission check lives here, so the server enforces what the UI shows.

export interface AddCommentArgs {
  readonly id: string
  readonly postId: string
  readonly parentId: string | null
  readonly body: string
}
export interface EditCommentArgs {
  readonly id: string
  readonly body: string
}
export interface CommentRef {
  readonly id: string
}
export interface LikeArgs {
  readonly commentId: string
  readonly liked: boolean
}
export interface VisitArgs {
  readonly postId: string
}

/** A mutation the rules refuse; the server answers it as a rejection and the client rolls it back. */
export class ForbiddenError extends Error {
  override name = 'ForbiddenError'
}

function text(body: string): string {
  const trimmed = body.trim()
  if (trimmed.length === 0) throw new ForbiddenError('a comment needs some text')
  if (trimmed.length > MAX_BODY) throw new ForbiddenError(`a comment has at most ${MAX_BODY} characters`)
  return trimmed
}

function own(tx: Transaction, id: string, userId: string) {
  const comment = tx.get(comments, id)
  if (comment === undefined) throw new ForbiddenError(`no comment ${id}`)
  if (comment.authorId !== userId) throw new ForbiddenError('you can only change your own comments')
  if (comment.deleted) throw new ForbiddenError('this comment was deleted')
  return comment
}

export function addComment(tx: Transaction, args: AddCommentArgs, userId: string, now: number): void {
  if (args.parentId !== null) {
    const parent = tx.get(comments, args.parentId)
    if (parent === undefined || parent.postId !== args.postId) throw new ForbiddenError('the comment replied to is not in this post')
  }
  tx.insert(comments, { id: args.id, postId: args.postId, parentId: args.parentId, authorId: userId, body: text(args.body), createdAt: now, editedAt: null, deleted: false })
}

export function editComment(tx: Transaction, args: EditCommentArgs, userId: string, now: number): void {
  own(tx, args.id, userId)
  tx.update(comments, args.id, { body: text(args.body), editedAt: now })
}

/** Keeps a tombstone, so that the replies below stay in the tree. */
export function deleteComment(tx: Transaction, args: CommentRef, userId: string): void {
  own(tx, args.id, userId)
  tx.update(comments, args.id, { body: '', deleted: true })
}

export function setLike(tx: Transaction, args: LikeArgs, userId: string): void {
  const id = likeId(args.commentId, userId)
  const exists = tx.get(likes, id) !== undefined
  if (args.liked === exists) return
  if (!args.liked) return tx.delete(likes, id)
  const comment = tx.get(comments, args.commentId)
  if (comment === undefined) throw new ForbiddenError(`no comment ${args.commentId}`)
  tx.insert(likes, { id, commentId: args.commentId, postId: comment.postId, userId })
}

export function visit(tx: Transaction, args: VisitArgs, userId: string, now: number): void {
  tx.upsert(visits, { id: visitId(userId, args.postId), userId, postId: args.postId, seenAt: now })
}
