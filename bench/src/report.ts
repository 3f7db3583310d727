import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import type { CaseResult, RunOptions } from './run'
import { EDIT_MIX } from './stream'
import type { EditKind } from './stream'

/** Where and on what the benchmark ran. */
export interface Machine {
  /** 1-minute load averages when the run started and ended: other work on the machine skews timings. */
  readonly load: { start: number; end: number }
  readonly cpu: string
  readonly cores: number
  readonly node: string
  readonly os: string
  readonly memoryGB: number
  readonly date: string
  /** The engine's git commit, with a note when packages/core has uncommitted changes. */
  readonly engine: string
}

/** `abc1234`, `abc1234 + uncommitted changes`, or 'unknown' outside a git checkout (read-only git calls). */
function engineVersion(): string {
  try {
    const root = fileURLToPath(new URL('../../', import.meta.url))
    const git = (...args: string[]) =>
      execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
    const head = git('rev-parse', '--short', 'HEAD')
    const dirty = git('--no-optional-locks', 'status', '--porcelain', '--', 'packages/core/src') !== ''
    return dirty ? `${head} + uncommitted changes in packages/core/src` : head
  } catch {
    return 'unknown'
  }
}

export function describeMachine(): Machine {
  return {
    load: { start: os.loadavg()[0] ?? 0, end: os.loadavg()[0] ?? 0 },
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown CPU',
    cores: os.cpus().length,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    memoryGB: Math.round(os.totalmem() / 2 ** 30),
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    engine: engineVersion(),
  }
}

/** The results at one size. */
export interface SizeResults {
  readonly n: number
  readonly options: RunOptions
  /** Rounds per view (a fresh store each); every figure is the median over them (run.ts medianOfRounds). */
  readonly rounds: number
  readonly results: readonly CaseResult[]
  readonly seconds: number
}

/** The acceptance bar: a single-row update at least this many times faster than recomputing… */
export const TARGET_SPEEDUP = 100
/** …at this many issues (smaller sizes are reported, not judged: recomputing them takes well under a ms). */
export const TARGET_N = 100_000

const num = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2))
const grouped = (x: number): string => Math.round(x).toLocaleString('en-US')

