import { spawn, type ChildProcess } from 'node:child_process'
import { resolve } from 'node:path'

const root = resolve(import.meta.dirname, '../../..')
const child = resolve(import.meta.dirname, 'fixtures/sync-server-child.ts')

/** A sync server in a child process on the SQLite file `path`. */
export interface ServerProcess {
  readonly port: number
  readonly process: ChildProcess
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>
}

/** Starts the child server on `port` (0: any) and resolves once it listens. */
export function spawnServer(path: string, port: number): Promise<ServerProcess> {
  return new Promise((resolvePromise, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', child, path, String(port)], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((r) =>
      proc.on('exit', (code, signal) => r({ code, signal, stderr: err })),
    )
    proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk))
    proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk
      const match = /listening (\d+)/.exec(out)
      if (match) resolvePromise({ port: Number(match[1]), process: proc, exited })
    })
    proc.on('error', reject)
    void exited.then(({ code, signal }) => reject(new Error(`the server exited before listening (${signal ?? code}): ${err}`)))
  })
}
