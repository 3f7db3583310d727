import { useRow, useView } from '@stepping/react'
import { memo, useContext, useState, useSyncExternalStore } from 'react'
import { comments, likeId, users } from '../shared/schema'
import { SinceContext, useSession } from './context'
import { newId, plural, timeAgo } from './format'
import { useRenderCount } from './renders'
import { children, depth, likeCounts, replyCounts } from './views'

/** Past this depth a thread folds into "continue this thread", as long threads do on every forum. */
const FOLD_DEPTH = 6

export function Avatar({ userId, size = 32 }: { readonly userId: string; readonly size?: number }) {
  const user = useRow(users, userId)
  const name = user?.name ?? userId
  const initials = name.split(' ').map((w) => w[0]).join('').slice(0, 2)
  return (
    <span className="avatar" style={{ width: size, height: size, background: `hsl(${user?.hue ?? 0} 65% 45%)` }} title={name} aria-hidden>
      {initials}
    </span>
  )
}

export function AuthorName({ userId }: { readonly userId: string }) {
  return <span className="author">{useRow(users, userId)?.name ?? userId}</span>
}

/** Text box for a new comment or a reply; `onDone` closes it. */
export function Composer(props: { readonly postId: string; readonly parentId: string | null; readonly onDone?: () => void; readonly autoFocus?: boolean }) {
  const { client } = useSession()
  const [body, setBody] = useState('')
  const send = () => {
    if (body.trim() === '') return
    void client.mutate('addComment', { id: newId(), postId: props.postId, parentId: props.parentId, body }).catch(() => undefined)
    setBody('')
    props.onDone?.()
  }
  return (
    <form
      className="composer"
      onSubmit={(e) => {
        e.preventDefault()
        send()
      }}
    >
      <textarea
        value={body}
        placeholder={props.parentId === null ? 'Start a new thread…' : 'Write a reply…'}
        autoFocus={props.autoFocus}
        rows={props.parentId === null ? 3 : 2}
        onChange={(e) => setBody(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && (e.metaKey || e.ctrlKey)) send()
          if (e.key === 'Escape') props.onDone?.()
        }}
      />
      <div className="composer-actions">
        <span className="hint">⌘/Ctrl + Enter to send</span>
        {props.onDone !== undefined && (
          <button type="button" className="btn ghost" onClick={props.onDone}>
            Cancel
          </button>
        )}
        <button type="submit" className="btn primary" disabled={body.trim() === ''}>
          {props.parentId === null ? 'Comment' : 'Reply'}
        </button>
      </div>
    </form>
  )
}

/** "sending…" while the server has not confirmed the comment: its own component, so the queue re-renders only it. */
function PendingMark({ id }: { readonly id: string }) {
  const { pending } = useSession()
  const waiting = useSyncExternalStore(pending.subscribe, () => pending.current.some((p) => p.name === 'addComment' && (p.args as { id?: unknown }).id === id))
  return waiting ? <span className="pending-mark">sending…</span> : null
}

function EditBox({ id, body, onDone }: { readonly id: string; readonly body: string; readonly onDone: () => void }) {
  const { client } = useSession()
  const [text, setText] = useState(body)
  return (
    <form
      className="composer"
      onSubmit={(e) => {
        e.preventDefault()
        if (text.trim() !== '') void client.mutate('editComment', { id, body: text }).catch(() => undefined)
        onDone()
      }}
    >
      <textarea value={text} rows={2} autoFocus onChange={(e) => setText(e.target.value)} onKeyDown={(e) => e.key === 'Escape' && onDone()} />
      <div className="composer-actions">
        <button type="button" className="btn ghost" onClick={onDone}>
          Cancel
        </button>
        <button type="submit" className="btn primary">
          Save
        </button>
      </div>
    </form>
  )
}

/**
 * One comment and, below it, its replies. Each piece of data is its own row subscription — the comment,
 * its like count, the viewer's like, its subtree count, its list of direct replies — so a commit
 * re-renders exactly the comments whose rows changed: a new reply, its parent (the reply list) and its
 * ancestors (their counts).
 */
