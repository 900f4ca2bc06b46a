import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import * as z from 'zod'
import { createApp } from './app.ts'
import { socketAddress } from './client-address.ts'
import { systemClock } from './clock.ts'
import { ConfigError, nodeDefaultHosts, parseConfig } from './config.ts'
import { keyCache } from './crypto/key-cache.ts'
import { randomId } from './crypto/random.ts'
import { openPgliteStore, openPostgresStore, PURGE_LOCK, type NodeStore } from './db/node-store.ts'
import { ensureDemo, type DemoInfo } from './demo.ts'
import { createMetadataCache, type Deps } from './deps.ts'
import { consoleLogger, describeError } from './log.ts'
import { listen, PortInUse, stopOnSignals } from './node-server.ts'
import { runScheduled } from './oauth/logout-dispatch.ts'

const NodeEnv = z.object({
  PORT: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1).max(65535).default(9000),
  DATA_DIR: z.string().min(1).default('./.data'),
  /** A PostgreSQL that one or more instances share, instead of the PGlite in `DATA_DIR`. */
  DATABASE_URL: z.string().trim().optional().transform((v) => v || undefined)
    .pipe(z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional()),
  PURGE_INTERVAL_SECONDS: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1)
    .max(86_400).default(300),
})

/** SECRET_KEY and ADMIN_TOKEN: from the environment, else generated once and kept in the data folder. */
function localSecrets(dataDir: string): { SECRET_KEY: string; ADMIN_TOKEN: string } {
  const file = join(dataDir, 'secrets.json')
  let stored: { SECRET_KEY?: string; ADMIN_TOKEN?: string } = {}
  try {
    stored = JSON.parse(readFileSync(file, 'utf8'))
  } catch {
    // first start
  }
  const secrets = { SECRET_KEY: stored.SECRET_KEY ?? randomId(64), ADMIN_TOKEN: stored.ADMIN_TOKEN ?? randomId(48) }
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 })
  return {
    SECRET_KEY: process.env.SECRET_KEY || secrets.SECRET_KEY,
    ADMIN_TOKEN: process.env.ADMIN_TOKEN || secrets.ADMIN_TOKEN,
  }
}

async function main(): Promise<void> {
  const nodeEnv = NodeEnv.safeParse(process.env)
  if (!nodeEnv.success) {
    const i = nodeEnv.error.issues[0]
    throw new ConfigError(`invalid configuration: ${i?.path.join('.')}: ${i?.message}`)
  }
  const { PORT, DATA_DIR, DATABASE_URL, PURGE_INTERVAL_SECONDS } = nodeEnv.data
  const dataDir = resolve(DATA_DIR)
  // On a shared PostgreSQL every instance must hold the same secrets: they come from the environment only.
  if (DATABASE_URL && !process.env.SECRET_KEY) {
    throw new ConfigError('invalid configuration: SECRET_KEY: is required with DATABASE_URL (every instance shares it)')
  }
  if (!DATABASE_URL) mkdirSync(dataDir, { recursive: true })
  const config = parseConfig(DATABASE_URL ? process.env : { ...process.env, ...localSecrets(dataDir) },
    nodeDefaultHosts(PORT))

  const store: NodeStore = DATABASE_URL
    ? await openPostgresStore(DATABASE_URL, consoleLogger)
    : await openPgliteStore(join(dataDir, 'pglite'))
  const { db, database } = store
  const deps: Deps = {
    database, clock: systemClock, keys: keyCache, config, log: consoleLogger,
    fetch: (input, init) => fetch(input, init), metadata: createMetadataCache(config), clientAddress: socketAddress,
  }
  // The demo application is for trying edge-oidc out: a shared PostgreSQL is configured through the admin API.
  const demo = store.kind === 'pglite' ? await ensureDemo(db, config, dataDir, systemClock.now()) : null
  const app = createApp(deps)

  let purging: Promise<void> = Promise.resolve()
  const purge = async () => {
    try {
      // One instance at a time (PURGE_LOCK); the others skip this round. Then the back-channel logout retries.
      const ran = await store.exclusive(PURGE_LOCK, async (locked) => {
        const { purge: purged, rotation, logouts } = await runScheduled(deps, locked, systemClock.now(),
          config.publicUrl ?? `http://localhost:${PORT}`)
        deps.log.log('info', 'purged expired rows', { ...purged })
        if (rotation.generated + rotation.rotated > 0) deps.log.log('info', 'signing key rotation', { ...rotation })
        if (logouts && logouts.delivered + logouts.failed > 0) deps.log.log('info', 'back-channel logout run', { ...logouts })
      })
      if (!ran) deps.log.log('info', 'purge skipped: another instance is purging')
    } catch (err) {
      deps.log.log('error', 'purge failed', describeError(err))
    }
  }
  await purge()
  const timer = setInterval(() => { purging = purge() }, PURGE_INTERVAL_SECONDS * 1000)
  timer.unref()

  const server = await listen(app.fetch, PORT)
  stopOnSignals(server, async () => {
    clearInterval(timer)
    await purging
    await store.close()
  })
  printBanner(config.publicUrl ?? `http://localhost:${PORT}`, demo, DATABASE_URL ? 'PostgreSQL (DATABASE_URL)' : dataDir,
    demo ? config.adminToken : config.adminToken ? '(ADMIN_TOKEN)' : undefined)
}

/** What `npm start` prints once listening; the admin token only when it was generated into the data folder. */
function printBanner(base: string, demo: DemoInfo | null, data: string, adminToken: string | undefined): void {
  console.log([
    '',
    `edge-oidc is listening on ${base}`,
    '',
    ...(demo ? [
      `  discovery:      ${base}/application/o/${demo.slug}/.well-known/openid-configuration`,
      `  client_id:      ${demo.clientId}`,
      `  client_secret:  ${demo.clientSecret}`,
      `  redirect_uri:   ${demo.redirectUri}`,
      `  demo user:      ${demo.username} / ${demo.password}`,
    ] : [`  admin API:      ${base}/api/v3/`]),
    `  admin token:    ${adminToken ?? '(ADMIN_TOKEN unset: the admin API is off)'}`,
    `  data:           ${data}`,
    '',
  ].join('\n'))
}

main().catch((err) => {
  console.error(err instanceof ConfigError || err instanceof PortInUse ? err.message : err)
  process.exit(1)
})
