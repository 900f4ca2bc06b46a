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

/** The hosts of this machine (an IPv6 address in brackets, as in a URL). */
export const NODE_DEFAULT_HOSTS = ['localhost', '127.0.0.1', '[::1]']

/** `npm start`'s hosts when `ALLOWED_HOSTS` is unset: this machine, on the port it listens on (or the default one). */
export function nodeDefaultHosts(port: number): string[] {
  return NODE_DEFAULT_HOSTS.flatMap((name) => [name, `${name}:${port}`])
}

/**
 * `ALLOWED_HOSTS`, Django's setting, stricter: comma-separated `host` or `host:port` entries (`.example.com` for
 * the domain and its subdomains, `*` for any host); the `PUBLIC_URL` host (with its port) is always added. Unset:
 * `defaults` without `PUBLIC_URL` (the request's host becomes the issuer), any host with it.
 */
function allowedHosts(value: string | undefined, publicUrl: string | undefined, defaults: string[] | null): string[] | null {
  // A pinned PUBLIC_URL is the issuer whatever the Host says: unless ALLOWED_HOSTS is set, any host is served.
  if (value === undefined && publicUrl) return null
  const list = value === undefined ? defaults : value.split(',').map((h) => h.trim().toLowerCase()).filter(Boolean)
  if (list === null || list.includes('*')) return null
  return [...new Set([...list, ...(publicUrl ? [new URL(publicUrl).host] : [])])]
}

/** `name[:port]` apart (an IPv6 address in brackets keeps its colons); port '' when none is given. */
function splitHost(value: string): { name: string; port: string } {
  const end = value.startsWith('[') ? value.indexOf(']') + 1 : 0
  const colon = value.indexOf(':', end)
  return colon < 0 ? { name: value, port: '' } : { name: value.slice(0, colon), port: value.slice(colon + 1) }
}

/**
 * Whether a request for `host` (a URL's `host`: the lower-case name, and the port unless it is the scheme's
 * default) may be served under `allowed`. Safer than Django, which ignores the port and a trailing dot: the issuer
 * is built from the host, so it must be exactly one that an entry names. An entry without a port allows the
 * scheme's default port only; `localhost.` is another name than `localhost`.
 */
export function isAllowedHost(allowed: string[] | null, host: string): boolean {
  if (allowed === null) return true
  const asked = splitHost(host.toLowerCase())
  return allowed.some((entry) => {
    const { name, port } = splitHost(entry)
    if (port !== asked.port) return false
    return name.startsWith('.') ? asked.name === name.slice(1) || asked.name.endsWith(name) : asked.name === name
  })
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
