import { fileURLToPath } from 'node:url'
import { cloudflareTest } from '@cloudflare/vitest-pool-workers'
import { defineProject } from 'vitest/config'

// Vitest roots a project at its config file's folder (test/worker); paths outside it are made absolute.
const fromRepo = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url))

const WORKER_SECRET_KEY = 'worker-test-secret-key-0123456789abcdefghijklmnop'
const WORKER_ADMIN_TOKEN = 'worker-test-admin-token-0123456789'

/**
 * The Worker (wrangler.toml's `main`) in workerd, against the PostgreSQL that `global-setup.ts` starts: its
 * connection string and bridge address reach the bindings through `provide`/`inject`.
 */
export default defineProject({
  plugins: [
    cloudflareTest(({ inject }) => ({
      main: fromRepo('src/worker.ts'),
      wrangler: { configPath: fromRepo('wrangler.toml') },
      miniflare: {
        bindings: {
          DATABASE_URL: inject('databaseUrl'),
          NEON_WS_PROXY: inject('neonWsProxy'),
          NEON_HTTP_ENDPOINT: inject('neonHttpEndpoint'),
          FAULTY_NEON_HTTP_ENDPOINT: inject('faultyNeonHttpEndpoint'),
          SECRET_KEY: WORKER_SECRET_KEY,
          ADMIN_TOKEN: WORKER_ADMIN_TOKEN,
          PASSWORD_ITERATIONS: '10000',
          // The scheduled handler builds issuers from it (back-channel logout retries); the tests' origin.
          PUBLIC_URL: 'https://idp.test',
          LOGOUT_RECEIVER: inject('logoutReceiver'),
        },
      },
    })),
  ],
  test: {
    name: 'worker',
    include: ['**/*.test.ts'],
    globalSetup: ['./global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
})
