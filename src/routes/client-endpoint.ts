import type { Handler } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { dpopNonces } from '../crypto/dpop-nonce.ts'
import { deriveSecrets } from '../crypto/secret-box.ts'
import type { RedirectURI } from '../db/schema.ts'
import { origin, type AppContext, type AppEnv } from '../deps.ts'
import { clientCredentials, type ClientCredentials } from '../oauth/client-auth.ts'
import { CheckFailed, TooManyFailures, type ClientContext } from '../oauth/client-request.ts'
import { OAuthError } from '../oauth/errors.ts'
import { clientIp } from './client-ip.ts'
import { corsHeaders, corsPreflight } from './cors.ts'
import { requestProof } from './dpop-proof.ts'
import { readForm, UnreadableRequest } from './form.ts'

/** RFC 6749 §5.1: these answers are never cached. `Vary`: the CORS headers depend on the Origin. */
export const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache', Vary: 'Origin' }

/** A client-authenticated request as an endpoint's handler receives it. */
export interface ClientEndpointRequest {
  /** The form parameters, each at most once; one sent without a value counts as omitted. */
  form: ReadonlyMap<string, string>
  /** Every value of the parameters that may repeat (`REPEATABLE`), in order; not in `form`. */
  repeated: ReadonlyMap<string, readonly string[]>
  client: ClientCredentials
  ctx: ClientContext
}

export interface ClientEndpointSpec {
  /** The endpoint's name in the logs. */
  name: string
  /**
   * `invalid_client` always answers 401 with a challenge (RFC 7009 §2.2.1, RFC 7662 §2.3); otherwise only when the
   * client tried Basic authentication (RFC 6749 §5.2), else 400.
   */
  invalidClientIs401?: boolean
  /** The success status: 200 unless given (RFC 9126 §2.2 answers 201). */
  status?: 200 | 201
  /**
   * RFC 9449: the endpoint takes a `DPoP` proof (verified before anything is read; the grant binds to it) and,
   * for a provider with `dpop_require_nonce`, every answer carries a fresh `DPoP-Nonce` (§8).
   */
  dpop?: boolean
  /** The body of the success answer. */
  handle(request: ClientEndpointRequest): Promise<Record<string, unknown>>
}

/** RFC 8707 §2: `resource` may be sent several times; RFC 6749 §3.2 allows every other parameter once. */
const REPEATABLE: ReadonlySet<string> = new Set(['resource'])

/**
 * RFC 6749 §3.2: form parameters, each at most once (but `REPEATABLE` ones); one sent without a value counts as
 * omitted.
 */
async function readParams(c: AppContext): Promise<{ form: Map<string, string>; repeated: Map<string, string[]> }> {
  let body: Record<string, unknown>
  try {
    body = await readForm(c)
  } catch (err) {
    if (!(err instanceof UnreadableRequest)) throw err
    throw new OAuthError('invalid_request', undefined, 400, err.message)
  }
  const params = new Map<string, string>()
  const repeated = new Map<string, string[]>()
  for (const [name, value] of Object.entries(body)) {
    if (REPEATABLE.has(name)) {
      const values = [value].flat().filter((v): v is string => typeof v === 'string' && v !== '')
      if (values.length > 0) repeated.set(name, values)
      continue
    }
    if (typeof value !== 'string') throw new OAuthError('invalid_request', `${name} must be sent once, as text`)
    if (value !== '') params.set(name, value)
  }
  return { form: params, repeated }
}

/**
 * The one renderer of these endpoints' errors (authentik §1): `{error, error_description, request_id}`, never
 * cached; a client that failed authentication is challenged (RFC 6749 §5.2); a limited request is told when to
 * retry (RFC 9110 §10.2.3).
 */
function errorResponse(c: AppContext, spec: ClientEndpointSpec, err: OAuthError, extra: Record<string, string>): Response {
  c.var.deps.log.log('info', `${spec.name} request refused`, {
    request_id: c.var.requestId, error: err.code, ...(err.cause_ && { reason: err.cause_ }),
  })
  const status = err.code === 'invalid_client' && spec.invalidClientIs401 ? 401 : err.status
  const headers: Record<string, string> = { ...extra, ...NO_STORE }
  if (status === 401) headers['WWW-Authenticate'] = 'Basic realm="edge-oidc"'
  if (err instanceof TooManyFailures) headers['Retry-After'] = String(err.retryAfter)
  const body = { error: err.code, error_description: err.description, request_id: c.var.requestId }
  return c.json(body, status as ContentfulStatusCode, headers)
}

/**
 * The kit of every client-authenticated POST endpoint (token, introspection, revocation, device authorization,
 * pushed authorization): the CORS preflight, the form read once, the client's credentials (Basic or the form),
 * the DPoP proof, CORS by the client's redirect URIs, `no-store`, and one error renderer. Each endpoint's one
 * statement authenticates the client and counts its failures (src/oauth/client-request.ts).
 */
export function clientEndpoint(spec: ClientEndpointSpec): Handler<AppEnv> {
  return async (c) => {
    if (c.req.method === 'OPTIONS') return corsPreflight(c, 'POST, OPTIONS')
    const { deps, db } = c.var
    let redirectUris: readonly RedirectURI[] = []
    let nonceRequired = false
    const now = deps.clock.now()
    const secrets = await deriveSecrets(deps.config.secretKey)
    const nonces = spec.dpop ? dpopNonces(secrets) : undefined
    const headers = async (): Promise<Record<string, string>> => ({
      ...corsHeaders(c, redirectUris, spec.dpop ? 'DPoP-Nonce' : undefined),
      ...(nonces && nonceRequired && { 'DPoP-Nonce': await nonces.issue(now) }),
    })
    try {
      const { form, repeated } = await readParams(c)
      const client = clientCredentials(c.req.header('Authorization'), form)
      const dpop = spec.dpop ? await requestProof(c, now) : null
      const ctx: ClientContext = {
        db, now, origin: origin(c), keys: deps.keys,
        secrets, clientIp: clientIp(c),
        fetch: deps.fetch, remoteJwks: deps.metadata.remoteJwks,
        onProvider: (bundle) => {
          redirectUris = bundle.provider.redirectUris
          nonceRequired = bundle.provider.dpopRequireNonce
        },
        dpop, ...(nonces && { dpopNonces: nonces }),
      }
      const body = await spec.handle({ form, repeated, client, ctx })
      return c.json(body, spec.status ?? 200, { ...(await headers()), ...NO_STORE })
    } catch (err) {
      // A failed check of the endpoint's statement (src/oauth/client-request.ts) answers its error.
      const refusal = err instanceof CheckFailed ? err.error : err
      if (refusal instanceof OAuthError) return errorResponse(c, spec, refusal, await headers())
      throw err
    }
  }
}
