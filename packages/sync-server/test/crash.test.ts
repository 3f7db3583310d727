import { spawn } from 'node:child_process'
import { resolve } from 'node:path'
import { createStore } from '@stepping/core'
import { describe, expect, test } from 'vitest'
import { sqliteStorage } from '../src/index'
import { ACCOUNTS, allAccounts, allEntries, allStamps, balancesAt, OPENING, STAMPS, total, views } from './fixtures/bank'
import { tempDir } from './tmp'
import { prng } from './fixtures/prng'

// A writer process commits transfers to a SQLite file in a loop and prints each version once `transact`
// returned; it is SIGKILLed at a random moment, and the file is checked: every reported version is there,
// and the data is exactly the state after one whole transaction. The same file is reopened and written
// again by the next writer, so recovery after a kill is exercised too.

const root = resolve(import.meta.dirname, '../../..')
const writer = resolve(import.meta.dirname, 'fixtures/bank-writer.ts')
const LANES = 5
const KILLS_PER_LANE = 11

/**
 * Starts a writer on `path` saving a checkpoint every `checkpointEvery` commits (0: never), kills it
 * `delayMs` after its first report, and returns the last version it reported.
 */
function runAndKill(path: string, delayMs: number, checkpointEvery: number): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', writer, path, String(checkpointEvery)], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    let timer: NodeJS.Timeout | undefined
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk
      timer ??= setTimeout(() => child.kill('SIGKILL'), delayMs)
    })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk))
    child.on('error', reject)
    child.on('exit', (_code, signal) => {
      clearTimeout(timer)
      if (signal !== 'SIGKILL') return reject(new Error(`the writer exited by itself (${signal ?? _code}): ${err}`))
      // Only whole lines count: a line cut short by the kill was not fully reported.
      const lines = out.slice(0, out.lastIndexOf('\n') + 1).split('\n').filter((l) => l !== '')
      resolvePromise(lines.length === 0 ? 0 : Number(lines[lines.length - 1]))
    })
  })
}

/** Reopens the file and checks it holds exactly the state after whole transaction `store.version`. */
function check(path: string, reported: number): number {
  const store = createStore({ views, storage: sqliteStorage(path) })
  try {
    const version = store.version
    expect(version, 'a version the writer reported as committed is missing').toBeGreaterThanOrEqual(reported)
    expect(store.read(total)).toEqual([{ key: 'all', balance: ACCOUNTS * OPENING }])
    const balances = [...store.read(allAccounts)].sort((a, b) => a.id - b.id).map((a) => a.balance)
    expect(balances).toEqual(balancesAt(version))
    const logged = store.read(allEntries).map((e) => e.version).sort((a, b) => a - b)
    expect(logged).toEqual(Array.from({ length: version - 1 }, (_, i) => i + 2))
    const stamped = store.read(allStamps)
    expect(stamped).toHaveLength(version >= 2 ? STAMPS : 0)
    for (const s of stamped) expect(s.version).toBe(version)
    return version
  } finally {
    store.close()
  }
}

describe('crash safety', () => {
  test('a writer SIGKILLed at random moments, with and without checkpoints, loses no reported commit and leaves no partial one', { timeout: 120_000 }, async () => {
    const seed = Date.now()
    const random = prng(seed)
    const tmp = tempDir('stepping-crash-')
    const stats = { kills: 0, reported: 0, ahead: 0, versions: [] as number[] }
    const lane = async (n: number) => {
      const path = tmp.file(`lane-${n}.db`)
      let version = 0
      for (let k = 0; k < KILLS_PER_LANE; k++) {
        // Odd lanes checkpoint every 3 commits: kills land mid-checkpoint, and reopening replays the log.
        const reported = await runAndKill(path, 20 + Math.floor(random() * 180), n % 2 === 1 ? 3 : 0)
        const after = check(path, reported)
        stats.kills++
        stats.reported += Math.max(0, reported - version)
        // Committed to disk but killed before it was printed: the window the kill is meant to hit.
        if (after > reported) stats.ahead++
        expect(after, 'the file went back in time').toBeGreaterThanOrEqual(version)
        version = after
      }
      stats.versions.push(version)
    }
    try {
      await Promise.all(Array.from({ length: LANES }, (_, n) => lane(n)))
    } catch (error) {
      throw new Error(`crash test failed (seed ${seed}): ${String(error)}`, { cause: error })
    } finally {
      tmp.remove()
    }
    console.log(
      `crash test: ${stats.kills} kills over ${LANES} files, ${stats.reported} reported commits checked present, ` +
        `final versions ${stats.versions.join(', ')}, ${stats.ahead} kills landed after a commit and before its report (seed ${seed})`,
    )
    expect(stats.kills).toBe(LANES * KILLS_PER_LANE)
    expect(stats.reported).toBeGreaterThan(stats.kills)
  })
})
