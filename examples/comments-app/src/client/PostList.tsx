import { useRow, useView } from '@stepping/react'
import type { Post } from '../shared/schema'
import { AuthorName, Avatar } from './Comment'
import { useSession } from './context'
import { plural, timeAgo } from './format'
import { commentCounts, postList } from './views'

function PostRow({ post }: { readonly post: Post }) {
  const { views } = useSession()
  const total = useRow(commentCounts, post.id)?.comments ?? 0
  const unread = useRow(views.unread, post.id)?.unread ?? 0
  return (
    <li>
      <a className="card post-row" href={`#/post/${post.id}`} data-post={post.id}>
        <div className="post-row-main">
          <h2>{post.title}</h2>
          <p>{post.body}</p>
          <div className="meta">
            <Avatar userId={post.authorId} size={20} /> <AuthorName userId={post.authorId} /> · {timeAgo(post.createdAt)}
          </div>
        </div>
        <div className="post-row-stats">
          <span className="comment-count">{plural(total, 'comment')}</span>
          {unread > 0 && <span className="unread">{unread.toLocaleString('en')} new</span>}
        </div>
      </a>
    </li>
  )
}

export function PostList() {
  const rows = useView(postList)
  return (
    <main className="post-list">
      <h1 className="page-title">Discussions</h1>
      {rows.length === 0 && <p className="empty">Loading discussions…</p>}
      <ul>
        {rows.map((p) => (
          <PostRow key={p.id} post={p} />
        ))}
      </ul>
    </main>
  )
}
