import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose'
import { sha256Base64url } from '../../src/crypto/hash.ts'
import { base64urlEncode } from '../../src/crypto/encoding.ts'
import type { TestContext } from '../support/app.ts'

/** The origin `t.request` sends to (app.request's default). */
export const ORIGIN = 'http://localhost'
export const TOKEN_URL = `${ORIGIN}/application/o/token/`
export const USERINFO_URL = `${ORIGIN}/application/o/userinfo/`
export const ALGS = 'ES256 ES384 RS256 PS256 EdDSA'

/** A client's DPoP key: the pair, its public JWK and RFC 7638 thumbprint. */
export interface DPoPKey { alg: string; privateKey: CryptoKey; jwk: JWK; jkt: string }

export async function dpopKey(alg = 'ES256'): Promise<DPoPKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  const jwk = await exportJWK(publicKey)
  return { alg, privateKey, jwk, jkt: await calculateJwkThumbprint(jwk, 'sha256') }
}

export interface ProofClaims {
  htm?: string
  htu?: string
  /** Seconds from the test clock's now. */
  iatOffset?: number
  jti?: string
  /** The access token whose `ath` to include. */
  accessToken?: string
  nonce?: string
  typ?: string
  /** Replace the header's jwk (e.g. with a private one). */
  jwk?: JWK
}

/** A DPoP proof (RFC 9449 §4.2) signed with `key`, `iat` from the test clock; POST to the token endpoint by default. */
export async function proof(t: TestContext, key: DPoPKey, claims: ProofClaims = {}): Promise<string> {
  const iat = Math.floor(t.clock.now().getTime() / 1000) + (claims.iatOffset ?? 0)
  return new SignJWT({
    htm: claims.htm ?? 'POST', htu: claims.htu ?? TOKEN_URL, iat, jti: claims.jti ?? crypto.randomUUID(),
    ...(claims.accessToken !== undefined && { ath: await sha256Base64url(claims.accessToken) }),
    ...(claims.nonce !== undefined && { nonce: claims.nonce }),
  }).setProtectedHeader({ alg: key.alg, typ: claims.typ ?? 'dpop+jwt', jwk: claims.jwk ?? key.jwk }).sign(key.privateKey)
}

/** An unsigned (`alg: none`) proof, as an attacker would craft it. */
export function unsignedProof(t: TestContext, key: DPoPKey): string {
  const part = (v: unknown) => base64urlEncode(JSON.stringify(v))
  const iat = Math.floor(t.clock.now().getTime() / 1000)
  return `${part({ alg: 'none', typ: 'dpop+jwt', jwk: key.jwk })}.${part({ htm: 'POST', htu: TOKEN_URL, iat,
    jti: crypto.randomUUID() })}.`
}

/** A proof MACed with HS256, the public key in its header. */
export async function hmacProof(t: TestContext, key: DPoPKey): Promise<string> {
  const iat = Math.floor(t.clock.now().getTime() / 1000)
  return new SignJWT({ htm: 'POST', htu: TOKEN_URL, iat, jti: crypto.randomUUID() })
    .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: key.jwk })
    .sign(new TextEncoder().encode('a shared secret of thirty-two bytes!'))
}

/** `WWW-Authenticate` of a DPoP error at a protected resource (RFC 9449 §7.1). */
export function dpopChallenge(error: string, description: string): string {
  return `DPoP error="${error}", error_description="${description}", algs="${ALGS}"`
}
