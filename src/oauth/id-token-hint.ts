import { compactDecrypt, compactVerify, decodeProtectedHeader, importPKCS8 } from 'jose'
import { certificateKey, parseCertificate } from '../crypto/certificate.ts'
import type { KeyCache } from '../crypto/key-cache.ts'
import type { Secrets } from '../crypto/secret-box.ts'
import type { ProviderBundle } from '../db/providers.ts'
import { isMarkedAccessToken } from '../tokens/access-token.ts'
import { issuerOf, keyAlg, type JWSAlg } from './issuer.ts'

/** What a verified `id_token_hint` tells about the session it was issued in. */
export interface IdTokenHint {
  sub: string | null
  sid: string | null
}

/**
 * The key that signed the hint, by its `kid`: the active key; the next one (this bundle may be cached from before a
 * rotation that another isolate made); or the previous one, even once it has left JWKS, since an expired hint is
 * accepted and the RP's ID token may predate the last rotation (src/oauth/key-rotation.ts). A hint two rotations
 * old is refused as not ours. HS256 (no signing key): the client secret.
 */
async function verificationKey(bundle: ProviderBundle, kid: unknown, secrets: Pick<Secrets, 'open'>, keys: KeyCache):
  Promise<{ key: CryptoKey; alg: JWSAlg }> {
  if (!bundle.signingKey) {
    return { key: await keys.getHmacKey(await secrets.open(bundle.provider.clientSecretSealed)), alg: 'HS256' }
  }
  const signer = [bundle.signingKey, bundle.nextSigningKey, bundle.previousSigningKey]
    .find((k) => k && k.kid === kid) ?? bundle.signingKey
  const cert = parseCertificate(signer.certificateData)
  const key = await crypto.subtle.importKey('spki', cert.spki, (await certificateKey(cert)).importParams, false, ['verify'])
  return { key, alg: keyAlg(signer) }
}

/** Our JWE (§3.3: RSA-OAEP-256 / A256CBC-HS512) opened with the provider's encryption key; else it is not ours. */
async function openJwe(token: string, bundle: ProviderBundle, secrets: Pick<Secrets, 'open'>): Promise<string> {
  const sealed = bundle.encryptionKey?.keyDataSealed
  if (!sealed) throw new Error('an encrypted hint, and the provider has no encryption key')
  const key = await importPKCS8(await secrets.open(sealed), 'RSA-OAEP-256')
  const { plaintext } = await compactDecrypt(token, key, {
    keyManagementAlgorithms: ['RSA-OAEP-256'], contentEncryptionAlgorithms: ['A256CBC-HS512'],
  })
  return new TextDecoder().decode(plaintext)
}

/**
 * RFC 8725 §3.11: tokens of other kinds signed by the same key are told apart by their JOSE `typ`. Our ID tokens
 * carry none (or `JWT`); RFC 9068 access tokens say `at+jwt`, logout tokens `logout+jwt`.
 */
const isIdTokenType = (typ: unknown): boolean => typ === undefined || (typeof typ === 'string' && typ.toUpperCase() === 'JWT')

/**
 * OIDC RP-Initiated Logout 1.0 §2 `id_token_hint`, stricter than authentik (which ignores it): an ID token this
 * provider issued (its signature with this provider's key and algorithm, so never `alg: none`; `iss` ours; `aud`
 * this client), opened first when the provider encrypts. Its expiry is ignored, as §4 allows. Null when it is not,
 * and for any other token the provider signs (RFC 8725 §3.11): an RFC 9068 access token or a logout token (by
 * `typ`), or an access token in authentik's format, which carries the ID token's claims and is told apart by its
 * marked `uid` (src/tokens/access-token.ts); `azp` decides nothing, since an ID token may carry it too. Otherwise
 * any resource server that has seen an access token could sign its user out without a confirmation.
 */
export async function verifyIdTokenHint(hint: string, bundle: ProviderBundle, origin: string,
  secrets: Pick<Secrets, 'open' | 'mac'>, keys: KeyCache): Promise<IdTokenHint | null> {
  try {
    const jws = hint.split('.').length === 5 ? await openJwe(hint, bundle, secrets) : hint
    const header = decodeProtectedHeader(jws)
    if (!isIdTokenType(header.typ)) return null
    const { key, alg } = await verificationKey(bundle, header.kid, secrets, keys)
    const { payload } = await compactVerify(jws, key, { algorithms: [alg] })
    const claims = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>
    const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud]
    if (claims.iss !== issuerOf(bundle, origin) || !aud.includes(bundle.provider.clientId)) return null
    if (await isMarkedAccessToken(secrets, claims)) return null
    return {
      sub: typeof claims.sub === 'string' ? claims.sub : null,
      sid: typeof claims.sid === 'string' ? claims.sid : null,
    }
  } catch {
    return null
  }
}