/** The markdown table of one size. */
export function table(size: SizeResults): string {
  const header = [
    'view',
    'build ms',
    'update median µs',
    'update p99 µs',
    'batch changes/s',
    'batch median ms',
    'heap MB',
    'scratch build ms',
    'scratch recompute ms',
    'speedup ×',
  ]
  const align = ['---', ...header.slice(1).map(() => '---:')]
  const rows = size.results.map((r) => [
    r.id,
    num(r.buildMs),
    num(r.updateMedianUs),
    num(r.updateP99Us),
    grouped(r.batchChangesPerSec),
    num(r.batchMedianMs),
    (r.heapBytes / 2 ** 20).toFixed(1),
    num(r.scratchBuildMs),
    num(r.scratchRecomputeMs),
    `${grouped(r.speedup)}×${size.n >= TARGET_N && r.speedup < TARGET_SPEEDUP ? ' ⚠' : ''}`,
  ])
  return [header, align, ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n')
}

/** Median single-row update per kind of change: where each view's time goes (and its p99 comes from). */
export function kindTable(size: SizeResults): string {
  const kinds = Object.keys(EDIT_MIX) as EditKind[]
  const header = ['view', ...kinds, `cold: first ${grouped(size.options.coldUpdates)} after the build`]
  const align = ['---', ...kinds.map(() => '---:'), '---:']
  const rows = size.results.map((r) => [
    r.id,
    ...kinds.map((k) => {
      const v = r.medianUsByKind.get(k)
      return v === undefined ? '–' : num(v)
    }),
    Number.isNaN(r.coldMedianUs) ? '–' : num(r.coldMedianUs),
  ])
  return [header, align, ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n')
}

/** What a size ran: data sizes and sample counts. */
export function sizeSummary(size: SizeResults): string {
  const { n, options: o } = size
  const first = size.results[0]
  return (
    `N = ${grouped(n)} issues, ${grouped(n / 100)} users, ${grouped(n / 1000)} projects, ${grouped(3 * n)} comments. ` +
    `${first?.updates ?? o.measuredUpdates} timed single-row transactions per view (after ${grouped(o.warmupUpdates)} warm-up), ` +
    `${o.batches} timed batches of ${grouped(o.batchSize)} changes (after ${o.warmupBatches} untimed), ${first?.scratchSamples ?? o.scratchSamples} timed from-scratch recomputes` +
    (size.rounds === 1 ? ', in one round. ' : `, in each of ${size.rounds} rounds; every figure is the median over the rounds. `) +
    `Ran in ${size.seconds.toFixed(1)} s.`
  )
}

/** One line per view that misses the bar, or one line saying all meet it. */
export function verdict(size: SizeResults): string {
  const misses = size.results.filter((r) => r.speedup < TARGET_SPEEDUP)
  if (size.n < TARGET_N)
    return (
      `The ${TARGET_SPEEDUP}× bar applies at N = ${grouped(TARGET_N)}; at this size ` +
      (misses.length === 0
        ? 'every view clears it anyway.'
        : `below it: ${misses.map((r) => `${r.id} (${grouped(r.speedup)}×; recomputing takes ${num(r.scratchRecomputeMs)} ms)`).join(', ')}.`)
    )
  if (misses.length === 0)
    return `Every view's single-row update is at least ${TARGET_SPEEDUP}× faster than its from-scratch recompute at N = ${grouped(size.n)}.`
  return (
    `⚠ Below ${TARGET_SPEEDUP}× at N = ${grouped(size.n)}: ` +
    misses.map((r) => `${r.id} (${grouped(r.speedup)}×)`).join(', ') +
    '.'
  )
}

export function legend(): string {
  return `Views (each in its own store, so its cost is measured alone):

- **Q1** open issues with priority ≥ 2, newest first (filter + orderBy, no limit)
- **Q2** every issue with its owner's name (join + map)
- **Q3a** comment count per issue (groupBy count)
- **Q3b** per project: open-issue count, priority sum, newest createdAt (filter + groupBy count/sum/max)
- **Q4** per user: comments on open issues (filter + join + groupBy count: the issues are filtered before the join, in every engine)
- **Q5** the 20 newest comments (orderBy + limit 20)

Each view runs in rounds: a round is a fresh store with its build, warm-up, timed single-row
transactions, from-scratch recomputes and timed batches, on the same data and change stream; the views
take turns round by round. Every figure in the tables is the median (nearest rank) over the rounds of that
round's figure: the update median is the median of the rounds' medians, the p99 the median of their p99s,
batch changes/s the median of each round's changes ÷ time over its timed batches, and so on; the speedup
divides the two medians. Each size says how many rounds it ran.

Columns:

- **build ms**: \`createStore\` plus one transaction inserting every row of the collections the view reads.
- **update median / p99 µs**: one single-row change per \`store.transact\` (issue status/priority/owner edits,
  comment inserts — fresh, slightly and far back-dated — comment deletes, user renames; each view gets the
  changes to the collections it reads), timed after a warm-up of single-row transactions on the same store:
  right after a large build the first thousands of updates run 2–3× slower (see the "cold" column below).
- **batch changes/s**: the same kind of changes, 1,000 per transaction: the timed batches' changes ÷ their
  total time, so a slow batch (a V8 re-optimization, a garbage collection) counts in full.
- **batch median ms**: the median time of one timed batch, which leaves the slow ones out: beside the
  throughput, it tells a steady cost from an occasional slow batch.
- **heap MB**: \`heapUsed\` retained by the store after the build (after \`gc()\`), minus the heap before it,
  which already held the input rows: the store's own overhead (stores are created without a storage, the default).
- **scratch build ms**: loading the same rows into plain \`Map\`s and computing the view once in plain JS.
- **scratch recompute ms**: median time to recompute the whole view in plain JS after one change.
- **speedup ×**: scratch recompute / stepping update median. ⚠ marks a view below the acceptance bar,
  ${TARGET_SPEEDUP}× at N = ${grouped(TARGET_N)}.

After the change stream, every stepping view is checked row for row against the from-scratch result.`
}

function machineLines(m: Machine): string {
  return `- CPU: ${m.cpu}, ${m.cores} cores, ${m.memoryGB} GB RAM
- OS: ${m.os}
- Node: ${m.node}
- Date: ${m.date}
- Engine: @stepping/core at git ${m.engine}
- Load average (1 min) at start / end (the end includes the benchmark itself): ${m.load.start.toFixed(2)} / ${m.load.end.toFixed(2)}${
    m.load.start > m.cores / 2 ? ' — the machine was busy with other work when the run started; timings are noisier than usual' : ''
  }`
}

/**
 * The whole RESULTS.md but the sections other scripts maintain: `notRun` says which sizes were left out
 * and why, `peers` is the peers section (peers.ts), when the peers ran.
 */
export function resultsMarkdown(
  machine: Machine,
  sizes: readonly SizeResults[],
  totalSeconds: number,
  recursion: string,
  notRun: readonly string[],
  peers: string | undefined,
): string {
  const sections = sizes.map(
    (s) =>
      `## N = ${grouped(s.n)}\n\n${sizeSummary(s)}\n\n${table(s)}\n\n${verdict(s)}\n\n` +
      `Single-row update median (µs) by kind of change, and over the first ${grouped(s.options.coldUpdates)} ` +
      `transactions after the build (before warm-up; all kinds):\n\n${kindTable(s)}\n`,
  )
  return `# Benchmark results

Generated by \`npm run bench\` (bench/src/main.ts) — do not edit by hand.

${machineLines(machine)}
- Total run time: ${totalSeconds.toFixed(0)} s${peers === undefined ? '' : ", the peer engines' included"}${notRun.map((line) => `\n- ${line}`).join('')}

## How to regenerate

From the repository root:

\`\`\`sh
npm run bench                        # every benchmark; this part is npm run bench:engine
npm run bench:engine                 # N = 10,000, 100,000 and 1,000,000, with the peer engines; rewrites this part
npm run bench:engine -- --n 10k,100k # choose the sizes
npm run bench:engine -- --rounds=5   # stepping's rounds per view (default 3 up to N = 100,000, 1 above)
npm run bench:engine -- --no-peers   # stepping alone; keeps the peers section below as it was
npm run bench:engine -- --quick      # N = 10,000, fewer samples, one round; prints only, leaves this file alone
npm run bench:cold                   # each view in a fresh process that builds first (the cold section below)
npm run bench:history                # the targets judged on medians over the last 5 runs (the across-runs section below)
\`\`\`

The workload is deterministic (seeded PRNG): the same data and change stream on every run.

${legend()}

${sections.join('\n')}
## Recursion: descendants with depth

The recursive view of the comments app (every ancestor/descendant pair with its depth, see
docs/recursion.md) over a reply forest; one reply inserted, then deleted, per sample. The from-scratch
column walks up from every comment in plain JS. After the samples the view is checked row for row
against it.

${recursion}
${peers === undefined ? '' : `\n${peers}\n`}`
}

/**
 * The sections of RESULTS.md kept between `<!-- bench:NAME -->` markers: the other bench scripts', and the
 * peers' when main.ts runs without them.
 */
const SECTIONS = ['peers', 'history', 'cold', 'react', 'storage', 'idb', 'sync', 'dashboard']

/** Writes RESULTS.md, keeping the marked sections `markdown` does not bring a new version of. */
export function writeResults(path: string, markdown: string): void {
  const current = existsSync(path) ? readFileSync(path, 'utf8') : ''
  const kept = SECTIONS.filter((name) => !markdown.includes(`<!-- bench:${name} -->`)).flatMap(
    (name) => new RegExp(`<!-- bench:${name} -->[\\s\\S]*<!-- /bench:${name} -->`).exec(current) ?? [],
  )
  writeFileSync(path, [markdown.trimEnd(), ...kept].join('\n\n') + '\n')
}

/**
 * Replaces the section `name` of bench/RESULTS.md (between `<!-- bench:name -->` and
 * `<!-- /bench:name -->`; `body` is what goes between them) or adds it: right after the section `after`
 * when given and present, else at the end. The rest is left alone.
 */
export function writeSection(name: string, body: string, after?: string): void {
  const path = new URL('../RESULTS.md', import.meta.url)
  const section = `<!-- bench:${name} -->\n${body.trim()}\n<!-- /bench:${name} -->`
  const current = existsSync(path) ? readFileSync(path, 'utf8') : ''
  const marked = new RegExp(`<!-- bench:${name} -->[\\s\\S]*<!-- /bench:${name} -->`)
  const anchor = after === undefined ? -1 : current.indexOf(`<!-- /bench:${after} -->`)
  if (marked.test(current)) writeFileSync(path, current.replace(marked, () => section))
  else if (anchor >= 0) {
    const at = anchor + `<!-- /bench:${after} -->`.length
    writeFileSync(path, `${current.slice(0, at)}\n\n${section}${current.slice(at)}`)
  } else writeFileSync(path, `${current.trimEnd()}\n\n${section}\n`)
}
