import type { ApplicationRow, ProviderBundle } from '../db/providers.ts'
import type { GrantType } from '../db/schema.ts'
import { authorizeError, type AuthorizeTarget, type ResponseMode } from './authorize-response.ts'
import { issuerOf } from './issuer.ts'
import { isPkceValue } from './pkce.ts'
import { isForbiddenScheme, matchRedirectUri } from './redirect-uri.ts'

/** A provider that can be authorized against: it serves an application. */
export type TrustedBundle = ProviderBundle & { application: ApplicationRow }

export type PKCEMethod = 'plain' | 'S256'
export type Prompt = 'none' | 'login' | 'consent'

/** A validated authorization request of the code flow (RFC 6749 §4.1.1, OIDC Core §3.1.2.1, RFC 7636 §4.3). */
export interface AuthorizeRequest extends AuthorizeTarget {
  grantType: GrantType
  /** Granted scope names, in the order asked (all of the provider's when none were asked). */
  scopes: string[]
  nonce: string | null
  codeChallenge: string | null
  codeChallengeMethod: PKCEMethod | null
  prompt: ReadonlySet<Prompt>
  /** Seconds (OIDC Core §3.1.2.1). */
  maxAge: number | null
  loginHint: string | null
}

/**
 * authentik `ClientIdError` / `RedirectUriError`: the client or its redirect URI cannot be trusted, so the
 * answer is a page and never a redirect. `reason` is for the logs only.
 */
export class UntrustedRequestError extends Error {
  override name = 'UntrustedRequestError'
  constructor(readonly kind: 'client_id' | 'redirect_uri', readonly reason: string) {
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

/** The response types this endpoint answers; the others are `unsupported_response_type`. */
const SERVED = new Set(['code'])

/** The served response types in authentik's order, each with the provider grant it needs (for discovery). */
export const SERVED_RESPONSE_TYPES: ReadonlyArray<readonly [string, GrantType]> =
  Object.entries(RESPONSE_TYPES).filter(([type]) => SERVED.has(type))

const RESPONSE_MODES: readonly string[] = ['query', 'fragment', 'form_post']
const PROMPTS: readonly string[] = ['none', 'login', 'consent']

/** A parameter's value; empty counts as absent (authentik tests truthiness). */
export function param(params: URLSearchParams, name: string): string | null {
  return params.get(name) || null
}

const words = (value: string | null) => [...new Set((value ?? '').split(/\s+/).filter(Boolean))]

function grantOf(responseType: string | null): GrantType | null {
  return RESPONSE_TYPES[words(responseType).sort().join(' ')] ?? null
}

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
  // eslint-disable-next-line no-control-regex
  if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:[^\u0000-\u001f\u007f]*$/.test(redirectUri)) {
    throw new UntrustedRequestError('redirect_uri', 'redirect_uri_malformed')
  }
  const grant = grantOf(param(params, 'response_type'))
  const asked = param(params, 'response_mode')
  const responseMode = asked !== null && RESPONSE_MODES.includes(asked) ? asked as ResponseMode
    : grant === 'implicit' || grant === 'hybrid' ? 'fragment' : 'query'
  return { bundle, target: { redirectUri, responseMode, state: param(params, 'state'), iss: issuerOf(bundle, origin) } }
}

/**
 * §5.1 steps 3-8 in the reference order, each failure an `OAuthError` for the redirect: response type (and the
 * provider's `grant_types`), scope, `request`, PKCE method (and PKCE for public clients, RFC 9700 §2.1.1),
 * prompt, max_age. Unknown parameters are ignored.
 */
export function validateAuthorizeRequest(
  bundle: ProviderBundle, params: URLSearchParams, target: AuthorizeTarget,
): AuthorizeRequest {
  const responseType = param(params, 'response_type')
  const grant = grantOf(responseType)
  if (grant === null) throw authorizeError('unsupported_response_type')
  if (!bundle.provider.grantTypes.includes(grant)) {
    throw authorizeError('invalid_request', `The grant type ${grant} is not allowed for this client`)
  }
  if (!SERVED.has(words(responseType).sort().join(' '))) {
    throw authorizeError('unsupported_response_type', `The response type "${responseType}" is not supported`)
  }

  const configured = [...new Set(bundle.scopeMappings.map((m) => m.scopeName))]
  const asked = words(param(params, 'scope'))
  // offline_access is kept: this response type returns a code.
  const scopes = asked.length === 0 ? configured : asked.filter((s) => configured.includes(s))

  if (param(params, 'request') !== null) throw authorizeError('request_not_supported')

  const codeChallenge = param(params, 'code_challenge')
  const method = param(params, 'code_challenge_method') ?? 'plain'
  if (codeChallenge !== null && method !== 'plain' && method !== 'S256') {
    throw authorizeError('invalid_request', `Unsupported challenge method ${method}`)
  }
  if (codeChallenge !== null && !isPkceValue(codeChallenge)) {
    throw authorizeError('invalid_request', 'code_challenge must be 43-128 unreserved characters (RFC 7636 §4.2)')
  }
  if (codeChallenge === null && bundle.provider.clientType === 'public') {
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

  return {
    ...target,
    grantType: grant,
    scopes,
    nonce: param(params, 'nonce'),
    codeChallenge,
    codeChallengeMethod: codeChallenge === null ? null : method as PKCEMethod,
    prompt: new Set(prompts.filter((p): p is Prompt => PROMPTS.includes(p))),
    maxAge: maxAge === null ? null : Number(maxAge),
    loginHint: param(params, 'login_hint'),
  }
}
