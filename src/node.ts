import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { serve } from '@hono/node-server'
import * as z from 'zod'
import { createApp } from './app.ts'
import { socketAddress } from './client-address.ts'
import { systemClock } from './clock.ts'
import { ConfigError, parseConfig } from './config.ts'
import { keyCache } from './crypto/key-cache.ts'
import { randomId } from './crypto/random.ts'
import { openPglite } from './db/pglite.ts'
import { ensureDemo } from './demo.ts'
import { createMetadataCache, type Deps } from './deps.ts'
import { consoleLogger, describeError } from './log.ts'
import { runScheduled } from './oauth/logout-dispatch.ts'

const NodeEnv = z.object({
  PORT: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1).max(65535).default(9000),
  DATA_DIR: z.string().min(1).default('./.data'),
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
  const { PORT, DATA_DIR } = nodeEnv.data
  const dataDir = resolve(DATA_DIR)
  mkdirSync(dataDir, { recursive: true })
  const config = parseConfig({ ...process.env, ...localSecrets(dataDir) })

  const { db, database } = await openPglite(join(dataDir, 'pglite'))
  const deps: Deps = {
    database, clock: systemClock, keys: keyCache, config, log: consoleLogger,
    fetch: (input, init) => fetch(input, init), metadata: createMetadataCache(config), clientAddress: socketAddress,
  }
  const demo = await ensureDemo(db, config, dataDir, systemClock.now())
  const app = createApp(deps)

  const purge = async () => {
    try {
      const { purge: purged, logouts } = await runScheduled(deps, db, systemClock.now(),
        config.publicUrl ?? `http://localhost:${PORT}`)
      deps.log.log('info', 'purged expired rows', { ...purged })
      if (logouts && logouts.delivered + logouts.failed > 0) deps.log.log('info', 'back-channel logout run', { ...logouts })
    } catch (err) {
      deps.log.log('error', 'purge failed', describeError(err))
    }
  }
  await purge()
  setInterval(purge, 5 * 60_000).unref()

  serve({ fetch: app.fetch, port: PORT, hostname: '0.0.0.0' }, () => {
    const base = config.publicUrl ?? `http://localhost:${PORT}`
    console.log([
      '',
      `edge-oidc is listening on ${base}`,
      '',
      `  discovery:      ${base}/application/o/${demo.slug}/.well-known/openid-configuration`,
      `  client_id:      ${demo.clientId}`,
      `  client_secret:  ${demo.clientSecret}`,
      `  redirect_uri:   ${demo.redirectUri}`,
      `  demo user:      ${demo.username} / ${demo.password}`,
      `  admin token:    ${config.adminToken}`,
      `  data folder:    ${dataDir}`,
      '',
    ].join('\n'))
  })
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : err)
  process.exit(1)
})
