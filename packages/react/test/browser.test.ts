import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { bundle, launch, serve } from './browser/serve'

// A real browser: the page (browser/page.tsx) is bundled with esbuild, served on 127.0.0.1 and driven
// in headless Chromium. CI installs Debian's chromium first (.ci/run).
describe('in headless Chromium', () => {
  let browser: Browser
  let server: Awaited<ReturnType<typeof serve>>

  beforeAll(async () => {
    server = await serve(await bundle(join(import.meta.dirname, 'browser/page.tsx')))
    browser = await launch()
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })

  test('renders the rows, and a transaction re-renders only the changed row', async () => {
    const page = await browser.newPage()
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(error.message))
    await page.goto(server.url)
    await page.waitForSelector('#list li[data-id="999"]')
    expect(await page.locator('#list li').count()).toBe(1000)
    expect(await page.textContent('li[data-id="500"]')).toBe('item 500')
    expect(await page.textContent('#edited')).toBe('0 edited')
    const before = await page.evaluate(() => window.rowRenders)
    expect(before).toBe(1000)

    await page.click('#edit')
    await page.waitForSelector('li[data-id="500"]:text("edited 500")')
    expect(await page.textContent('#edited')).toBe('1 edited')
    expect(await page.evaluate(() => window.rowRenders)).toBe(before + 1)
    expect(errors).toEqual([])
    await page.close()
  }, 30_000)
})
