/** Command-line options of `npm run bench`. */
export interface BenchArgs {
  /** Issue counts to run at, ascending. */
  readonly sizes: readonly number[]
  /** Fewer, shorter runs; prints results but leaves RESULTS.md alone. */
  readonly quick: boolean
  /** stepping's rounds per view at every size; undefined: the default for the size (see main.ts). */
  readonly rounds: number | undefined
  /** Run the peer engines beside stepping (on unless `--no-peers`). */
  readonly peers: boolean
}

const USAGE = 'usage: npm run bench:engine [-- [--n 10000,100000,1000000] [--rounds=R] [--no-peers] [--quick]]'

function parseSizes(value: string): number[] {
  const sizes = value.split(',').map((s) => {
    const n = Number(s.trim().replace(/_/g, '').replace(/k$/i, '000').replace(/m$/i, '000000'))
    if (!Number.isInteger(n) || n < 1000) throw new Error(`--n: '${s}' is not an integer ≥ 1000\n${USAGE}`)
    return n
  })
  // Ascending: a size's peers are vouched for by the size run before it (peers.ts).
  return [...new Set(sizes)].sort((a, b) => a - b)
}

function parseRounds(value: string | undefined): number {
  const r = Number(value)
  if (!Number.isInteger(r) || r < 1) throw new Error(`--rounds: '${value}' is not an integer ≥ 1\n${USAGE}`)
  return r
}

/** A value npm passed on as npm_config_NAME; npm sets 'true' for a flag whose value it took for a bare argument. */
function npmValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[`npm_config_${name}`]
  return value === undefined || value === '' || value === 'true' ? undefined : value
}

/**
 * Reads `--n 10000,100000` (or `--n=…`), `--rounds 3` (or `--rounds=3`), `--no-peers` and `--quick`. The
 * root scripts pass them on after a `--`; run without one (`npm run bench:engine --quick`), npm swallows
 * the flags it does not know:
 * `--quick` arrives as the environment variable npm_config_quick=true, `--no-peers` as an empty npm_config_peers,
 * `--rounds=3` as npm_config_rounds, and `--n`'s value as a bare argument, so all are accepted.
 */
export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): BenchArgs {
  let quick = env['npm_config_quick'] === 'true'
  const envPeers = env['npm_config_peers']
  let peers = envPeers !== '' && envPeers !== 'false'
  const envN = npmValue(env, 'n')
  let sizes = envN === undefined ? undefined : parseSizes(envN)
  const envRounds = npmValue(env, 'rounds')
  let rounds = envRounds === undefined ? undefined : parseRounds(envRounds)
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--quick') quick = true
    else if (arg === '--no-peers') peers = false
    else if (arg === '--n' || arg.startsWith('--n=')) {
      const value = arg === '--n' ? argv[++i] : arg.slice('--n='.length)
      if (value === undefined) throw new Error(`--n needs a value\n${USAGE}`)
      sizes = parseSizes(value)
    } else if (arg === '--rounds' || arg.startsWith('--rounds=')) rounds = parseRounds(arg === '--rounds' ? argv[++i] : arg.slice('--rounds='.length))
    else if (/^[\d_,kKmM]+$/.test(arg)) sizes = parseSizes(arg)
    else if (arg === '--help' || arg === '-h') {
      console.log(USAGE)
      process.exit(0)
    } else throw new Error(`unknown argument '${arg}'\n${USAGE}`)
  }
  return { sizes: sizes ?? (quick ? [10_000] : [10_000, 100_000, 1_000_000]), quick, rounds, peers }
}
