import { Prng } from './prng'
import type { Comment, Dataset, Issue, Project, Status, User } from './schema'

/** The time range the initial data spans: three years of activity, in seconds. */
export const EPOCH = 1_600_000_000
export const SPAN = 3 * 365 * 24 * 3600

const WORDS = [
  'crash', 'login', 'slow', 'export', 'dark', 'mode', 'typo', 'search', 'sync', 'offline', 'upload', 'layout',
  'memory', 'leak', 'button', 'modal', 'report', 'filter', 'sort', 'timezone', 'email', 'webhook', 'cache', 'docs',
]
const NAMES = ['ada', 'grace', 'alan', 'edsger', 'barbara', 'donald', 'margaret', 'ken', 'dennis', 'frances', 'john', 'leslie']

function words(rng: Prng, count: number): string {
  const out: string[] = []
  for (let i = 0; i < count; i++) out.push(rng.pick(WORDS))
  return out.join(' ')
}

/**
 * The issue tracker at size `n`, the same for a given `(n, seed)` on every run: n issues, n/100 users,
 * n/1000 projects and 3n comments. Issues are created in id order over three years, 60% are open,
 * priorities are uniform over 0..3, owners and projects uniform; each comment falls on a uniform issue,
 * at a uniform time between the issue's creation and the end of the span.
 */
export function generateDataset(n: number, seed: number): Dataset {
  const rng = new Prng(seed)
  const userCount = Math.max(1, Math.floor(n / 100))
  const projectCount = Math.max(1, Math.floor(n / 1000))

  const users: User[] = []
  for (let id = 1; id <= userCount; id++) users.push({ id, name: `${rng.pick(NAMES)}-${id}` })

  const projects: Project[] = []
  for (let id = 1; id <= projectCount; id++) projects.push({ id, name: `project ${words(rng, 2)} ${id}` })

  const issues: Issue[] = []
  for (let id = 1; id <= n; id++) {
    const status: Status = rng.chance(0.6) ? 'open' : 'closed'
    issues.push({
      id,
      title: `${words(rng, 3)} #${id}`,
      status,
      priority: rng.int(4),
      ownerId: rng.range(1, userCount),
      projectId: rng.range(1, projectCount),
      createdAt: EPOCH + Math.floor(((id - 1) / n) * SPAN) + rng.int(3600),
    })
  }

  const comments: Comment[] = []
  const end = EPOCH + SPAN
  for (let id = 1; id <= 3 * n; id++) {
    const issue = issues[rng.int(n)]!
    comments.push({
      id,
      issueId: issue.id,
      authorId: rng.range(1, userCount),
      createdAt: issue.createdAt + rng.int(Math.max(1, end - issue.createdAt)),
      body: words(rng, 6),
    })
  }
  return { n, issues, users, projects, comments }
}
