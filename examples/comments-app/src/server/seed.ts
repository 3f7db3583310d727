import type { Store } from '@stepping/core'
import { comments, DEMO_USERS, likeId, likes, posts, SEED_AUTHORS, users, visitId, visits, type Comment, type Like, type Post, type Visit } from '../shared/schema'

// The demo data, made once on first start: the same posts, threads, words and likes every time (a seeded
// PRNG); only the timestamps are anchored to the moment of seeding, so "2 h ago" reads naturally.

/** Comments of the big post: enough for incremental maintenance to matter. */
export const BIG_POST_COMMENTS = 5000
const HOUR = 3_600_000

function prng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const OPENERS = ['Honestly,', 'I think', 'In my experience', 'Counterpoint:', 'Agreed —', 'Not sure about that;', 'Interesting.', 'We tried this and', 'Fun fact:', 'To be fair,']
const SUBJECTS = ['the incremental approach', 'a recursive view', 'the join index', 'this benchmark', 'offline support', 'the sync protocol', 'a top-K over groups', 'the React binding', 'SQLite in WAL mode', 'the whole design']
const VERBS = ['scales better than', 'is simpler than', 'pays off more than', 'is easier to test than', 'reads nicer than', 'beats', 'complements', 'is trickier than']
const OBJECTS = ['recomputing everything', 'a hand-written cache', 'polling the server', 'a REST endpoint per screen', 'a global event bus', 'memoizing selectors', 'nightly batch jobs', 'what we had before']
const CLOSERS = ['', '', ' Would love to see numbers.', ' Happy to be proven wrong.', ' 100% worth it.', ' Has anyone measured this?', ' Source: three years in production.', ' Thanks for writing this up!']

const POSTS: readonly { title: string; body: string; comments: number }[] = [
  { title: 'Incremental view maintenance, explained with comment threads', body: 'Every view in this app is maintained incrementally: a new reply touches its ancestors and nothing else. This post has five thousand comments in deep threads, so try replying somewhere deep and watch the dev panel.', comments: BIG_POST_COMMENTS },
  { title: 'Offline-first without the headaches', body: 'Mutations are applied optimistically, queued durably and rebased when the server answers. Turn off your network and keep commenting.', comments: 48 },
  { title: 'What should we build next?', body: 'Dashboards, presence, undo across devices? Reply with your wish list.', comments: 36 },
  { title: 'Show and tell: your favourite recursive query', body: 'Bill of materials, org charts, reachability, comment trees: post the one that saved your week.', comments: 24 },
  { title: 'Welcome! Say hi', body: 'Introduce yourself, and tell us what you are working on.', comments: 12 },
]

/** Fills an empty store with the demo data; returns whether it did. */
export function seed(store: Store, now: number): boolean {
  if (store.read(posts).length > 0) return false
  const random = prng(7)
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!
  const authors = [...DEMO_USERS, ...SEED_AUTHORS]
  const sentence = (): string => `${pick(OPENERS)} ${pick(SUBJECTS)} ${pick(VERBS)} ${pick(OBJECTS)}.${pick(CLOSERS)}`
  const postRows: Post[] = []
  const commentRows: Comment[] = []
  const likeRows: Like[] = []
  const visitRows: Visit[] = []
  let nextId = 1
  POSTS.forEach((p, i) => {
    const postId = `p${i + 1}`
    const start = now - (7 - i) * 24 * HOUR
    postRows.push({ id: postId, title: p.title, body: p.body, authorId: authors[i % authors.length]!.id, createdAt: start })
    // Threads grow like real ones: a new root now and then, otherwise a reply somewhere in a thread,
    // most often under one of its newest comments, so threads go deep.
    const threads: { id: string; depth: number }[][] = []
    const span = now - start - HOUR
    for (let n = 0; n < p.comments; n++) {
      const createdAt = start + Math.floor((span * (n + 1)) / (p.comments + 1))
      let parent: { id: string; depth: number } | undefined
      const thread = threads.length > 0 && random() > Math.max(0.02, 0.3 - threads.length / 200) ? pick(threads) : undefined
      if (thread !== undefined) {
        const recent = thread.slice(-6)
        parent = random() < 0.75 ? pick(recent) : pick(thread)
        if (parent.depth >= 24) parent = thread[0]
      }
      const id = `c${nextId++}`
      const node = { id, depth: parent === undefined ? 0 : parent.depth + 1 }
      if (thread === undefined) threads.push([node])
      else thread.push(node)
      commentRows.push({ id, postId, parentId: parent?.id ?? null, authorId: pick(authors).id, body: sentence(), createdAt, editedAt: null, deleted: false })
      // A few comments are popular, most are not.
      const heat = random() ** 4 * 0.9
      for (const fan of authors) if (random() < heat) likeRows.push({ id: likeId(id, fan.id), commentId: id, postId, userId: fan.id })
    }
    // Each demo user last looked a little while ago: the newest comments of each post are unread.
    for (const user of DEMO_USERS) visitRows.push({ id: visitId(user.id, postId), userId: user.id, postId, seenAt: now - HOUR * (2 + Math.floor(random() * 20)) })
  })
  store.transact((tx) => {
    tx.insert(users, authors)
    tx.insert(posts, postRows)
    tx.insert(comments, commentRows)
    tx.insert(likes, likeRows)
    tx.insert(visits, visitRows)
  })
  return true
}
