import type { ApplicationRow, ProviderBundle } from '../db/providers.ts'
import type { GrantType } from '../db/schema.ts'
import { authorizeError, type AuthorizeTarget, type ResponseMode } from './authorize-response.ts'
import { AUTHORIZE_ENDPOINTS, type AuthorizeEndpoint } from './authorize-endpoints.ts'
import { issuerOf } from './issuer.ts'
import { isPkceValue } from './pkce.ts'
import { hasControlCharacter, isForbiddenScheme, matchRedirectUri } from './redirect-uri.ts'
import { requestedResources } from './resource.ts'

/** A provider that can be authorized against: it serves an application. */
export type TrustedBundle = ProviderBundle & { application: ApplicationRow }

export type PKCEMethod = 'plain' | 'S256'
export type Prompt = 'none' | 'login' | 'consent'

/** What the authorization endpoint returns for a response type (OAuth 2.0 Multiple Response Types §3). */
export interface Returns { code: boolean; idToken: boolean; accessToken: boolean }

/**
 * A validated authorization request (RFC 6749 §4.1.1 / §4.2.1, OIDC Core §3.1.2.1 / §3.2.2.1 / §3.3.2.1,
 * RFC 7636 §4.3).
 */
export interface AuthorizeRequest extends AuthorizeTarget {
  grantType: GrantType
  returns: Returns
  /** Granted scope names, in the order asked (all of the provider's when none were asked). */
  scopes: string[]
  nonce: string | null
  codeChallenge: string | null
  codeChallengeMethod: PKCEMethod | null
  prompt: ReadonlySet<Prompt>
  /** Seconds (OIDC Core §3.1.2.1). */
  maxAge: number | null
  loginHint: string | null
  /** RFC 8707 §2 `resource`s, each allowed by the provider (null: none asked). */
  resources: string[] | null
}

/**
 * authentik `ClientIdError` / `RedirectUriError`: the client or its redirect URI cannot be trusted, so the
 * answer is a page and never a redirect. `reason` is for the logs only.
 */
export class UntrustedRequestError extends Error {
  override name = 'UntrustedRequestError'
  constructor(readonly kind: 'client_id' | 'redirect_uri' | 'request_uri', readonly reason: string) {
    super(`${kind}: ${reason}`)
  }
}

/** §5.1 step 3: response types (order-insensitive, OAuth 2.0 Multiple Response Types §3) to their grant. */
const RESPONSE_TYPES: Record<string, GrantType> = {
  code: 'authorization_code',
  id_token: 'implicit',
  'id_token token': 'implicit',
  'code token': 'hybrid',
  'code id_token': 'hybrid',
  'code id_token token': 'hybrid',
}

/** The served response types (all of them) in authentik's order, each with the grant it needs (for discovery). */
export const SERVED_RESPONSE_TYPES: ReadonlyArray<readonly [string, GrantType]> = Object.entries(RESPONSE_TYPES)

const RESPONSE_MODES: readonly string[] = ['query', 'fragment', 'form_post']
const PROMPTS: readonly string[] = ['none', 'login', 'consent']

/** A parameter's value; empty counts as absent (authentik tests truthiness). */
export function param(params: URLSearchParams, name: string): string | null {
  return params.get(name) || null
}

/** A space-separated parameter's values, once each, in order. */
export const words = (value: string | null) => [...new Set((value ?? '').split(/\s+/).filter(Boolean))]

/** The grant a response type needs (OAuth 2.0 Multiple Response Types §3); null for an unknown one. */
export function grantOf(responseType: string | null): GrantType | null {
  return RESPONSE_TYPES[words(responseType).sort().join(' ')] ?? null
}

/** Implicit and hybrid answer in the fragment (or form_post), never in the query (OIDC Core §3.2.2.5, §3.3.2.5). */
const frontChannel = (grant: GrantType | null) => grant === 'implicit' || grant === 'hybrid'

/** §5.1 step 1: a known client (a provider with an application, which names its issuer and consents). */
export function assertTrustedClient(bundle: ProviderBundle | null): asserts bundle is TrustedBundle {
  if (!bundle?.application) throw new UntrustedRequestError('client_id', 'unknown client or no application')
}

/**
 * §5.1 steps 1-2: the client (see `assertTrustedClient`), then the redirect URI, matched against the client's
 * `authorization` entries (strict: exact string; regex: full match); forbidden schemes, scheme-less URIs and
 * control characters refused.
 * Then the target every later answer goes to, in the asked response mode or the response type's default.
 */
