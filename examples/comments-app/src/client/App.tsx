import { useRow, useSyncStatus } from '@stepping/react'
import { useEffect, useState, useSyncExternalStore } from 'react'
import { DEMO_USERS, users } from '../shared/schema'
import { Avatar } from './Comment'
import { useSession } from './context'
import { DevPanel } from './DevPanel'
import type { PendingMutation } from './pending'
import { PostList } from './PostList'
import { PostPage } from './Post'

function useRoute(): string {
  const [hash, setHash] = useState(location.hash)
  useEffect(() => {
    const onChange = () => {
      setHash(location.hash)
      scrollTo(0, 0)
    }
    addEventListener('hashchange', onChange)
    return () => removeEventListener('hashchange', onChange)
  }, [])
  return hash
}

function describe(p: PendingMutation): string {
  const args = p.args as { body?: string; liked?: boolean; parentId?: string | null }
  const quote = (s: string | undefined) => `“${(s ?? '').slice(0, 40)}${(s ?? '').length > 40 ? '…' : ''}”`
  switch (p.name) {
    case 'addComment':
      return `${args.parentId === null ? 'New thread' : 'Reply'} ${quote(args.body)}`
    case 'editComment':
      return `Edit ${quote(args.body)}`
    case 'deleteComment':
      return 'Delete a comment'
    case 'setLike':
      return args.liked === true ? 'Like' : 'Unlike'
    default:
      return 'Mark a post read'
  }
}

/** Online / offline, and what is waiting to be sent. */
function SyncBadge() {
  const { pending } = useSession()
  const status = useSyncStatus()
  const queue = useSyncExternalStore(pending.subscribe, pending.snapshot)
  const [open, setOpen] = useState(false)
  const label = status === 'online' ? 'Live' : status === 'offline' ? 'Offline' : 'Connecting'
  return (
    <div className="sync">
      <button type="button" className={`badge ${status}`} id="sync-badge" data-status={status} onClick={() => setOpen(!open)}>
        <span className="led" /> {label}
        {queue.length > 0 && <span className="pending-count">{queue.length} pending</span>}
      </button>
      {(open || (status !== 'online' && queue.length > 0)) && (
        <div className="pending-pop" id="pending-list">
          {status !== 'online' && <p className="offline-note">You are offline. Everything keeps working here; changes sync when the network is back.</p>}
          {queue.length === 0 ? (
            <p className="dev-dim">Everything is synced.</p>
          ) : (
            <ol>
              {queue.map((p) => (
                <li key={p.id}>
                  <span className="spinner" aria-hidden /> {describe(p)}
                </li>
              ))}
            </ol>
          )}
        </div>
      )}
    </div>
  )
}

function Me() {
  const { userId } = useSession()
  const name = useRow(users, userId)?.name ?? DEMO_USERS.find((u) => u.id === userId)?.name
  return (
    <div className="me">
      <Avatar userId={userId} size={28} />
      <span className="me-name">{name}</span>
      <button
        type="button"
        className="btn ghost small"
        onClick={() => {
          localStorage.removeItem('comments-app:user')
          location.hash = ''
          location.reload()
        }}
      >
        Switch user
      </button>
    </div>
  )
}

export function App() {
  const route = useRoute()
  const [dev, setDev] = useState(() => localStorage.getItem('comments-app:dev') === '1')
  useEffect(() => localStorage.setItem('comments-app:dev', dev ? '1' : '0'), [dev])
  const postId = /^#\/post\/(.+)$/.exec(route)?.[1]
  return (
    <div className={`app${dev ? ' with-dev' : ''}`}>
      <header className="topbar">
        <a className="brand" href="#/">
          <span className="logo">◆</span> Threadline
        </a>
        <div className="topbar-right">
          <SyncBadge />
          <button type="button" className={`btn ghost small${dev ? ' on' : ''}`} id="dev-toggle" onClick={() => setDev(!dev)}>
            {'</>'} Dev
          </button>
          <Me />
        </div>
      </header>
      <div className="content">{postId === undefined ? <PostList /> : <PostPage key={postId} postId={decodeURIComponent(postId)} />}</div>
      {dev && <DevPanel onClose={() => setDev(false)} />}
    </div>
  )
}

/** The name picker. */
export function SignIn({ onPick }: { readonly onPick: (userId: string) => void }) {
  return (
    <div className="signin">
      <div className="card signin-card">
        <div className="brand big">
          <span className="logo">◆</span> Threadline
        </div>
        <p>Realtime, offline-first discussions. Pick who you are — open another window as someone else to see changes arrive live.</p>
        <ul>
          {DEMO_USERS.map((u) => (
            <li key={u.id}>
              <button type="button" className="user-pick" data-user={u.id} onClick={() => onPick(u.id)}>
                <span className="avatar" style={{ width: 36, height: 36, background: `hsl(${u.hue} 65% 45%)` }}>
                  {u.name
                    .split(' ')
                    .map((w) => w[0])
                    .join('')}
                </span>
                {u.name}
              </button>
            </li>
          ))}
        </ul>
      </div>
    </div>
  )
}
