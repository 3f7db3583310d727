import { createReadStream, existsSync, mkdirSync, statSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, normalize, resolve } from 'node:path'
import { createStore, view, type Store } from '@stepping/core'
import { createSyncServer, publish, sqliteStorage, type SyncServer } from '@stepping/sync-server'
import * as m from '../shared/mutators'
import { comments, likes, posts, users, visits, type Visit } from '../shared/schema'
import { Tokens } from './auth'
import { seed } from './seed'
import * as valid from './validate'

/** The signed-in user of a connection. */
interface Viewer {
  readonly id: string
}

// What clients may subscribe to. Posts, comments and likes are public; visits are private to their user.
const allUsers = view('users', users)
const allPosts = view('posts', posts)
const allComments = view('comments', comments)
const allLikes = view('likes', likes)
const visitsByUser = view('visits', visits.partitionBy((v: Visit) => v.userId))

export interface AppOptions {
  /** Folder of the SQLite file (created when missing). */
  readonly dataDir: string
  /** The built client (vite build's dist/). */
  readonly distDir: string
  readonly port?: number
  readonly host?: string
}

export interface App {
  readonly url: string
  readonly store: Store
  /** Whether this start seeded a new database. */
  readonly seeded: boolean
  close(): Promise<void>
}

/** Opens the database (seeding it on first start), then serves the client and the sync endpoint on one port. */
export async function startApp(options: AppOptions): Promise<App> {
  mkdirSync(options.dataDir, { recursive: true })
  const store = createStore({ views: [allUsers, allPosts, allComments, allLikes, visitsByUser], storage: sqliteStorage(join(options.dataDir, 'comments.db')) })
  const seeded = seed(store, Date.now())
  const tokens = new Tokens()
  const http = createServer((req, res) => {
    if (req.url === '/api/token' && req.method === 'POST') return void issueToken(req, res, tokens)
    serveStatic(options.distDir, req, res)
  })
  const sync: SyncServer = createSyncServer<Viewer>({
    store,
    server: http,
    authenticate: (token) => {
      const id = tokens.verify(token)
      return id === undefined ? undefined : { id }
    },
    publish: {
      users: publish(allUsers, { key: 'id' }),
      posts: publish(allPosts, { key: 'id' }),
      comments: publish(allComments, { key: 'id' }),
      likes: publish(allLikes, { key: 'id' }),
      visits: publish(visitsByUser, { key: 'id', canRead: (viewer: Viewer, userId: string) => viewer.id === userId }),
    },
    mutators: {
      addComment: (tx, args, viewer) => m.addComment(tx, valid.addCommentArgs(args), viewer.id, Date.now()),
      editComment: (tx, args, viewer) => m.editComment(tx, valid.editCommentArgs(args), viewer.id, Date.now()),
      deleteComment: (tx, args, viewer) => m.deleteComment(tx, valid.commentRef(args), viewer.id),
      setLike: (tx, args, viewer) => m.setLike(tx, valid.likeArgs(args), viewer.id),
      visit: (tx, args, viewer) => m.visit(tx, valid.visitArgs(args), viewer.id, Date.now()),
    },
  })
  await new Promise<void>((done, fail) => {
    http.once('error', fail)
    http.listen(options.port ?? 3000, options.host ?? '127.0.0.1', done)
  })
  const { port } = http.address() as AddressInfo
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}/`,
    store,
    seeded,
    async close() {
      await sync.close()
      await new Promise<void>((done) => http.close(() => done()))
      store.close()
    },
  }
}

function issueToken(req: IncomingMessage, res: ServerResponse, tokens: Tokens): void {
  let body = ''
  req.setEncoding('utf8')
  req.on('data', (chunk: string) => {
    body += chunk
    if (body.length > 1000) req.destroy()
  })
  req.on('end', () => {
    let userId: unknown
    try {
      userId = (JSON.parse(body) as { userId?: unknown }).userId
    } catch {
      userId = undefined
    }
    const token = typeof userId === 'string' ? tokens.issue(userId) : undefined
    res.writeHead(token === undefined ? 403 : 200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
    res.end(JSON.stringify(token === undefined ? { error: 'not a demo user' } : { token }))
  })
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
}

/** Serves dist/; any unknown path gets index.html, so that deep links load the app. */
function serveStatic(root: string, req: IncomingMessage, res: ServerResponse): void {
  const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)
  const base = resolve(root)
  let file = resolve(base, normalize(`.${path}`))
  if (!file.startsWith(base) || !existsSync(file) || statSync(file).isDirectory()) file = join(base, 'index.html')
  if (!existsSync(file)) {
    res.writeHead(503, { 'content-type': 'text/plain' }).end('the client is not built: run npm start\n')
    return
  }
  // Hashed assets never change; index.html and the service worker must be fresh on every load.
  const immutable = file.includes(`${join(base, 'assets')}`)
  res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache' })
  createReadStream(file).pipe(res)
}
