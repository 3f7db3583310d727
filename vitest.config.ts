import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    // React tests pick jsdom with a `@vitest-environment jsdom` docblock; everything else runs in node.
    include: ['packages/*/test/**/*.test.{ts,tsx}'],
    typecheck: { enabled: false },
  },
})
