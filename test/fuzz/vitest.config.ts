import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

/**
 * `npm run test:fuzz`: generated requests (fast-check) against the real app on PGlite, one context per file.
 * One seed serves every file: `FUZZ_SEED=<n>` reproduces a run, `FUZZ_RUNS=<n>` scales it (runs per property).
 * The files end in `.fuzz.ts`, so the node project of `npm test` does not pick them up.
 */
const seed = process.env.FUZZ_SEED ?? String(Math.floor(Math.random() * 2 ** 31))
console.log(`fuzz seed ${seed} (reproduce with FUZZ_SEED=${seed} npm run test:fuzz)`)

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['test/fuzz/**/*.fuzz.ts'],
    environment: 'node',
    env: { FUZZ_SEED: seed },
    testTimeout: 240_000,
    hookTimeout: 60_000,
  },
})
