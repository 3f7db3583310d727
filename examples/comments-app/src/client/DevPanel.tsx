import { useSyncStatus } from '@stepping/react'
import { useState, useSyncExternalStore } from 'react'
import { useSession } from './context'
import { renders } from './renders'

type Tab = 'renders' | 'diffs' | 'circuit' | 'sync'

function Renders() {
  const batches = useSyncExternalStore(renders.subscribe, renders.batches)
  const [flash, setFlash] = useState(renders.flash)
  return (
    <div>
      <p className="dev-note">
        Comment components React re-rendered, grouped by the moment they rendered. A new reply re-renders itself, its parent (the reply list) and its
        ancestors (their counts), not the thousands of others.
      </p>
      <label className="dev-check">
        <input
          type="checkbox"
          checked={flash}
          onChange={(e) => {
            renders.setFlash(e.target.checked)
            setFlash(e.target.checked)
          }}
        />
        flash re-rendered comments
      </label>
      <div className="dev-stat">
        total comment renders: <b id="dev-render-total">{renders.total.toLocaleString('en')}</b>{' '}
        <button type="button" className="btn tiny" onClick={() => renders.reset()}>
          reset
        </button>
      </div>
      <ol className="dev-list">
        {batches.map((b) => (
          <li key={b.seq}>
            <b>{b.ids.length.toLocaleString('en')}</b> re-rendered <span className="dev-dim">{b.ids.slice(0, 6).join(' ')}{b.ids.length > 6 ? ' …' : ''}</span>
          </li>
        ))}
      </ol>
    </div>
  )
}

function Diffs() {
  const { diffs } = useSession()
  const entries = useSyncExternalStore(diffs.subscribe, diffs.snapshot)
  return (
    <ol className="dev-list">
      {entries.map((e) => (
        <li key={e.seq}>
          <span className="dev-dim">v{e.version}</span> <b>{e.view}</b> <span className="plus">+{e.added}</span> <span className="minus">−{e.removed}</span>
          <div className="dev-dim mono">{e.sample.join('  ')}</div>
        </li>
      ))}
    </ol>
  )
}

function Circuit() {
  const { store, diffs } = useSession()
  useSyncExternalStore(diffs.subscribe, diffs.snapshot)
  const d = store.describe()
  return (
    <div>
      <table className="dev-table">
        <thead>
          <tr>
            <th>view</th>
            <th>rows</th>
            <th>subs</th>
          </tr>
        </thead>
        <tbody>
          {d.views.map((v) => (
            <tr key={v.name}>
              <td>
                {v.name}
                {v.partitioned && <span className="tag">partitioned</span>}
                {v.ordered && <span className="tag">ordered</span>}
              </td>
              <td>{v.rows.toLocaleString('en')}</td>
              <td>{v.subscribers.toLocaleString('en')}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <ol className="dev-list mono circuit">
        {d.operators.map((op) => (
          <li key={op.id}>
            #{op.id} <b>{op.label}</b>
            {op.inputs.length > 0 && <span className="dev-dim"> ← {op.inputs.map((i) => `#${i}`).join(' ')}</span>}
            <span className="dev-dim"> · state {op.state.toLocaleString('en')}</span>
            {op.work !== undefined && <span className="dev-dim"> · work {op.work.toLocaleString('en')}</span>}
            {op.views.length > 0 && <span className="view-tag"> → {op.views.join(', ')}</span>}
          </li>
        ))}
      </ol>
    </div>
  )
}

function Sync() {
  const { client, store, diffs, pending, persistent } = useSession()
  const status = useSyncStatus()
  useSyncExternalStore(diffs.subscribe, diffs.snapshot)
  const queue = useSyncExternalStore(pending.subscribe, pending.snapshot)
  return (
    <dl className="dev-dl">
      <dt>status</dt>
      <dd id="dev-status">{status}</dd>
      <dt>persistence</dt>
      <dd>{persistent ? 'IndexedDB' : 'memory (another tab of this user holds IndexedDB)'}</dd>
      <dt>client id</dt>
      <dd className="mono">{client.clientId}</dd>
      <dt>local store version</dt>
      <dd>{store.version}</dd>
      {['users', 'posts', 'comments', 'likes'].map((v) => (
        <div key={v} className="dev-row">
          <dt>server version · {v}</dt>
          <dd>{client.version(v) ?? '—'}</dd>
        </div>
      ))}
      <dt>pending mutations</dt>
      <dd>{queue.length}</dd>
    </dl>
  )
}

/** The toggle-able panel that shows the engine at work. */
export function DevPanel({ onClose }: { readonly onClose: () => void }) {
  const [tab, setTab] = useState<Tab>('renders')
  return (
    <aside className="dev-panel" aria-label="Developer panel">
      <header>
        <b>stepping devtools</b>
        <button type="button" className="btn tiny" onClick={onClose} aria-label="Close the developer panel">
          ✕
        </button>
      </header>
      <nav>
        {(['renders', 'diffs', 'circuit', 'sync'] as const).map((t) => (
          <button type="button" key={t} className={t === tab ? 'on' : ''} onClick={() => setTab(t)}>
            {t}
          </button>
        ))}
      </nav>
      <div className="dev-body">
        {tab === 'renders' && <Renders />}
        {tab === 'diffs' && <Diffs />}
        {tab === 'circuit' && <Circuit />}
        {tab === 'sync' && <Sync />}
      </div>
    </aside>
  )
}
