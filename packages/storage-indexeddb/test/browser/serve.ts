import { build } from 'esbuild'

// The page server and Chromium launcher of @stepping/react's browser test serve here too: one page on
// 127.0.0.1 (one origin, so pages share IndexedDB), Debian's headless Chromium.
export { launch, serve } from '../../../react/test/browser/serve'

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
