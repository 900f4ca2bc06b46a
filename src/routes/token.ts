import type { Handler } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { deriveSecrets } from '../crypto/secret-box.ts'
import type { RedirectURI } from '../db/schema.ts'
import { origin, type AppContext, type AppEnv } from '../deps.ts'
import { grantHandler, type GrantResult } from '../grants/index.ts'
import { TooManyFailures } from '../grants/rate-limit.ts'
import { clientCredentials } from '../oauth/client-auth.ts'
import { OAuthError } from '../oauth/errors.ts'
import { corsHeaders, corsPreflight } from './cors.ts'
import { readForm, UnreadableRequest } from './form.ts'
import { clientIp } from './client-ip.ts'

/** RFC 6749 §5.1: token answers are never cached. `Vary`: the CORS headers depend on the Origin. */
const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache', Vary: 'Origin' }



/** RFC 6749 §3.2: form parameters, each at most once; one sent without a value counts as omitted. */
async function readParams(c: AppContext): Promise<Map<string, string>> {
  let body: Record<string, unknown>
  try {
    body = await readForm(c)
  } catch (err) {
    if (!(err instanceof UnreadableRequest)) throw err
    throw new OAuthError('invalid_request', undefined, 400, err.message)
  }
  const params = new Map<string, string>()
  for (const [name, value] of Object.entries(body)) {
    if (typeof value !== 'string') throw new OAuthError('invalid_request', `${name} must be sent once, as text`)
    if (value !== '') params.set(name, value)
  }
  return params
}

/** authentik §4.2 step 5: the answer's members, in authentik's order. */
function tokenBody({ tokens, scope }: GrantResult): Record<string, unknown> {
  return {
    access_token: tokens.access.jwt,
    token_type: 'Bearer',
    scope,
    expires_in: tokens.expiresIn,
    id_token: tokens.idToken,
    ...(tokens.refresh && { refresh_token: tokens.refresh.value }),
  }
}

/**
 * The one renderer of token-endpoint errors (authentik §1): `{error, error_description, request_id}`, never
 * cached; a client that failed Basic authentication is challenged (RFC 6749 §5.2); a rate-limited request is told
 * when to retry.
 */
function tokenError(c: AppContext, err: OAuthError, cors: Record<string, string>): Response {
  c.var.deps.log.log('info', 'token request refused', {
    request_id: c.var.requestId, error: err.code, ...(err.cause_ && { reason: err.cause_ }),
  })
  const headers: Record<string, string> = { ...cors, ...NO_STORE }
  if (err.status === 401) headers['WWW-Authenticate'] = 'Basic realm="edge-oidc"'
  if (err instanceof TooManyFailures) headers['Retry-After'] = String(err.retryAfter)
  const body = { error: err.code, error_description: err.description, request_id: c.var.requestId }
  return c.json(body, err.status as ContentfulStatusCode, headers)
}

/** RFC 6749 §3.2 token endpoint: POST (grants by `grant_type`, see `grantHandlers`) and the CORS preflight. */
export const token: Handler<AppEnv> = async (c) => {
  if (c.req.method === 'OPTIONS') return corsPreflight(c, 'POST, OPTIONS')
  const { deps, db } = c.var
  let redirectUris: readonly RedirectURI[] = []
  try {
    const params = await readParams(c)
    const grantType = params.get('grant_type')
    if (grantType === undefined) throw new OAuthError('invalid_request', 'grant_type is required')
    const handler = grantHandler(grantType)
    if (!handler) throw new OAuthError('unsupported_grant_type')
    const client = clientCredentials(c.req.header('Authorization'), params)
    const result = await handler({
      db, now: deps.clock.now(), origin: origin(c), keys: deps.keys,
      secrets: await deriveSecrets(deps.config.secretKey), clientIp: clientIp(c),
      onProvider: (bundle) => { redirectUris = bundle.provider.redirectUris },
    }, { params, client })
    return c.json(tokenBody(result), 200, { ...corsHeaders(c, redirectUris), ...NO_STORE })
  } catch (err) {
    if (err instanceof OAuthError) return tokenError(c, err, corsHeaders(c, redirectUris))
    throw err
  }
}
