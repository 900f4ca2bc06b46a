import { publicJwk } from '../crypto/jwk.ts'
import type { KeyPairRow, ProviderBundle } from '../db/providers.ts'
import { keyAlg } from './issuer.ts'

function material(key: KeyPairRow) {
  return { certificatePem: key.certificateData, kid: key.kid, keyType: key.keyType, jwsAlg: keyAlg(key) }
}

/**
 * RFC 7517 §5 key set of a provider, as authentik §3.6: the signing key (`use: sig`) and the encryption key
 * (`use: enc`); a provider signing with HS256 and no encryption key has none: `{"keys": []}` (§5: `keys` is
 * required; authentik answers `{}`).
 */
export async function providerJwks(bundle: ProviderBundle): Promise<Record<string, unknown>> {
  const keys: unknown[] = []
  if (bundle.signingKey) keys.push(await publicJwk(material(bundle.signingKey), 'sig'))
  if (bundle.encryptionKey) keys.push(await publicJwk(material(bundle.encryptionKey), 'enc'))
  return { keys }
}
