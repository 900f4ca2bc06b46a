import { sha256Hex } from '../crypto/hash.ts'
import { randomId, randomUUID } from '../crypto/random.ts'
import type { Speculation } from '../db/authorize-speculation.ts'
import type { AuthorizeEndpoint } from './authorize-endpoints.ts'
import { IMPLICIT_CONSENT } from './authorize-flow.ts'
import { grantOf, param, words } from './authorize-request.ts'
import { newAccessToken, type NewAccessToken } from '../tokens/issue.ts'

/** What the browser brings besides the parameters. */
export interface SpeculationSource {
  /** The SHA-256 of the session cookie (null: none, so nothing to speculate on). */
  sessionKeyHash: string | null
  clientIp: string | null
  now: Date
}

/** A speculation and the values it chose: the code and the front-channel access token it would send. */
export interface Speculated {
  speculation: Speculation
  code: string | null
  access: NewAccessToken | null
}

/**
 * What a request alone says of the authorization it would get, for the statement that also reads its client and
 * session (src/db/authorize-speculation.ts); null when it cannot be said (no session cookie, a pushed request, a
 * response type or `max_age` that is no such thing). Nothing here is trusted: the request is validated as always
 * once the client is read, and what was written undone unless the two agree.
 */
export async function speculationOf(params: URLSearchParams, endpoint: AuthorizeEndpoint,
  source: SpeculationSource): Promise<Speculated | null> {
  const clientId = param(params, 'client_id')
  const redirectUri = param(params, 'redirect_uri')
  const grant = grantOf(param(params, 'response_type'))
  const maxAge = param(params, 'max_age')
  const { sessionKeyHash } = source
  if (sessionKeyHash === null || clientId === null || redirectUri === null || grant === null
    || param(params, 'request_uri') !== null || (maxAge !== null && !/^\d+$/.test(maxAge))) return null
  const types = words(param(params, 'response_type'))
  const returns = { code: types.includes('code'), accessToken: types.includes('token') }
  const code = returns.code ? randomId(48) : null
  const access = returns.accessToken ? await newAccessToken() : null
  const challenge = param(params, 'code_challenge')
  const resources = [...new Set(params.getAll('resource').filter((r) => r !== ''))]
  const prompts = words(param(params, 'prompt'))
  return {
    code, access,
    speculation: {
      clientId, sessionKeyHash, grant, returns, scopes: words(param(params, 'scope')),
      extraScopes: endpoint.extraScopes, redirectUri, nonce: param(params, 'nonce'), codeChallenge: challenge,
      codeChallengeMethod: challenge === null ? null : param(params, 'code_challenge_method') ?? 'plain',
      maxAge: maxAge === null ? null : Number(maxAge),
      promptsPage: prompts.includes('login') || prompts.includes('consent'),
      resources: resources.length === 0 ? null : resources, codeHash: code === null ? null : await sha256Hex(code),
      access: access && { hash: access.hash }, grantId: randomUUID(), event: { clientIp: source.clientIp },
      implicitFlow: IMPLICIT_CONSENT, now: source.now,
    },
  }
}