export const CommentNode = memo(CommentView)

// A function declaration, not a named function expression inside memo(): inside such an expression its own
// name would shadow the memoized component, and every reply below would render unmemoized.
function CommentView({ id }: { readonly id: string }) {
  const { client, userId, views } = useSession()
  const since = useContext(SinceContext)
  const comment = useRow(comments, id)
  const replies = useRow(replyCounts, id)?.replies ?? 0
  const likes = useRow(likeCounts, id)?.likes ?? 0
  const liked = useRow(views.myLikes, likeId(id, userId)) !== undefined
  const level = useRow(depth, id)?.depth ?? 0
  const kids = useView(children, id)
  const [mode, setMode] = useState<'reply' | 'edit' | undefined>()
  const [collapsed, setCollapsed] = useState(false)
  const [unfolded, setUnfolded] = useState(false)
  const ref = useRenderCount<HTMLDivElement>(id)
  if (comment === undefined) return null
  const mine = comment.authorId === userId
  const fresh = !mine && comment.createdAt > since
  const folded = level + 1 >= FOLD_DEPTH && !unfolded && kids.length > 0
  return (
    <article className={`comment${fresh ? ' is-new' : ''}`} data-id={id} data-depth={level}>
      <div className="comment-card" ref={ref}>
        <header className="comment-head">
          <Avatar userId={comment.authorId} size={26} />
          <AuthorName userId={comment.authorId} />
          {mine && <span className="you">you</span>}
          <span className="dot">·</span>
          <time dateTime={new Date(comment.createdAt).toISOString()}>{timeAgo(comment.createdAt)}</time>
          {comment.editedAt !== null && !comment.deleted && <span className="edited">edited</span>}
          {fresh && <span className="new-badge">new</span>}
          <PendingMark id={id} />
        </header>
        {mode === 'edit' ? (
          <EditBox id={id} body={comment.body} onDone={() => setMode(undefined)} />
        ) : comment.deleted ? (
          <p className="body deleted">This comment was deleted.</p>
        ) : (
          <p className="body">{comment.body}</p>
        )}
        <footer className="comment-actions">
          <button
            type="button"
            className={`action like${liked ? ' liked' : ''}`}
            aria-pressed={liked}
            disabled={comment.deleted}
            onClick={() => void client.mutate('setLike', { commentId: id, liked: !liked }).catch(() => undefined)}
          >
            <span aria-hidden>{liked ? '♥' : '♡'}</span> <span className="like-count">{likes}</span>
          </button>
          {!comment.deleted && (
            <button type="button" className="action reply" onClick={() => setMode(mode === 'reply' ? undefined : 'reply')}>
              Reply
            </button>
          )}
          {mine && !comment.deleted && (
            <>
              <button type="button" className="action edit" onClick={() => setMode('edit')}>
                Edit
              </button>
              <button type="button" className="action delete" onClick={() => void client.mutate('deleteComment', { id }).catch(() => undefined)}>
                Delete
              </button>
            </>
          )}
          {replies > 0 && (
            <button type="button" className="action toggle" onClick={() => setCollapsed(!collapsed)}>
              {collapsed ? `Show ${plural(replies, 'reply', 'replies')}` : <span className="reply-count">{plural(replies, 'reply', 'replies')}</span>}
            </button>
          )}
        </footer>
        {mode === 'reply' && <Composer postId={comment.postId} parentId={id} autoFocus onDone={() => setMode(undefined)} />}
      </div>
      {!collapsed && kids.length > 0 && (
        <div className="replies">
          {folded ? (
            <button type="button" className="continue" onClick={() => setUnfolded(true)}>
              Continue this thread → {plural(replies, 'more reply', 'more replies')}
            </button>
          ) : (
            kids.map((c) => <CommentNode key={c.id} id={c.id} />)
          )}
        </div>
      )}
    </article>
  )
}
