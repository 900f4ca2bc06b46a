import type { Secrets } from '../crypto/secret-box.ts'
import type { ProviderBundle } from '../db/providers.ts'
import { keyAlg } from '../oauth/issuer.ts'
import type { SigningContext } from './encode.ts'

/**
 * The keys `encode` needs for a provider: its sealed client secret (HS256) and signing key opened with the
 * key derived from SECRET_KEY, and its encryption certificate. A signing key without a private key cannot
 * sign: that is a configuration error the admin API refuses to save, so it is thrown here. Always the active key:
 * the token path reads the bundle uncached, so a rotation applies to the next token (JWKS held the key ahead).
 */
export async function signingContext(bundle: ProviderBundle, secrets: Pick<Secrets, 'open'>): Promise<SigningContext> {
  const { provider, signingKey, encryptionKey } = bundle
  let signing: SigningContext['signingKey'] = null
  if (signingKey) {
    if (!signingKey.keyDataSealed) throw new Error(`signing key ${signingKey.id} has no private key`)
    signing = { kid: signingKey.kid, jwsAlg: keyAlg(signingKey), privateKeyPem: await secrets.open(signingKey.keyDataSealed) }
  }
  return {
    clientSecret: await secrets.open(provider.clientSecretSealed),
    signingKey: signing,
    encryptionKey: encryptionKey ? { kid: encryptionKey.kid, certificatePem: encryptionKey.certificateData } : null,
  }
}
