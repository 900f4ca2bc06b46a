import {
  compactDecrypt, createLocalJWKSet, decodeJwt, jwtVerify, type CryptoKey, type JSONWebKeySet, type JWTPayload,
  type JWTVerifyOptions, type JWTHeaderParameters,
} from 'jose'
import { expect } from 'vitest'

/** What a relying party knows to open a provider's tokens by itself (the way openid-client does not). */
export interface RelyingPartyKeys {
  alg: 'RS256' | 'ES256' | 'HS256'
  /** The provider's JWKS as served at `/application/o/<slug>/jwks/`. */
  jwks: JSONWebKeySet
  /** HS256: the client secret is the key. */
  clientSecret: string
  /** A provider with an encryption key: its private key, and the kid the JWE header names. */
  decryption?: { key: CryptoKey; kid: string }
}

/**
 * Opens a token as the relying party would: the RFC 7516 JWE layer when the provider encrypts (RSA-OAEP-256 /
 * A256CBC-HS512, naming the encryption key), then the JWS signature with the JWKS or the client secret.
 */
export async function openToken(token: string, keys: RelyingPartyKeys, options: JWTVerifyOptions):
  Promise<{ payload: JWTPayload; header: JWTHeaderParameters }> {
  let jws = token
  if (keys.decryption) {
    expect(token.split('.'), 'a compact JWE').toHaveLength(5)
    const { plaintext, protectedHeader } = await compactDecrypt(token, keys.decryption.key)
    // An access token replicates its `jti` in the header (RFC 7519 §5.3): it is found by it without decryption.
    const { jti, ...header } = protectedHeader
    expect(header).toEqual({ alg: 'RSA-OAEP-256', enc: 'A256CBC-HS512', typ: 'JWE', kid: keys.decryption.kid })
    jws = new TextDecoder().decode(plaintext)
    if (jti !== undefined) expect(decodeJwt(jws).jti).toBe(jti)
  }
  expect(jws.split('.'), 'a compact JWS').toHaveLength(3)
  const verify = { ...options, algorithms: [keys.alg] }
  const { payload, protectedHeader } = keys.alg === 'HS256'
    ? await jwtVerify(jws, new TextEncoder().encode(keys.clientSecret), verify)
    : await jwtVerify(jws, createLocalJWKSet(keys.jwks), verify)
  return { payload, header: protectedHeader }
}
