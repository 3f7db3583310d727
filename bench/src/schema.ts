import { collection } from '@stepping/core'
import type { Transaction } from '@stepping/core'

/** The issue tracker's rows. */
export type Status = 'open' | 'closed'

export interface Issue {
  readonly id: number
  readonly title: string
  readonly status: Status
  /** 0 (low) to 3 (urgent). */
  readonly priority: number
  readonly ownerId: number
  readonly projectId: number
  /** Seconds since the epoch. */
  readonly createdAt: number
}

export interface User {
  readonly id: number
  readonly name: string
}

export interface Project {
  readonly id: number
  readonly name: string
}

export interface Comment {
  readonly id: number
  readonly issueId: number
  readonly authorId: number
  /** Seconds since the epoch. */
  readonly createdAt: number
  readonly body: string
}

/** The whole initial state of the workload. */
export interface Dataset {
  readonly n: number
  readonly issues: readonly Issue[]
  readonly users: readonly User[]
  readonly projects: readonly Project[]
  readonly comments: readonly Comment[]
}

export type CollectionName = 'issues' | 'users' | 'projects' | 'comments'

/** The stepping input collections, shared by every view (each store compiles its own circuit). */
export const issues = collection<Issue>('issues', { key: 'id' })
export const users = collection<User>('users', { key: 'id' })
export const projects = collection<Project>('projects', { key: 'id' })
export const comments = collection<Comment>('comments', { key: 'id' })

/** Inserts the collections a view reads (and only those) into a store, in one transaction's `tx`. */
export function insertDataset(tx: Transaction, data: Dataset, reads: ReadonlySet<CollectionName>): void {
  if (reads.has('users')) tx.insert(users, data.users)
  if (reads.has('projects')) tx.insert(projects, data.projects)
  if (reads.has('issues')) tx.insert(issues, data.issues)
  if (reads.has('comments')) tx.insert(comments, data.comments)
}
