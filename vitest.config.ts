import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          include: ['test/**/*.test.ts'],
          exclude: ['test/worker/**', 'test/browser/**', 'test/interop/**', 'node_modules/**'],
          environment: 'node',
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      // The Worker in workerd against a real PostgreSQL: its own config, because the pool is a Vite plugin.
      'test/worker/vitest.config.ts',
    ],
  },
})
