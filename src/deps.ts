import type { Context } from 'hono'
import type { JWK } from 'jose'
import { TtlCache } from './cache.ts'
import type { ClientAddress } from './client-address.ts'
import type { Clock } from './clock.ts'
import type { Config } from './config.ts'
import type { KeyCache } from './crypto/key-cache.ts'
import type { Database, Db } from './db/client.ts'
import type { ProviderBundle } from './db/providers.ts'
import type { ActiveSession } from './db/sessions.ts'
import type { Logger } from './log.ts'
import type { ServedEndpoints } from './oauth/discovery.ts'

/** Per-isolate caches of what discovery and JWKS serve, so warm requests run no statement. */
export interface MetadataCache {
  providers: TtlCache<string, ProviderBundle | null>
  jwks: TtlCache<string, Record<string, unknown>>
  /** The keys of JWKS URLs (OAuth sources trusted for client assertions), by URL. */
  remoteJwks: TtlCache<string, JWK[]>
}

/** How long a fetched JWKS URL's keys are trusted before they are fetched again. */
export const REMOTE_JWKS_TTL_MS = 5 * 60_000

/** Everything the app touches from outside, built by `worker.ts` or `node.ts`. */
export interface Deps {
  database: Database
  clock: Clock
  keys: KeyCache
  config: Config
  log: Logger
  /** Outbound HTTP (back-channel logout, remote JWKS). */
  fetch: typeof fetch
  metadata: MetadataCache
  /** The client's address as the runtime's network edge vouches for it (rate limits, events). */
  clientAddress: ClientAddress
}

export type AppEnv = {
  Variables: {
    deps: Deps
    db: Db
    requestId: string
    /** The endpoints the app serves, for discovery (see the route table in app.ts). */
    served: ServedEndpoints
    /** The browser session, once `currentSession` has read it (null: none). */
    session: ActiveSession | null | undefined
  }
}

export type AppContext = Context<AppEnv>

export function createMetadataCache(config: Config): MetadataCache {
  const ttl = config.metadataCacheSeconds * 1000
  return { providers: new TtlCache(1000, ttl), jwks: new TtlCache(1000, ttl),
    remoteJwks: new TtlCache(100, REMOTE_JWKS_TTL_MS) }
}

/** The origin absolute URLs are built from: `PUBLIC_URL` when set, else the request's. */
export function origin(c: AppContext): string {
  return c.var.deps.config.publicUrl ?? new URL(c.req.url).origin
}
