import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, jwtVerify, type JWK } from 'jose'
import { sha256Base64url } from '../crypto/hash.ts'
import type { ProofJtiRecord } from '../db/proof-jti.ts'
import { LONE_SURROGATE } from '../db/storable.ts'
import { OAuthError } from './errors.ts'

/** RFC 9449 §5.1 `dpop_signing_alg_values_supported`: asymmetric algorithms only (§4.2: never `none` or a MAC). */
export const DPOP_ALGS = ['ES256', 'ES384', 'RS256', 'PS256', 'EdDSA'] as const

/** RFC 9449 §4.3 item 11 / §11.1: how far `iat` may lie from our clock, either way. */
export const PROOF_WINDOW_MS = 60_000


/** A verified proof (RFC 9449 §4.3): its key's RFC 7638 thumbprint, its one-time id and the nonce it carried. */
export interface DPoPProof {
  jkt: string
  /** `seen_jtis`' record of its `jti`: `dpop:<jkt>:<jti>`, kept until the proof could no longer be accepted. */
  jti: ProofJtiRecord
  nonce: string | null
}

export interface ProofRequest {
  /** The `DPoP` header as the request carried it (several headers arrive joined by commas); null: none. */
  header: string | null
  method: string
  /** The URL the request was made to, its path as sent, on our issuer origin (its query is ignored). */
  url: string
  now: Date
  /** At a protected resource: the access token presented with the proof (§4.3 item 12, `ath`). */
  accessToken?: string
}

// RFC 7517 §9.1 / RFC 7518 §6: members only a private (or symmetric) key has.
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']
const MAX_PROOF_LENGTH = 8192
const MAX_JTI_LENGTH = 256

const invalidProof = (why: string, description = 'Invalid DPoP proof'): OAuthError =>
  new OAuthError('invalid_dpop_proof', description, 400, why)

/**
 * RFC 3986 §6.2.2.2: percent-encoded unreserved characters decoded (`%74` is `t`), the hex digits of the others
 * in upper case; a reserved character stays encoded (`%2F` is not `/`).
 */
function normalizePercentEncoding(path: string): string {
  return path.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => {
    const char = String.fromCharCode(Number.parseInt(hex, 16))
    return /^[A-Za-z0-9\-._~]$/.test(char) ? char : `%${hex.toUpperCase()}`
  })
}

/**
 * RFC 9449 §4.3 item 9: scheme, host, port and path, query and fragment ignored, compared after RFC 3986 §6.2.2
 * normalization (the URL parser lowers the scheme and host, drops a default port and removes dot segments; the
 * percent-encoding is normalized here), so that a proof naming the exact URI a client sent matches however either
 * side encoded it.
 */
function targetOf(url: string): string | null {
  try {
    const parsed = new URL(url)
    return `${parsed.origin}${normalizePercentEncoding(parsed.pathname)}`
  } catch {
    return null
  }
}

function headerJwk(proof: string): JWK {
  let header: Record<string, unknown>
  try {
    header = decodeProtectedHeader(proof)
  } catch {
    throw invalidProof('unreadable protected header')
  }
  if (header.typ !== 'dpop+jwt') throw invalidProof('typ is not dpop+jwt')
  if (!DPOP_ALGS.includes(header.alg as never)) throw invalidProof(`alg ${String(header.alg)} not allowed`)
  const jwk = header.jwk
  if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk)) throw invalidProof('no jwk header')
  if (PRIVATE_MEMBERS.some((m) => Object.hasOwn(jwk, m))) throw invalidProof('jwk holds a private key')
  return jwk as JWK
}

/**
 * RFC 9449 §4.3: check the `DPoP` header of a request, in the RFC's order: one proof, a JWT whose `typ` is
 * `dpop+jwt`, an allowed asymmetric `alg`, signed by the public key of its `jwk` header, `htm` and `htu` matching
 * the request, `iat` within {@link PROOF_WINDOW_MS}, and `ath` when an access token is presented. The nonce (§8)
 * and `jti` replay (§11.1) are the caller's: they need the provider and the database. Null when no header was sent.
 */
export async function verifyProof(request: ProofRequest): Promise<DPoPProof | null> {
  const proof = request.header?.trim() ?? null
  if (proof === null) return null
  if (proof.includes(',')) throw invalidProof('more than one DPoP header')
  if (proof === '' || proof.length > MAX_PROOF_LENGTH) throw invalidProof('empty or oversized proof')
  const jwk = headerJwk(proof)
  let payload: Record<string, unknown>
  try {
    ;({ payload } = await jwtVerify(proof, EmbeddedJWK, {
      typ: 'dpop+jwt', algorithms: [...DPOP_ALGS], currentDate: request.now,
    }))
  } catch {
    throw invalidProof('signature, key or claims do not verify')
  }
  const { jti, htm, htu, iat, ath, nonce } = payload
  // The jti is stored (src/db/proof-jti.ts): no control characters, no lone surrogate.
  if (typeof jti !== 'string' || jti === '' || jti.length > MAX_JTI_LENGTH || /[\x00-\x1f]/.test(jti)
    || LONE_SURROGATE.test(jti)) {
    throw invalidProof('jti missing or malformed')
  }
  if (htm !== request.method) throw invalidProof('htm does not match the request method')
  if (typeof htu !== 'string' || targetOf(htu) === null || targetOf(htu) !== targetOf(request.url)) {
    throw invalidProof('htu does not match the request URL')
  }
  if (typeof iat !== 'number' || !Number.isFinite(iat)) throw invalidProof('iat missing')
  if (Math.abs(request.now.getTime() - iat * 1000) > PROOF_WINDOW_MS) throw invalidProof('iat outside the window')
  if (request.accessToken !== undefined && ath !== await sha256Base64url(request.accessToken)) {
    throw invalidProof('ath does not match the access token')
  }
  const jkt = await calculateJwkThumbprint(jwk, 'sha256')
  // One second past the last moment `iat` is still accepted: until then a replay must be recognised.
  const expires = new Date(iat * 1000 + PROOF_WINDOW_MS + 1000)
  return { jkt, jti: { key: `dpop:${jkt}:${jti}`, expires }, nonce: typeof nonce === 'string' ? nonce : null }
}
