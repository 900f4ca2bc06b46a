import * as z from 'zod'

const optionalString = z.string().trim().optional().transform((v) => (v === '' ? undefined : v))

/** The environment edge-oidc reads. Parsed once at start-up; unknown variables are ignored. */
const ConfigSchema = z.object({
  SECRET_KEY: z.string({ error: 'is required' }).min(32, 'must be at least 32 characters'),
  ADMIN_TOKEN: optionalString.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
  PUBLIC_URL: optionalString.pipe(
    z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional()
      .transform((v) => v?.replace(/\/+$/, '')),
  ),
  DEFAULT_APPLICATION: optionalString,
  PASSWORD_ITERATIONS: z.coerce.number({ error: 'must be a number' }).int('must be a whole number')
    .min(10_000, 'must be at least 10000').max(10_000_000, 'must be at most 10000000').default(600_000),
  ALLOWED_HOSTS: optionalString,
  METADATA_CACHE_SECONDS: z.coerce.number({ error: 'must be a number' }).int('must be a whole number')
    .min(0, 'must not be negative').max(3600, 'must be at most 3600').default(60),
})

export type Config = {
  secretKey: string
  adminToken: string | undefined
  publicUrl: string | undefined
  defaultApplication: string | undefined
  passwordIterations: number
  metadataCacheSeconds: number
  /** Host names requests may name (`ALLOWED_HOSTS`, see `isAllowedHost`); null: any host. */
  allowedHosts: string[] | null
}

/** `npm start`'s hosts when `ALLOWED_HOSTS` is unset: this machine, and the `PUBLIC_URL` host. */
export const NODE_DEFAULT_HOSTS = ['localhost', '127.0.0.1', '[::1]']

/**
 * `ALLOWED_HOSTS` as Django reads it: comma-separated host names (no port), `.example.com` for the domain and
 * its subdomains, `*` for any host; the `PUBLIC_URL` host is always added. Unset: `defaults` without `PUBLIC_URL`
 * (the request's host becomes the issuer), any host with it.
 */
function allowedHosts(value: string | undefined, publicUrl: string | undefined, defaults: string[] | null): string[] | null {
  // A pinned PUBLIC_URL is the issuer whatever the Host says: unless ALLOWED_HOSTS is set, any host is served.
  if (value === undefined && publicUrl) return null
  const list = value === undefined ? defaults : value.split(',').map((h) => h.trim().toLowerCase()).filter(Boolean)
  if (list === null || list.includes('*')) return null
  return [...new Set([...list, ...(publicUrl ? [new URL(publicUrl).hostname] : [])])]
}

/** Whether a request for `host` (a URL's `hostname`) may be served under `allowed`. */
export function isAllowedHost(allowed: string[] | null, host: string): boolean {
  if (allowed === null) return true
  const name = host.toLowerCase().replace(/\.$/, '')
  return allowed.some((entry) => entry.startsWith('.') ? name === entry.slice(1) || name.endsWith(entry) : name === entry)
}

export class ConfigError extends Error {
  override name = 'ConfigError'
}

/** Parse the environment; a bad value throws a `ConfigError` naming the variable. */
export function parseConfig(env: Record<string, unknown>, defaultHosts: string[] | null = NODE_DEFAULT_HOSTS): Config {
  const result = ConfigSchema.safeParse(env)
  if (!result.success) {
    const lines = result.error.issues.map((i) => `${i.path.join('.') || 'environment'}: ${i.message}`)
    throw new ConfigError(`invalid configuration: ${lines.join('; ')}`)
  }
  const e = result.data
  return {
    secretKey: e.SECRET_KEY,
    adminToken: e.ADMIN_TOKEN,
    publicUrl: e.PUBLIC_URL,
    defaultApplication: e.DEFAULT_APPLICATION,
    passwordIterations: e.PASSWORD_ITERATIONS,
    metadataCacheSeconds: e.METADATA_CACHE_SECONDS,
    allowedHosts: allowedHosts(e.ALLOWED_HOSTS, e.PUBLIC_URL, defaultHosts),
  }
}

/**
 * Cloudflare's WebCrypto refuses PBKDF2 above 100000 iterations (local workerd does not enforce it, see
 * test/worker/pbkdf2.test.ts), so on Workers that is the default and the ceiling; `npm start` keeps 600000.
 */
export const WORKERS_PBKDF2_LIMIT = 100_000

/**
 * `parseConfig` with the Workers runtime's limits. `ALLOWED_HOSTS` defaults to any host there: Cloudflare routes
 * to a Worker only the hostnames its operator bound to it (workers.dev, routes, custom domains).
 */
export function parseWorkerConfig(env: Record<string, unknown>): Config {
  const config = parseConfig({ PASSWORD_ITERATIONS: String(WORKERS_PBKDF2_LIMIT), ...env }, null)
  if (config.passwordIterations > WORKERS_PBKDF2_LIMIT) {
    throw new ConfigError(`invalid configuration: PASSWORD_ITERATIONS: must be at most ${WORKERS_PBKDF2_LIMIT} on Workers`)
  }
  return config
}
