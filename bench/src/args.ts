/** Command-line options of `npm run bench`. */
export interface BenchArgs {
  /** Issue counts to run at. */
  readonly sizes: readonly number[]
  /** Fewer, shorter runs; prints results but leaves RESULTS.md alone. */
  readonly quick: boolean
}

const USAGE = 'usage: npm run bench [-- [--n 10000,100000] [--quick]]'

function parseSizes(value: string): number[] {
  return value.split(',').map((s) => {
    const n = Number(s.trim().replace(/_/g, '').replace(/k$/i, '000'))
    if (!Number.isInteger(n) || n < 1000) throw new Error(`--n: '${s}' is not an integer ≥ 1000\n${USAGE}`)
    return n
  })
}

/**
 * Reads `--n 10000,100000` (or `--n=…`) and `--quick`. Run through the root script
 * (`npm run bench -- --n 10000 --quick`), npm swallows the flags it does not know: `--quick` arrives as
 * the environment variable npm_config_quick, and `--n`'s value as a bare argument, so both are accepted.
 */
export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): BenchArgs {
  let sizes: number[] | undefined
  let quick = env['npm_config_quick'] === 'true'
  const envN = env['npm_config_n']
  if (envN !== undefined && envN !== '' && envN !== 'true') sizes = parseSizes(envN)
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--quick') quick = true
    else if (arg === '--n' || arg.startsWith('--n=')) {
      const value = arg === '--n' ? argv[++i] : arg.slice('--n='.length)
      if (value === undefined) throw new Error(`--n needs a value\n${USAGE}`)
      sizes = parseSizes(value)
    } else if (/^[\d_,kK]+$/.test(arg)) sizes = parseSizes(arg)
    else if (arg === '--help' || arg === '-h') {
      console.log(USAGE)
      process.exit(0)
    } else throw new Error(`unknown argument '${arg}'\n${USAGE}`)
  }
  return { sizes: sizes ?? (quick ? [10_000] : [10_000, 100_000]), quick }
}
