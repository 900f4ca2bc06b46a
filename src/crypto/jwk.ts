import type { JWK } from 'jose'
import { certificateKey, parseCertificate } from './certificate.ts'
import { base64Encode, base64urlDecode, base64urlEncode } from './encoding.ts'
import type { KeyMaterial } from './keypair.ts'

/** A public JWK as published in the JWKS, with `enc` on encryption keys (authentik §3.6). */
export type PublicJWK = JWK & { enc?: 'A256CBC-HS512' }

const COORDINATE_BYTES: Record<string, number> = { 'P-256': 32, 'P-384': 48, 'P-521': 66 }

/**
 * RFC 7517 §4 / RFC 7518 §6 public JWK of a key pair's certificate, as authentik's JWKS view
 * renders it: kid, kty, n/e or crv/x/y (fixed length), use, alg, x5c, x5t, x5t#S256.
 */
export async function publicJwk(
  material: Pick<KeyMaterial, 'certificatePem' | 'kid' | 'jwsAlg' | 'keyType'>,
  use: 'sig' | 'enc',
): Promise<PublicJWK> {
  const cert = parseCertificate(material.certificatePem)
  const { publicJwk: key } = await certificateKey(cert)
  if (use === 'enc' && material.keyType !== 'rsa') throw new TypeError('only RSA keys can be encryption keys')
  const jwk: PublicJWK = { kid: material.kid }
  if (material.keyType === 'rsa') {
    Object.assign(jwk, { kty: 'RSA', n: key.n, e: key.e })
  } else {
    const size = COORDINATE_BYTES[key.crv ?? ''] ?? 0
    Object.assign(jwk, { kty: 'EC', crv: key.crv, x: padCoordinate(key.x, size), y: padCoordinate(key.y, size) })
  }
  jwk.use = use
  if (use === 'sig') {
    jwk.alg = material.jwsAlg
  } else {
    jwk.alg = 'RSA-OAEP-256'
    jwk.enc = 'A256CBC-HS512'
  }
  const der = cert.raw
  jwk.x5c = [base64Encode(der)]
  jwk.x5t = base64urlEncode(await crypto.subtle.digest('SHA-1', der))
  jwk['x5t#S256'] = base64urlEncode(await crypto.subtle.digest('SHA-256', der))
  return jwk
}

/** RFC 7518 §6.2.1.2: EC coordinates are full-length octet strings, left-padded with zeros. */
export function padCoordinate(coordinate: string | undefined, size: number): string {
  if (coordinate === undefined) throw new TypeError('EC key without coordinate')
  const bytes = base64urlDecode(coordinate)
  if (bytes.length >= size) return coordinate
  const padded = new Uint8Array(size)
  padded.set(bytes, size - bytes.length)
  return base64urlEncode(padded)
}
