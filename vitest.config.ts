import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    // React tests pick jsdom with a `@vitest-environment jsdom` docblock; everything else runs in node.
    include: ['packages/*/test/**/*.test.{ts,tsx}', 'examples/*/test/**/*.test.{ts,tsx}', 'bench/test/**/*.test.ts'],
    typecheck: { enabled: false },
    // CI machines are shared: a property test that takes 2 s alone may take 10 s next to other jobs.
    testTimeout: 30_000,
  },
})
