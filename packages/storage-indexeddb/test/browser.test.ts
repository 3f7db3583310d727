import { join } from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { bundle, launch, serve } from './browser/serve'

// Real IndexedDB: the page (browser/page.ts) is bundled with esbuild, served on 127.0.0.1 and driven in
// headless Chromium. CI installs Debian's chromium first (.ci/run).
describe('indexedDbStorage in headless Chromium', () => {
  let browser: Browser
  let server: Awaited<ReturnType<typeof serve>>
  let context: BrowserContext

  beforeAll(async () => {
    server = await serve(await bundle(join(import.meta.dirname, 'browser/page.ts')))
    browser = await launch()
    context = await browser.newContext()
  }, 60_000)

  afterAll(async () => {
    await context?.close()
    await browser?.close()
    await server?.close()
  })

  /** A new tab on the test origin (in `context`, the test's browser profile), with errors the page throws collected. */
  async function tab(on = context): Promise<{ page: Page; errors: string[] }> {
    const page = await on.newPage()
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(error.message))
    await page.goto(server.url)
    await page.waitForFunction(() => window.stepping !== undefined)
    return { page, errors }
  }

  test('the storage contract suite passes against real IndexedDB', async () => {
    const { page, errors } = await tab()
    expect(await page.evaluate(() => window.stepping.failing())).toMatch(/expected .* to deeply equal/)
    const outcomes = await page.evaluate(() => window.stepping.contract())
    expect(outcomes.length).toBeGreaterThanOrEqual(9)
    expect(outcomes.filter((o) => o.error !== undefined)).toEqual([])
    expect(errors).toEqual([])
    await page.close()
  }, 60_000)

  test('two tabs on one database: a commit in one reaches the other through watch', async () => {
    const a = await tab()
    const b = await tab()
    const name = `tabs-${Date.now()}`
    expect(await a.page.evaluate((n) => window.stepping.open(n), name)).toEqual({ version: 0, totals: [] })
    expect(await b.page.evaluate((n) => window.stepping.open(n), name)).toEqual({ version: 0, totals: [] })

    const written = await a.page.evaluate(() => window.stepping.insert(1, 3, 'o1', 5))
    expect(written).toEqual({ snapshot: { version: 1, totals: [{ key: 'o1', total: 15 }] } })
    await b.page.waitForFunction(() => window.stepping.snapshot().version === 1)
    expect(await b.page.evaluate(() => window.stepping.snapshot())).toEqual(written.snapshot)

    const back = await b.page.evaluate(() => window.stepping.insert(10, 1, 'o2', 7))
    expect(back.snapshot.version).toBe(2)
    await a.page.waitForFunction(() => window.stepping.snapshot().version === 2)
    expect(await a.page.evaluate(() => window.stepping.snapshot())).toEqual({
      version: 2,
      totals: [
        { key: 'o1', total: 15 },
        { key: 'o2', total: 7 },
      ],
    })

    // Both commit at once: whichever loses (if they collide) is reverted, and both end up equal.
    const raced = await Promise.all([
      a.page.evaluate(() => window.stepping.insert(20, 5, 'o3', 1)),
      b.page.evaluate(() => window.stepping.insert(30, 5, 'o3', 2)),
    ])
    for (const outcome of raced) if (outcome.error !== undefined) expect(outcome.error.name).toBe('ConflictError')
    const version = 2 + raced.filter((o) => o.error === undefined).length
    for (const t of [a, b]) await t.page.waitForFunction((v) => window.stepping.snapshot().version === v, version)
    const final = await a.page.evaluate(() => window.stepping.snapshot())
    expect(await b.page.evaluate(() => window.stepping.snapshot())).toEqual(final)

    // A third tab opening later loads every commit.
    const c = await tab()
    expect(await c.page.evaluate((n) => window.stepping.open(n), name)).toEqual(final)
    expect([...a.errors, ...b.errors, ...c.errors]).toEqual([])
    for (const t of [a, b, c]) await t.page.close()
  }, 60_000)

  test('a commit beyond the quota: StorageFullError, reverted in memory, nothing written, and the store goes on', async () => {
    // A profile of its own: the quota override takes effect on an origin whose storage is not in use yet.
    const profile = await browser.newContext()
    const { page, errors } = await tab(profile)
    // A real QuotaExceededError: the DevTools protocol gives this origin a quota of 1 MB.
    const cdp = await profile.newCDPSession(page)
    const origin = new URL(server.url).origin
    await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: 1024 * 1024 })
    const name = `quota-${Date.now()}`
    await page.evaluate((n) => window.stepping.open(n), name)
    const small = await page.evaluate(() => window.stepping.insert(1, 1, 'o1', 1))
    expect(small.snapshot.version).toBe(1)
    const big = await page.evaluate(() => window.stepping.insert(100, 50, 'o1', 1, 100_000))
    expect(big.error).toMatchObject({ name: 'StorageFullError', cause: 'QuotaExceededError' })
    expect(big.error?.message).toMatch(/storage quota is exhausted: commit 2 was not written/)
    expect(big.snapshot).toEqual(small.snapshot)

    await cdp.send('Storage.overrideQuotaForOrigin', { origin })
    const after = await page.evaluate(() => window.stepping.insert(100, 50, 'o1', 1, 100_000))
    expect(after).toEqual({ snapshot: { version: 2, totals: [{ key: 'o1', total: 51 }] } })
    await page.evaluate(() => window.stepping.close())
    const reopened = await tab(profile)
    expect(await reopened.page.evaluate((n) => window.stepping.open(n), name)).toEqual(after.snapshot)
    expect([...errors, ...reopened.errors]).toEqual([])
    await profile.close()
  }, 60_000)
  test("two tabs on one sync persistence: the first owns it, the second keeps to memory and cannot overwrite the first's queue", async () => {
    const a = await tab()
    const b = await tab()
    const name = `sync-${Date.now()}`
    const first = await a.page.evaluate((n) => window.stepping.syncPersistence(n, 'tab-a', 1), name)
    expect(first.owner).toBe(true)
    expect(first.loaded).toMatchObject({ clientId: 'tab-a', lastMutationId: 1, pending: [{ id: 1, name: 'like', args: { by: 'tab-a' } }] })
    const second = await b.page.evaluate((n) => window.stepping.syncPersistence(n, 'tab-b', 1), name)
    expect(second).toEqual({ owner: false, loaded: null })
    // The first tab's state is untouched; once it is gone, the next tab owns the database and finds it.
    await a.page.close()
    const c = await tab()
    const third = await c.page.evaluate((n) => window.stepping.syncPersistence(n, 'tab-c', 1), name)
    expect(third.owner).toBe(true)
    expect(third.loaded).toMatchObject({ clientId: 'tab-a', pending: [{ id: 1, args: { by: 'tab-a' } }] })
    await Promise.all([b.page.close(), c.page.close()])
    expect([...a.errors, ...b.errors, ...c.errors]).toEqual([])
  }, 60_000)
})
