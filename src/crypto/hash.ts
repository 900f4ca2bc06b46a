import { base64urlEncode, hex, utf8 } from './encoding.ts'

/** FIPS 180-4 SHA-256 of the UTF-8 text, lowercase hex (storage form of compared-only secrets). */
export async function sha256Hex(text: string): Promise<string> {
  return hex(await crypto.subtle.digest('SHA-256', utf8(text)))
}

/** FIPS 180-4 SHA-256, base64url without padding (RFC 7636 §4.2 S256 challenge form). */
export async function sha256Base64url(input: Uint8Array<ArrayBuffer> | string): Promise<string> {
  const bytes = typeof input === 'string' ? utf8(input) : input
  return base64urlEncode(await crypto.subtle.digest('SHA-256', bytes))
}

/**
 * Byte comparison whose running time depends only on the lengths, never on the position of the
 * first difference (authentik §4.1/§4.8 compare client credentials in constant time).
 */
export function constantTimeEqualBytes(a: Uint8Array, b: Uint8Array): boolean {
  const length = Math.max(a.length, b.length)
  // Pad both to the same length so the loop body never branches on out-of-range indexes.
  const x = new Uint8Array(length)
  const y = new Uint8Array(length)
  x.set(a)
  y.set(b)
  let diff = a.length ^ b.length
  for (let i = 0; i < length; i++) diff |= (x[i] as number) ^ (y[i] as number)
  return diff === 0
}

/** Constant-time string comparison (UTF-8 bytes), e.g. client secrets (authentik §4.1). */
export function constantTimeEqual(a: string, b: string): boolean {
  return constantTimeEqualBytes(utf8(a), utf8(b))
}

/** JWS algorithms whose hash determines at_hash / c_hash. */
export type HashedJWSAlg = 'RS256' | 'ES256' | 'HS256' | 'ES384' | 'ES512'

const HASH_FOR_ALG: Record<HashedJWSAlg, 'SHA-256' | 'SHA-384' | 'SHA-512'> = {
  RS256: 'SHA-256',
  ES256: 'SHA-256',
  HS256: 'SHA-256',
  ES384: 'SHA-384',
  ES512: 'SHA-512',
}

/** OIDC Core §3.1.3.6 / §3.3.2.11: at_hash / c_hash = base64url(left half of hash(ASCII token)). */
export async function leftHalfHash(token: string, alg: HashedJWSAlg): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest(HASH_FOR_ALG[alg], utf8(token)))
  return base64urlEncode(digest.subarray(0, digest.length / 2))
}
