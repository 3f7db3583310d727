import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'

/** A fresh temporary directory, and a function that removes it. */
export function tempDir(prefix = 'stepping-sqlite-'): { dir: string; file(name: string): string; remove(): void } {
  const dir = mkdtempSync(join(os.tmpdir(), prefix))
  return { dir, file: (name) => join(dir, name), remove: () => rmSync(dir, { recursive: true, force: true }) }
}
