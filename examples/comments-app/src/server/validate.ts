import type { AddCommentArgs, CommentRef, EditCommentArgs, LikeArgs, VisitArgs } from '../shared/mutators'

// Mutation arguments arrive from the network: each is checked for shape before a mutator sees it.

type Fields = Readonly<Record<string, unknown>>

function fields(args: unknown): Fields {
  if (typeof args !== 'object' || args === null || Array.isArray(args)) throw new TypeError('mutation arguments must be an object')
  return args as Fields
}

function str(f: Fields, name: string, max = 100): string {
  const v = f[name]
  if (typeof v !== 'string' || v.length === 0 || v.length > max) throw new TypeError(`${name} must be a non-empty string of at most ${max} characters`)
  return v
}

export function addCommentArgs(args: unknown): AddCommentArgs {
  const f = fields(args)
  return { id: str(f, 'id'), postId: str(f, 'postId'), parentId: f.parentId === null ? null : str(f, 'parentId'), body: str(f, 'body', 10_000) }
}

export function editCommentArgs(args: unknown): EditCommentArgs {
  const f = fields(args)
  return { id: str(f, 'id'), body: str(f, 'body', 10_000) }
}

export function commentRef(args: unknown): CommentRef {
  return { id: str(fields(args), 'id') }
}

export function likeArgs(args: unknown): LikeArgs {
  const f = fields(args)
  if (typeof f.liked !== 'boolean') throw new TypeError('liked must be a boolean')
  return { commentId: str(f, 'commentId'), liked: f.liked }
}

export function visitArgs(args: unknown): VisitArgs {
  return { postId: str(fields(args), 'postId') }
}
