import { useRow, useView } from '@stepping/react'
import { useEffect, useState } from 'react'
import { posts, visitId, visits } from '../shared/schema'
import { AuthorName, Avatar, CommentNode, Composer } from './Comment'
import { SinceContext, useSession } from './context'
import { plural, timeAgo } from './format'
import { activeThreads, children, commentCounts } from './views'

const THREADS_PER_PAGE = 15

/** The sidebar: the five biggest threads of the post, live (top-K per post over subtree sizes). */
function ActiveThreads({ postId }: { readonly postId: string }) {
  const top = useView(activeThreads, postId)
  if (top.length === 0) return null
  return (
    <aside className="card active-threads">
      <h3>Most active threads</h3>
      <ol>
        {top.map((t) => (
          <li key={t.id}>
            <a
              href={`#/post/${postId}`}
              onClick={(e) => {
                e.preventDefault()
                document.querySelector(`[data-id="${t.id}"]`)?.scrollIntoView({ behavior: 'smooth', block: 'start' })
              }}
            >
              <Avatar userId={t.authorId} size={22} />
              <span className="excerpt">{t.deleted ? 'deleted comment' : t.body}</span>
              <span className="count">{t.replies.toLocaleString('en')}</span>
            </a>
          </li>
        ))}
      </ol>
    </aside>
  )
}

/** The threads of a post, a page at a time. */
function Threads({ postId }: { readonly postId: string }) {
  const roots = useView(children, `post:${postId}`)
  const [shown, setShown] = useState(THREADS_PER_PAGE)
  return (
    <section className="threads">
      {roots.length === 0 && <p className="empty">No comments yet. Start the conversation.</p>}
      {roots.slice(0, shown).map((c) => (
        <CommentNode key={c.id} id={c.id} />
      ))}
      {roots.length > shown && (
        <button type="button" className="btn more" onClick={() => setShown(shown + THREADS_PER_PAGE)}>
          Show more threads ({(roots.length - shown).toLocaleString('en')} left)
        </button>
      )}
    </section>
  )
}

export function PostPage({ postId }: { readonly postId: string }) {
  const { client, store, userId } = useSession()
  const post = useRow(posts, postId)
  const total = useRow(commentCounts, postId)?.comments ?? 0
  // What was new when the page opened stays marked new while it is open; opening it marks it read.
  const [since] = useState(() => store.get(visits, visitId(userId, postId))?.seenAt ?? 0)
  useEffect(() => {
    const read = () => void client.mutate('visit', { postId }).catch(() => undefined)
    read()
    return read
  }, [client, postId])
  if (post === undefined) return <p className="empty">This post does not exist (yet).</p>
  return (
    <SinceContext.Provider value={since}>
      <div className="post-layout">
        <main className="post-main">
          <a className="back" href="#/">
            ← All posts
          </a>
          <article className="card post">
            <h1>{post.title}</h1>
            <div className="meta">
              <Avatar userId={post.authorId} size={24} /> <AuthorName userId={post.authorId} /> · {timeAgo(post.createdAt)} · {plural(total, 'comment')}
            </div>
            <p>{post.body}</p>
          </article>
          <div className="card new-thread">
            <Composer postId={postId} parentId={null} />
          </div>
          <Threads postId={postId} />
        </main>
        <ActiveThreads postId={postId} />
      </div>
    </SinceContext.Provider>
  )
}
