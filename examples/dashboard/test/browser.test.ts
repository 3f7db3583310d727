import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { build } from 'vite'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startDashboard, type Dashboard } from '../server/app'
import { tempDir } from './helpers'

// The real thing: the client built by Vite, served by the dashboard server over a store on SQLite with a
// live stream, driven in headless Chromium. Screenshots land in test/artifacts/ (gitignored).

const root = join(import.meta.dirname, '..')
const artifacts = join(import.meta.dirname, 'artifacts')

describe('the dashboard in headless Chromium', () => {
  const tmp = tempDir()
  let dashboard: Dashboard
  let browser: Browser
  let page: Page
  const sentFrames: string[] = []
  const errors: string[] = []

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true })
    const dist = join(tmp.dir, 'dist')
    await build({ configFile: join(root, 'vite.config.ts'), build: { outDir: dist, emptyOutDir: true }, logLevel: 'silent' })
    dashboard = await startDashboard({ dbPath: join(tmp.dir, 'dashboard.db'), staticDir: dist, history: 30_000, simulator: { meters: 200, seed: 3 } })
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    })
    page = await browser.newPage({ viewport: { width: 1400, height: 1100 } })
    page.on('pageerror', (error) => errors.push(error.message))
    page.on('websocket', (ws) => ws.on('framesent', (frame) => sentFrames.push(String(frame.payload))))
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await dashboard?.stop()
    tmp.remove()
  })

  const attribute = (selector: string, name: string): Promise<string | null> => page.locator(selector).getAttribute(name)
  const totals = async (selector: string): Promise<Record<string, number>> => JSON.parse((await attribute(selector, 'data-totals')) ?? '{}') as Record<string, number>
  const text = async (selector: string): Promise<string> => (await page.textContent(selector)) ?? ''
  const count = (value: string): number => Number(value.replaceAll(',', ''))

  test('renders the charts and tables with data', async () => {
    await page.goto(dashboard.url)
    for (const chart of ['#daily-chart', '#rolling-chart', '#cost-chart'])
      await page.waitForFunction((s) => Number(document.querySelector(s)?.getAttribute('data-points')) > 0, chart)
    expect(await page.locator('#daily-chart canvas').count()).toBeGreaterThan(0)
    expect(await page.locator('#top-table tr').count()).toBe(10)
    expect(await page.locator('#silent-table tr').count()).toBeGreaterThan(0)
    expect(await page.locator('#tariff-table tbody tr').count()).toBe(4)
    expect(count(await text('#ingested'))).toBe(dashboard.simulator.ingested)
    expect(errors).toEqual([])
  }, 30_000)

  test('updates while readings stream in; unchanged rows do not re-render', async () => {
    const ingested = count(await text('#ingested'))
    const dailyBefore = await totals('#daily-chart')
    const silentRenders = await page.evaluate(() => window.dashboardRenders?.silent ?? 0)
    dashboard.rate = 400
    await page.waitForFunction((n) => Number(document.querySelector('#ingested')?.textContent?.replaceAll(',', '')) > n + 400, ingested, { timeout: 15_000 })
    await page.waitForFunction(() => document.querySelector('#latency')?.textContent?.includes('ms') === true)
    expect(await totals('#daily-chart')).not.toEqual(dailyBefore)
    expect(count(await text('#version'))).toBeGreaterThan(0)
    // Live readings come from meters that report: the silent ones' rows were not rendered again.
    expect(await page.evaluate(() => window.dashboardRenders?.silent ?? 0)).toBe(silentRenders)
    await page.screenshot({ path: join(artifacts, 'dashboard.png'), fullPage: true })
  }, 30_000)

  test('filters are client views: changing them sends nothing to the server', async () => {
    const framesBefore = sentFrames.length
    await page.selectOption('#region', 'north')
    await page.waitForFunction(() => Object.keys(JSON.parse(document.querySelector('#daily-chart')?.getAttribute('data-totals') ?? '{}')).join() === 'north')
    expect(Object.keys(await totals('#rolling-chart'))).toEqual(['north'])
    expect(sentFrames.slice(framesBefore)).toEqual([])
    await page.selectOption('#region', 'all')
  }, 30_000)

  test('a tariff edit re-prices the cost chart', async () => {
    dashboard.rate = 0
    // Let the last batch arrive, so that the edit is the only change.
    const settled = async (): Promise<string> => {
      let last = ''
      for (;;) {
        await new Promise((r) => setTimeout(r, 400))
        const now = (await attribute('#cost-chart', 'data-totals')) ?? ''
        if (now === last) return now
        last = now
      }
    }
    const before = JSON.parse(await settled()) as Record<string, number>
    expect(await text('#price-green')).toBe('31 ¢/kWh')
    await page.fill('#edit-green', '62')
    await page.click('#set-green')
    await page.waitForFunction(() => document.querySelector('#price-green')?.textContent === '62 ¢/kWh')
    await page.waitForFunction(
      (old) => Number(JSON.parse(document.querySelector('#cost-chart')?.getAttribute('data-totals') ?? '{}').green) > old * 1.9,
      before.green!,
      { timeout: 10_000 },
    )
    const after = await totals('#cost-chart')
    expect(after.green).toBeCloseTo(before.green! * 2, 6)
    expect(after.standard).toBeCloseTo(before.standard!, 9)
    await page.screenshot({ path: join(artifacts, 'dashboard-tariff-edit.png'), fullPage: true })
    expect(errors).toEqual([])
  }, 30_000)
})
