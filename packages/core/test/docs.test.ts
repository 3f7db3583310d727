import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, test } from 'vitest'

// Every ```ts block in docs/*.md is a complete program: it is run with tsx, and when a ```text block
// follows it, that block is what the program must print. So the documentation cannot drift from the code.
const root = resolve(import.meta.dirname, '../../..')
const docs = join(root, 'docs')
const scratch = join(docs, '.run')

interface Example {
  readonly file: string
  readonly line: number
  readonly code: string
  readonly output: string | undefined
}

function examples(file: string): Example[] {
  const text = readFileSync(join(docs, file), 'utf8')
  const found: Example[] = []
  const block = /```(ts|text)\n([\s\S]*?)```/g
  let last: { code: string; line: number } | undefined
  for (let m = block.exec(text); m; m = block.exec(text)) {
    const line = text.slice(0, m.index).split('\n').length
    if (m[1] === 'ts') {
      if (last) found.push({ file, ...last, output: undefined })
      last = { code: m[2]!, line }
    } else if (last) {
      found.push({ file, ...last, output: m[2]! })
      last = undefined
    }
  }
  if (last) found.push({ file, ...last, output: undefined })
  return found
}

const all = readdirSync(docs)
  .filter((f) => f.endsWith('.md'))
  .flatMap(examples)

describe('docs', () => {
  test('every documentation page has a runnable example', () => {
    for (const page of ['concepts.md', 'operators.md', 'store.md', 'recursion.md', 'storage.md'])
      expect(all.filter((e) => e.file === page).length, page).toBeGreaterThan(0)
  })

  test.each(all.map((e) => [`${e.file}:${e.line}`, e] as const))('%s runs and prints what the page shows', (_name, example) => {
    mkdirSync(scratch, { recursive: true })
    const path = join(scratch, `${example.file.replace('.md', '')}-${example.line}.ts`)
    writeFileSync(path, example.code)
    try {
      const stdout = execFileSync(join(root, 'node_modules/.bin/tsx'), [path], { cwd: root, encoding: 'utf8' })
      if (example.output !== undefined) expect(stdout.trimEnd()).toBe(example.output.trimEnd())
    } finally {
      rmSync(path)
    }
  })
})
