// IndexedDB storage in headless Chromium (Debian's /usr/bin/chromium): the page (storage-idb-page.ts) is
// bundled with esbuild and served on 127.0.0.1. It fills a database with 1,000 users and 100k issues
// through @stepping/storage-indexeddb, then times hydration after reloading the page: `load()` alone, and
// a store with four views becoming ready, rebuilding its views from the rows or restoring them from a
// checkpoint. Medians over several reloads. Also durable single-row commits, grouped and awaited one by one.
//
//   node --import tsx bench/src/storage-idb.ts [--rows 100000] [--runs 5]
import { build } from 'esbuild'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { chromium } from 'playwright-core'
import { median } from './measure'
import type { HydrateResult } from './storage-idb-page'

const arg = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(name)
  return at < 0 ? fallback : Number(process.argv[at + 1])
}
const rows = arg('--rows', 100_000)
const runs = arg('--runs', 5)
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run']

const script = (
  await build({
    entryPoints: [new URL('./storage-idb-page.ts', import.meta.url).pathname],
    bundle: true,
    write: false,
    format: 'esm',
    minify: true,
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
  })
).outputFiles[0]!.text
const html = '<!doctype html><meta charset="utf-8"><script type="module" src="/app.js"></script>'
const server = createServer((request, response) => {
  const js = request.url === '/app.js'
  response.writeHead(js || request.url === '/' ? 200 : 404, { 'content-type': js ? 'text/javascript' : 'text/html' })
  response.end(js ? script : request.url === '/' ? html : '')
})
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS })

const fmt = (ms: number): string => `${ms.toFixed(0)} ms`
try {
  const page = await browser.newPage()
  const load = async () => {
    await page.goto(url)
    await page.waitForFunction(() => window.bench !== undefined)
  }
  await load()
  const rebuild = await page.evaluate((n) => window.bench.fill('rebuild', n, false), rows)
  await load()
  const restore = await page.evaluate((n) => window.bench.fill('restore', n, true), rows)
  console.log(`fill ${rows.toLocaleString('en-US')} issues + 1,000 users (10k-row commits, durable): ${fmt(rebuild.fillMs)}`)
  console.log(`checkpoint of four views: ${fmt(restore.checkpointMs ?? NaN)}`)

  for (const name of ['rebuild', 'restore']) {
    const samples: HydrateResult[] = []
    for (let r = 0; r < runs; r++) {
      await page.reload()
      await page.waitForFunction(() => window.bench !== undefined)
      samples.push(await page.evaluate((db) => window.bench.hydrate(db), name))
    }
    const first = samples[0]!
    console.log(
      `hydrate (${name === 'rebuild' ? 'views rebuilt from rows' : 'views restored from checkpoint'}), ${first.rows.toLocaleString('en-US')} rows, v${first.version}, median of ${runs}: ` +
        `load() ${fmt(median(samples.map((s) => s.loadMs)))}, store ready ${fmt(median(samples.map((s) => s.readyMs)))}`,
    )
  }

  await load()
  const commits = await page.evaluate(() => window.bench.commits('rebuild', 200))
  console.log(
    `durable single-row commits: ${commits.groupedPerSecond.toFixed(0)}/s back to back (group commit), ` +
      `${commits.awaitedMedianMs.toFixed(1)} ms median each awaited`,
  )
} finally {
  await browser.close()
  server.close()
}
