/**
 * Discovery and JWKS checks (OpenID Connect Discovery 1.0 §3 and §4.3, RFC 8414 §2, RFC 7517 §5), from outside:
 * plain fetch of the documents, then oauth4webapi's own processing for the rest of the check.
 */
import * as oauth from 'oauth4webapi'
import type { Results } from './results.ts'

type Metadata = Record<string, unknown>

/** OIDC Discovery §3: the members a provider's metadata MUST have (token_endpoint: unless implicit-only). */
const REQUIRED = ['issuer', 'authorization_endpoint', 'token_endpoint', 'jwks_uri', 'response_types_supported',
  'subject_types_supported', 'id_token_signing_alg_values_supported']

/** JWK members of private keys (RFC 7518 §6.2.2, §6.3.2, §6.4.1; RFC 8037 §2) that a JWKS must never publish. */
const PRIVATE = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']

export const isLoopback = (url: URL) => ['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname)

/** An endpoint as RFC 8414 §2 / RFC 9700 §2.6 want it: absolute https, or http on a loopback address. */
function endpointProblem(name: string, value: unknown): string | null {
  if (typeof value !== 'string') return `${name} is not a string`
  let url: URL
  try { url = new URL(value) } catch { return `${name} is not an absolute URL` }
  if (url.protocol === 'https:' || (url.protocol === 'http:' && isLoopback(url))) return url.hash ? `${name} has a fragment` : null
  return `${name} is ${url.protocol} on a non-loopback host`
}

const list = (m: Metadata, key: string, fallback: string[] = []): string[] =>
  Array.isArray(m[key]) ? (m[key] as unknown[]).filter((v): v is string => typeof v === 'string') : fallback

/** The metadata checks; answers oauth4webapi's processed metadata when the document is usable. */
export async function checkDiscovery(r: Results, issuer: URL,
  options: oauth.DiscoveryRequestOptions & { issuerText?: string }):
  Promise<oauth.AuthorizationServer | undefined> {
  const res = await r.run('discovery', () => oauth.discoveryRequest(issuer, { ...options, algorithm: 'oidc' }))
  if (!res) return undefined
  const body = await res.clone().json().catch(() => null) as Metadata | null
  if (res.status !== 200 || body === null || typeof body !== 'object') {
    r.fail('discovery', `${res.url} answered ${res.status}${body ? '' : ', not JSON'}`)
    return undefined
  }
  r.pass('discovery', `${res.url} answered 200 JSON`)
  const given = options.issuerText ?? issuer.href
  const sameIssuer = r.expect('discovery.issuer', body.issuer === given ? [] : [`issuer is ${JSON.stringify(body.issuer)}, not ${given}`],
    `issuer equals ${given}`)
  r.expect('discovery.required', requiredProblems(body), 'every member OIDC Discovery §3 requires is present')
  const endpoints = Object.keys(body).filter((k) => k.endsWith('_endpoint') || k === 'jwks_uri' || k === 'registration_endpoint')
  // RFC 8414 §2: the issuer is an https URL (loopback http here) without query or fragment.
  const issuerProblems = [endpointProblem('issuer', body.issuer), typeof body.issuer === 'string' && body.issuer.includes('?')
    ? 'issuer has a query' : null]
  r.expect('discovery.endpoints', [...issuerProblems, ...endpoints.map((k) => endpointProblem(k, body[k]))]
    .filter((p) => p !== null), `the issuer and ${endpoints.length} endpoints are absolute https (or loopback http)`)
  const pkce = list(body, 'code_challenge_methods_supported')
  r.expect('discovery.pkce', pkce.includes('S256') ? [] : [`code_challenge_methods_supported is [${pkce}], without S256`],
    `code_challenge_methods_supported has S256 ([${pkce}])`)
  r.expect('discovery.types', typeProblems(body), 'response_types_supported and grant_types_supported agree')
  const algs = list(body, 'id_token_signing_alg_values_supported')
  // RFC 8414 §2: "none" MUST NOT be offered for JWT client authentication at any endpoint.
  const unsigned = ['id_token', ...AUTH_ALG_ENDPOINTS].map((e) => `${e}_signing_alg_values_supported`)
    .filter((k) => list(body, k).includes('none')).map((k) => `${k} offers none`)
  r.expect('discovery.algs', algs.length === 0 ? ['no id_token_signing_alg_values_supported', ...unsigned] : unsigned,
    `ID tokens signed with [${algs}]`)
  // oauth4webapi refuses a document of another issuer (OIDC Discovery §4.3), and so does every check after this.
  if (!sameIssuer) return undefined
  return r.run('discovery.usable', () => oauth.processDiscoveryResponse(issuer, res))
}

/** The endpoints whose client authentication by JWT (RFC 8414 §2, RFC 7523) names its signing algorithms. */
const AUTH_ALG_ENDPOINTS = ['token_endpoint_auth', 'revocation_endpoint_auth', 'introspection_endpoint_auth']

/**
 * OIDC Discovery §3's members; `scopes_supported`, when present, with `openid`; and RFC 8414 §2's
 * `<endpoint>_auth_signing_alg_values_supported` wherever `private_key_jwt` or `client_secret_jwt` is offered.
 */
function requiredProblems(m: Metadata): string[] {
  const problems = REQUIRED.filter((k) => m[k] === undefined).map((k) => `${k} missing`)
  if (m.scopes_supported !== undefined && !list(m, 'scopes_supported').includes('openid')) {
    problems.push('scopes_supported lacks openid')
  }
  for (const e of AUTH_ALG_ENDPOINTS) {
    const jwt = list(m, `${e}_methods_supported`).filter((a) => a === 'private_key_jwt' || a === 'client_secret_jwt')
    if (jwt.length && !list(m, `${e}_signing_alg_values_supported`).length) {
      problems.push(`${e}_methods_supported has ${jwt.join(', ')} without ${e}_signing_alg_values_supported`)
    }
  }
  return problems
}

/** RFC 8414 §2: `code` needs authorization_code; `token`/`id_token` need implicit (grant types default to both). */
function typeProblems(m: Metadata): string[] {
  const responses = list(m, 'response_types_supported')
  const grants = list(m, 'grant_types_supported', ['authorization_code', 'implicit'])
  const problems: string[] = []
  if (!responses.includes('code')) problems.push('response_types_supported has no "code"')
  for (const type of responses) {
    const parts = type.split(' ')
    if (parts.includes('code') && !grants.includes('authorization_code')) problems.push(`"${type}" without the authorization_code grant`)
    if ((parts.includes('token') || parts.includes('id_token')) && !grants.includes('implicit')) problems.push(`"${type}" without the implicit grant`)
  }
  if (grants.includes('authorization_code') && !responses.some((t) => t.split(' ').includes('code'))) {
    problems.push('the authorization_code grant without a "code" response type')
  }
  return problems
}

/** RFC 7517 §5: a `keys` array; each key with kty, kid (to be selected), use or alg, and no private member. */
export async function checkJwks(r: Results, as: oauth.AuthorizationServer, init: RequestInit): Promise<unknown> {
  if (!as.jwks_uri) return r.fail('jwks', 'no jwks_uri')
  const res = await r.run('jwks', () => fetch(as.jwks_uri!, init))
  const body = res && await res.json().catch(() => null) as { keys?: unknown } | null
  if (!res || res.status !== 200 || !body || !Array.isArray(body.keys)) {
    return res && r.fail('jwks', `${as.jwks_uri} answered ${res.status}${body ? ' without a keys array' : ', not JSON'}`)
  }
  const keys = body.keys as Array<Record<string, unknown>>
  const problems = keys.flatMap((k, i) => [
    ...['kty', 'kid'].filter((m) => typeof k[m] !== 'string').map((m) => `key ${i} has no ${m}`),
    ...(typeof k.use !== 'string' && typeof k.alg !== 'string' ? [`key ${i} has neither use nor alg`] : []),
    ...PRIVATE.filter((m) => m in k).map((m) => `key ${i} (${String(k.kid)}) publishes private member ${m}`),
    // RFC 7517 §4.5: a verifier selects the key by kid; two keys of one type sharing one leave it guessing.
    ...(keys.findIndex((o) => o.kid === k.kid && o.kty === k.kty) < i ? [`key ${i} repeats kid ${String(k.kid)}`] : []),
  ])
  const asymmetric = (as.id_token_signing_alg_values_supported ?? []).some((a) => !a.startsWith('HS'))
  if (asymmetric && keys.length === 0) problems.push('no keys, yet ID tokens are signed with a public-key algorithm')
  r.expect('jwks', problems, `${keys.length} public key(s), each with kty, kid and use/alg`)
  return body
}
