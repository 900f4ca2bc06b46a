/**
 * `npm run test:interop`: Debian's python3-jwcrypto and python3-authlib check the JWS and JWE that the
 * app's providers issue (DESIGN.md "Tests"). Node builds the tokens and JWKS through the real app and
 * writes them to a temporary fixture; test/interop/verify.py checks them and decides the exit code.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createTestContext } from '../support/app.ts'
import { buildCases } from './fixtures.ts'

// Debian's interpreter: the packages live in its dist-packages, not in a pyenv or venv python3 on PATH.
const PYTHON = '/usr/bin/python3'
const INSTALL = 'apt-get install python3-jwcrypto python3-authlib'
const here = dirname(fileURLToPath(import.meta.url))

function fail(message: string): never {
  console.error(`test:interop: ${message}`)
  process.exit(1)
}

/** Fails at once (before building anything) when the Debian packages are missing: never pass silently. */
function checkPrerequisites(): void {
  const probe = spawnSync(PYTHON, ['-c', 'import jwcrypto, authlib'], { encoding: 'utf8' })
  if (probe.error) fail(`${PYTHON} not found (${probe.error.message}); install it with: ${INSTALL}`)
  if (probe.status !== 0) {
    fail(`${PYTHON} cannot import jwcrypto and authlib; install them with: ${INSTALL}\n${probe.stderr.trim()}`)
  }
}

async function main(): Promise<number> {
  checkPrerequisites()
  const started = Date.now()
  const t = await createTestContext()
  const dir = mkdtempSync(join(tmpdir(), 'edge-oidc-interop-'))
  try {
    const cases = await buildCases(t)
    const fixture = join(dir, 'fixture.json')
    // The fixture holds test-only private keys; the directory is removed below.
    writeFileSync(fixture, JSON.stringify({ cases }, null, 2), { mode: 0o600 })
    console.log(`test:interop: ${cases.length} tokens built in ${Date.now() - started} ms; verifying with ${PYTHON}`)
    const run = spawnSync(PYTHON, [join(here, 'verify.py'), fixture], { stdio: 'inherit', timeout: 60_000 })
    if (run.error) fail(`running verify.py failed: ${run.error.message}`)
    if (run.status === null) fail(`verify.py was killed (${run.signal ?? 'unknown signal'})`)
    return run.status
  } finally {
    rmSync(dir, { recursive: true, force: true })
    await t.close()
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => fail(err instanceof Error ? err.stack ?? err.message : String(err)),
)
