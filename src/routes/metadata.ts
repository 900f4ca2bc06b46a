import type { Handler } from 'hono'
import type { AppEnv, AppContext } from '../deps.ts'
import { origin } from '../deps.ts'
import { discoveryDocument } from '../oauth/discovery.ts'
import { providerJwks } from '../oauth/jwks.ts'
import { cachedProviderBySlug } from '../oauth/provider-cache.ts'

/** Public, cacheable metadata: any origin may read it, and caches may keep it briefly, per host (URLs name it). */
function publicJson(c: AppContext, body: unknown, status: 200 | 404 = 200): Response {
  c.header('Access-Control-Allow-Origin', '*')
  c.header('Vary', 'Host')
  c.header('Cache-Control', status === 200 ? `public, max-age=${c.var.deps.config.metadataCacheSeconds}` : 'no-store')
  return c.body(JSON.stringify(body, null, 2), status, { 'Content-Type': 'application/json' })
}

function notFound(c: AppContext): Response {
  return publicJson(c, { detail: 'Not found.' }, 404)
}

/** OIDC Discovery 1.0 §4 and its RFC 8414 §3 alias. */
export const discovery: Handler<AppEnv> = async (c) => {
  const bundle = await cachedProviderBySlug(c.var.deps, c.var.db, c.req.param('slug') ?? '')
  if (!bundle) return notFound(c)
  return publicJson(c, discoveryDocument(bundle, origin(c), c.var.served))
}

/** The provider's JWKS (RFC 7517), cached per isolate with the provider. */
export const jwks: Handler<AppEnv> = async (c) => {
  const { deps, db } = c.var
  const slug = c.req.param('slug') ?? ''
  const now = deps.clock.now()
  const cached = deps.metadata.jwks.get(slug, now)
  if (cached) return publicJson(c, cached)
  const bundle = await cachedProviderBySlug(deps, db, slug)
  if (!bundle) return notFound(c)
  const set = await providerJwks(bundle, now)
  deps.metadata.jwks.set(slug, set, now)
  return publicJson(c, set)
}

/** `/application/o/<slug>/` is the per-provider issuer; browsing to it leads to the discovery document. */
export const providerRoot: Handler<AppEnv> = async (c) => {
  const slug = c.req.param('slug') ?? ''
  const bundle = await cachedProviderBySlug(c.var.deps, c.var.db, slug)
  if (!bundle) return notFound(c)
  c.header('Vary', 'Host')
  return c.redirect(`${origin(c)}/application/o/${encodeURIComponent(slug)}/.well-known/openid-configuration`, 302)
}

/** RFC 7033 WebFinger for the default application (authentik §2.3): `{}` when there is none. */
export const webfinger: Handler<AppEnv> = async (c) => {
  const { deps, db } = c.var
  const slug = deps.config.defaultApplication
  const bundle = slug ? await cachedProviderBySlug(deps, db, slug) : null
  c.header('Access-Control-Allow-Origin', '*')
  c.header('Content-Type', 'application/jrd+json')
  c.header('Vary', 'Host')
  if (!bundle) return c.body('{}')
  const body = {
    subject: c.req.query('resource') ?? null,
    links: [{
      rel: 'http://openid.net/specs/connect/1.0/issuer',
      href: `${origin(c)}/application/o/${slug}/`,
    }],
  }
  return c.body(JSON.stringify(body))
}
