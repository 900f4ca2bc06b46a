import { publicJwk } from '../crypto/jwk.ts'
import type { KeyPairRow, ProviderBundle } from '../db/providers.ts'
import { keyAlg } from './issuer.ts'

function material(key: KeyPairRow) {
  return { certificatePem: key.certificateData, kid: key.kid, keyType: key.keyType, jwsAlg: keyAlg(key) }
}

/**
 * The signing keys a relying party may meet (README "Key rotation"): the active key, the next key (published
 * ahead of use, so that a cached key set already holds it when it starts signing) and the previous key while
 * `previous_signing_key_expires` is in the future (every token it signed is still valid until then). Once per kid.
 */
export function publishedSigningKeys(bundle: ProviderBundle, now: Date): KeyPairRow[] {
  const expires = bundle.provider.previousSigningKeyExpires
  const previous = expires !== null && expires.getTime() > now.getTime() ? bundle.previousSigningKey : null
  const keys: KeyPairRow[] = []
  for (const key of [bundle.signingKey, bundle.nextSigningKey, previous]) {
    if (key && !keys.some((k) => k.kid === key.kid)) keys.push(key)
  }
  return keys
}

/**
 * RFC 7517 §5 key set of a provider, as authentik §3.6: the signing keys (`use: sig`, see `publishedSigningKeys`)
 * and the encryption key (`use: enc`); a provider signing with HS256 and no encryption key has none:
 * `{"keys": []}` (§5: `keys` is required; authentik answers `{}`).
 */
export async function providerJwks(bundle: ProviderBundle, now: Date): Promise<Record<string, unknown>> {
  const keys: unknown[] = []
  for (const key of publishedSigningKeys(bundle, now)) keys.push(await publicJwk(material(key), 'sig'))
  if (bundle.encryptionKey) keys.push(await publicJwk(material(bundle.encryptionKey), 'enc'))
  return { keys }
}
