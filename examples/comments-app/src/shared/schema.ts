import { collection } from '@stepping/core'

/** Someone who writes comments. Only `DEMO_USERS` can sign in; the seed has a few more authors. */
export interface User {
  readonly id: string
  readonly name: string
  /** Avatar hue, 0–359. */
  readonly hue: number
}

export interface Post {
  readonly id: string
  readonly title: string
  readonly body: string
  readonly authorId: string
  readonly createdAt: number
}

/** A comment; `parentId` is null for a thread's first comment. Deleting one keeps it as a tombstone so its replies stay. */
export interface Comment {
  readonly id: string
  readonly postId: string
  readonly parentId: string | null
  readonly authorId: string
  readonly body: string
  readonly createdAt: number
  readonly editedAt: number | null
  readonly deleted: boolean
}

/** One user's like of one comment: keyed by `likeId(commentId, userId)`. */
export interface Like {
  readonly id: string
  readonly commentId: string
  readonly postId: string
  readonly userId: string
}

/** When a user last opened a post: what the unread counts count from. */
export interface Visit {
  readonly id: string
  readonly userId: string
  readonly postId: string
  readonly seenAt: number
}

export const users = collection<User>('users', { key: 'id' })
export const posts = collection<Post>('posts', { key: 'id' })
export const comments = collection<Comment>('comments', { key: 'id' })
export const likes = collection<Like>('likes', { key: 'id' })
export const visits = collection<Visit>('visits', { key: 'id' })

export const likeId = (commentId: string, userId: string): string => `${commentId}|${userId}`
export const visitId = (userId: string, postId: string): string => `${userId}|${postId}`

/** The people of the name picker. */
export const DEMO_USERS: readonly User[] = [
  { id: 'ada', name: 'Ada Lovelace', hue: 262 },
  { id: 'grace', name: 'Grace Hopper', hue: 200 },
  { id: 'alan', name: 'Alan Turing', hue: 150 },
  { id: 'barbara', name: 'Barbara Liskov', hue: 20 },
]

/** Authors of seeded comments only. */
export const SEED_AUTHORS: readonly User[] = [
  { id: 'edsger', name: 'Edsger Dijkstra', hue: 320 },
  { id: 'radia', name: 'Radia Perlman', hue: 95 },
  { id: 'donald', name: 'Donald Knuth', hue: 45 },
  { id: 'frances', name: 'Frances Allen', hue: 180 },
]

/** Longest comment body, in characters (checked on the server). */
export const MAX_BODY = 2000
