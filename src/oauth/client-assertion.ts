import {
  decodeJwt, decodeProtectedHeader, importJWK, jwtVerify, type JWK, type JWTPayload,
  type ProtectedHeaderParameters,
} from 'jose'

/** RFC 7523 §2.2 `client_assertion_type`. */
export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

/**
 * Safer than authentik, which accepts any `exp` and none at all: an assertion must expire, and within this many
 * seconds (RFC 7523 §3 item 4 lets the server bound it), so that a leaked one is short-lived.
 */
export const MAX_ASSERTION_LIFETIME_S = 3600

/** A compact JWS's header and claims, before its signature is checked. */
export interface PeekedAssertion {
  header: ProtectedHeaderParameters
  payload: JWTPayload
}

/** RFC 7515 §7.1: the header and claims of a compact JWS (three parts); null for anything else (a JWE, junk). */
export function peekAssertion(assertion: string): PeekedAssertion | null {
  if (assertion.split('.').length !== 3) return null
  try {
    return { header: decodeProtectedHeader(assertion), payload: decodeJwt(assertion) }
  } catch {
    return null
  }
}

const RSA_ALGS = new Set(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'])
const EC_CURVES: Record<string, string> = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' }

/**
 * RFC 8725 §3.1: does `alg` fit the key? Its own `alg` when it names one, else one of its type (RSA for RS/PS, the
 * curve for ES, Ed25519 for EdDSA). Never an HMAC: a public key is no shared secret (the HS/RS confusion).
 */
export function algFits(jwk: JWK, alg: string): boolean {
  if (jwk.alg !== undefined && jwk.alg !== alg) return false
  if (jwk.use !== undefined && jwk.use !== 'sig') return false
  switch (jwk.kty) {
    case 'RSA':
      return RSA_ALGS.has(alg)
    case 'EC':
      return EC_CURVES[alg] !== undefined && EC_CURVES[alg] === jwk.crv
    case 'OKP':
      return (alg === 'EdDSA' || alg === 'Ed25519') && jwk.crv === 'Ed25519'
    default:
      return false
  }
}

/** RFC 7519 §7.2 with the key and algorithm fixed: the claims, or null when the signature or `exp`/`nbf` fail. */
export async function verifyWith(assertion: string, key: CryptoKey, alg: string, now: Date):
  Promise<JWTPayload | null> {
  try {
    const options = { algorithms: [alg], currentDate: now, requiredClaims: ['exp'] }
    const { payload } = await jwtVerify(assertion, key, options)
    return payload
  } catch {
    return null
  }
}

/**
 * RFC 7523 §3 against a source's keys: `alg` present and not `none`, a `kid` that names one of the keys (only those
 * keys are tried), an `alg` that fits the key, a valid signature, and a live `exp` at most
 * {@link MAX_ASSERTION_LIFETIME_S} ahead. The claims, or null.
 */
export async function verifyAssertion(assertion: string, peeked: PeekedAssertion, keys: readonly JWK[], now: Date):
  Promise<JWTPayload | null> {
  const { alg, kid } = peeked.header
  if (typeof alg !== 'string' || alg === 'none' || typeof kid !== 'string' || kid === '') return null
  for (const jwk of keys) {
    if (jwk.kid !== kid || !algFits(jwk, alg)) continue
    let key: CryptoKey | Uint8Array
    try {
      key = await importJWK(jwk, alg)
    } catch {
      continue
    }
    if (key instanceof Uint8Array) continue
    const payload = await verifyWith(assertion, key, alg, now)
    if (payload && withinLifetime(payload, now)) return payload
  }
  return null
}

/** `exp` (checked live by `jwtVerify`) no further ahead than {@link MAX_ASSERTION_LIFETIME_S}. */
function withinLifetime(payload: JWTPayload, now: Date): boolean {
  return typeof payload.exp === 'number' && payload.exp <= now.getTime() / 1000 + MAX_ASSERTION_LIFETIME_S
}
