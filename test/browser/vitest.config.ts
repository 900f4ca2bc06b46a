import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

/**
 * `npm run test:browser`: headless Chromium (Debian's `chromium` package, driven by playwright-core) against
 * the real app on 127.0.0.1. Not part of `npm test`, because it needs that package (DESIGN.md "Tests").
 */
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['test/browser/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
})