export function trustedTarget(
  client: ProviderBundle | null, params: URLSearchParams, origin: string,
): { bundle: TrustedBundle; target: AuthorizeTarget } {
  assertTrustedClient(client)
  const bundle = client
  const redirectUri = param(params, 'redirect_uri')
  if (redirectUri === null) throw new UntrustedRequestError('redirect_uri', 'redirect_uri_missing')
  if (!matchRedirectUri(bundle.provider.redirectUris, redirectUri, 'authorization')) {
    throw new UntrustedRequestError('redirect_uri', 'redirect_uri_no_match')
  }
  if (isForbiddenScheme(redirectUri)) throw new UntrustedRequestError('redirect_uri', 'redirect_uri_forbidden_scheme')
  // authentik answers with a page when the error URI would have no scheme; refusing it up front is the same.
  // Control characters cannot go into a Location header.
  if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(redirectUri) || hasControlCharacter(redirectUri)) {
    throw new UntrustedRequestError('redirect_uri', 'redirect_uri_malformed')
  }
  const grant = grantOf(param(params, 'response_type'))
  const asked = param(params, 'response_mode')
  // A front-channel grant asking for query mode is refused, and the refusal itself goes in the fragment.
  const responseMode = asked !== null && RESPONSE_MODES.includes(asked) && !(frontChannel(grant) && asked === 'query')
    ? asked as ResponseMode : frontChannel(grant) ? 'fragment' : 'query'
  return { bundle, target: { redirectUri, responseMode, state: param(params, 'state'), iss: issuerOf(bundle, origin) } }
}

/**
 * §5.1 steps 3-8 in the reference order, each failure an `OAuthError` for the redirect: response type (the
 * provider's `grant_types`, no query mode for implicit and hybrid), scope (`openid` for them), `request`, `nonce`
 * when an ID token is returned, PKCE method (and PKCE for public clients' codes, RFC 9700 §2.1.1), prompt,
 * max_age, RFC 8707 `resource` (`invalid_target`). Unknown parameters are ignored. `endpoint` says which scopes
 * beyond the mappings may be granted.
 */
export function validateAuthorizeRequest(
  bundle: ProviderBundle, params: URLSearchParams, target: AuthorizeTarget,
  endpoint: AuthorizeEndpoint = AUTHORIZE_ENDPOINTS.oidc,
): AuthorizeRequest {
  const responseType = param(params, 'response_type')
  const grant = grantOf(responseType)
  if (grant === null) throw authorizeError('unsupported_response_type')
  if (!bundle.provider.grantTypes.includes(grant)) {
    throw authorizeError('invalid_request', `The grant type ${grant} is not allowed for this client`)
  }
  const types = words(responseType)
  if (frontChannel(grant) && param(params, 'response_mode') === 'query') {
    throw authorizeError('invalid_request', `response_mode=query is not allowed for the ${grant} flow`)
  }
  const returns: Returns = {
    code: types.includes('code'), idToken: types.includes('id_token'), accessToken: types.includes('token'),
  }

  const configured = [...new Set(bundle.scopeMappings.map((m) => m.scopeName))]
  const grantable = [...configured, ...endpoint.extraScopes]
  const asked = words(param(params, 'scope'))
  let scopes = asked.length === 0 ? configured : asked.filter((s) => grantable.includes(s))
  if (frontChannel(grant) && !scopes.includes('openid')) throw authorizeError('invalid_scope')
  // OIDC Core §11: offline_access is ignored unless a code is returned, which alone can be exchanged for one.
  if (!returns.code) scopes = scopes.filter((s) => s !== 'offline_access')

  if (param(params, 'request') !== null) throw authorizeError('request_not_supported')

  const nonce = param(params, 'nonce')
  // OIDC Core §3.2.2.1 / §3.3.2.11: an ID token from the authorization endpoint binds the nonce.
  if (returns.idToken && nonce === null) throw authorizeError('invalid_request', 'The nonce parameter is required')

  const codeChallenge = param(params, 'code_challenge')
  const method = param(params, 'code_challenge_method') ?? 'plain'
  if (codeChallenge !== null && method !== 'plain' && method !== 'S256') {
    throw authorizeError('invalid_request', `Unsupported challenge method ${method}`)
  }
  if (codeChallenge !== null && !isPkceValue(codeChallenge)) {
    throw authorizeError('invalid_request', 'code_challenge must be 43-128 unreserved characters (RFC 7636 §4.2)')
  }
  if (returns.code && codeChallenge === null && bundle.provider.clientType === 'public') {
    throw authorizeError('invalid_request', 'Public clients must send a PKCE code_challenge (RFC 9700 §2.1.1)')
  }

  const prompts = words(param(params, 'prompt'))
  if (prompts.includes('none') && prompts.length > 1) {
    throw authorizeError('invalid_request', 'prompt=none must not be combined with other values')
  }
  const maxAge = param(params, 'max_age')
  if (maxAge !== null && !/^\d+$/.test(maxAge)) {
    throw authorizeError('invalid_request', 'max_age must be a non-negative integer')
  }
  const resources = requestedResources(params.getAll('resource'), bundle.provider.allowedResources)

  return {
    ...target,
    grantType: grant,
    returns,
    scopes,
    nonce,
    codeChallenge,
    codeChallengeMethod: codeChallenge === null ? null : method as PKCEMethod,
    prompt: new Set(prompts.filter((p): p is Prompt => PROMPTS.includes(p))),
    maxAge: maxAge === null ? null : Number(maxAge),
    loginHint: param(params, 'login_hint'),
    resources,
  }
}
