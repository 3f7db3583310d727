// `npm run bench:history [-- --runs 5]`: stepping's figures as medians over the last runs of
// `npm run bench:engine` with the peer engines: the working copy of bench/RESULTS.md and its versions in
// git history. Prints the section and rewrites it in RESULTS.md (after the peers section). `npm run bench`
// runs it right after its engine run, so the section includes that run.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { historyMarkdown, latestRuns } from './history'
import { writeSection } from './report'

const USAGE = 'usage: npm run bench:history [-- --runs N]'
const RESULTS = fileURLToPath(new URL('../RESULTS.md', import.meta.url))

function runsArg(argv: readonly string[]): number {
  const at = argv.findIndex((a) => a === '--runs' || a.startsWith('--runs='))
  if (at < 0) return 5
  const value = argv[at]!.includes('=') ? argv[at]!.slice('--runs='.length) : argv[at + 1]
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw new Error(`--runs: '${value}' is not an integer ≥ 1\n${USAGE}`)
  return n
}

/** RESULTS.md as committed, newest commit first; none outside a git checkout. */
function committedVersions(): string[] {
  const git = (args: string[]) => execFileSync('git', args, { cwd: fileURLToPath(new URL('..', import.meta.url)), encoding: 'utf8', maxBuffer: 64 << 20 })
  let commits: string[]
  try {
    commits = git(['log', '--format=%H', '--', 'RESULTS.md']).split('\n').filter(Boolean)
  } catch {
    console.warn('bench:history: no git history here; reading the working copy of RESULTS.md only')
    return []
  }
  return commits.map((c) => git(['show', `${c}:bench/RESULTS.md`]))
}

const count = runsArg(process.argv.slice(2))
const current = existsSync(RESULTS) ? [readFileSync(RESULTS, 'utf8')] : []
const section = historyMarkdown(latestRuns([...current, ...committedVersions()], count))
console.log(section)
writeSection('history', section, 'peers')
