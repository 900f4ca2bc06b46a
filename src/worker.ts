import type { ExecutionContext, ExportedHandler, ScheduledController } from '@cloudflare/workers-types'
import type { Hono } from 'hono'
import { createApp } from './app.ts'
import { cloudflareAddress } from './client-address.ts'
import { systemClock } from './clock.ts'
import { parseWorkerConfig } from './config.ts'
import { keyCache } from './crypto/key-cache.ts'
import { neonHttpDatabase } from './db/neon-http.ts'
import { createMetadataCache, type AppEnv, type Deps } from './deps.ts'
import { consoleLogger } from './log.ts'
import { runScheduled } from './oauth/logout-dispatch.ts'

interface Env {
  DATABASE_URL: string
  SECRET_KEY: string
  ADMIN_TOKEN?: string
  PUBLIC_URL?: string
  /** Any host unless set: Cloudflare routes to the Worker only the hostnames bound to it (`parseWorkerConfig`). */
  ALLOWED_HOSTS?: string
  DEFAULT_APPLICATION?: string
  PASSWORD_ITERATIONS?: string
  METADATA_CACHE_SECONDS?: string
  /** Local development and tests only: see `NeonHttpOptions.fetchEndpoint`. */
  NEON_HTTP_ENDPOINT?: string
}

// Per isolate: the parsed configuration, the app and its caches live as long as the isolate does.
let isolate: { deps: Deps; app: Hono<AppEnv> } | undefined

function setUp(env: Env): { deps: Deps; app: Hono<AppEnv> } {
  if (isolate) return isolate
  if (!env.DATABASE_URL) throw new Error('invalid configuration: DATABASE_URL: is required')
  const config = parseWorkerConfig({ ...env })
  const deps: Deps = {
    database: neonHttpDatabase(env.DATABASE_URL, { fetchEndpoint: env.NEON_HTTP_ENDPOINT }),
    clock: systemClock,
    keys: keyCache,
    config,
    log: consoleLogger,
    fetch: (input, init) => fetch(input, init),
    metadata: createMetadataCache(config),
    clientAddress: cloudflareAddress,
  }
  isolate = { deps, app: createApp(deps) }
  return isolate
}

export default {
  async fetch(request, env, ctx) {
    const { app } = setUp(env)
    return app.fetch(request as unknown as Request, env, ctx) as unknown as ReturnType<
      NonNullable<ExportedHandler<Env>['fetch']>
    >
  },

  /** Cron Trigger `2-59/5 * * * *`: authentik's `clean_expired_models`, key rotation, then the logout retries. */
  async scheduled(controller: ScheduledController, env: Env, ctx: ExecutionContext) {
    const { deps } = setUp(env)
    const handle = deps.database.open()
    try {
      const { purge, rotation, logouts } = await runScheduled(deps, handle.db, new Date(controller.scheduledTime),
        deps.config.publicUrl, { budgetMs: 20_000 })
      deps.log.log('info', 'purged expired rows', { cron: controller.cron, ...purge })
      if (rotation.generated + rotation.rotated > 0) deps.log.log('info', 'signing key rotation', { ...rotation })
      if (logouts) deps.log.log('info', 'back-channel logout run', { cron: controller.cron, ...logouts })
    } finally {
      ctx.waitUntil(handle.close())
    }
  },
} satisfies ExportedHandler<Env>
