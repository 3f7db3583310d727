import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { comments, likes, posts } from '../shared/schema'
import { startApp, type App } from './app'

// `npm start`: the built client and the sync server on one port, the data in one SQLite file.
const root = join(dirname(fileURLToPath(import.meta.url)), '../..')
const dataDir = process.env.DATA_DIR ?? join(root, '.data')
const port = Number(process.env.PORT ?? 3000)
const started = performance.now()
let app: App
try {
  app = await startApp({ dataDir, distDir: join(root, 'dist'), port, host: process.env.HOST ?? '127.0.0.1' })
} catch (error) {
  if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error
  console.error(`port ${port} is taken: run PORT=${port + 1} npm start`)
  process.exit(1)
}
const n = (rows: readonly unknown[]): string => rows.length.toLocaleString('en')
const counts = `${n(app.store.read(posts))} posts, ${n(app.store.read(comments))} comments, ${n(app.store.read(likes))} likes`
console.log('Threadline, the stepping comments demo')
console.log(`  data   ${relative(join(root, '../..'), join(dataDir, 'comments.db'))} (${app.seeded ? 'seeded: ' : ''}${counts})`)
console.log(`  ready  in ${Math.round(performance.now() - started)} ms`)
console.log(`  open   ${app.url}  (sign in as Ada, Grace, Alan or Barbara, in two windows)`)
const stop = (): void => void app.close().then(() => process.exit(0))
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
