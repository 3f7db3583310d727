import { build } from 'esbuild'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { chromium, type Browser } from 'playwright-core'

/** Bundles `entry` for the browser; 'vitest' resolves to the in-page harness (describe, test, vitest's expect). */
export async function bundle(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'esm',
    alias: { vitest: new URL('./harness.ts', import.meta.url).pathname },
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
  })
  return result.outputFiles[0]!.text
}

/** Serves one page running `script` on 127.0.0.1 at a free port (one origin, so pages share IndexedDB). */
export async function serve(script: string): Promise<{ readonly url: string; close(): Promise<void> }> {
  const html = '<!doctype html><meta charset="utf-8"><script type="module" src="/app.js"></script>'
  const server: Server = createServer((request, response) => {
    const js = request.url === '/app.js'
    response.writeHead(js || request.url === '/' ? 200 : 404, { 'content-type': js ? 'text/javascript' : 'text/html' })
    response.end(js ? script : request.url === '/' ? html : '')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((resolve) => server.close(() => resolve())) }
}

/** Debian's Chromium (`apt-get install -y chromium`), headless. */
export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  })
}
