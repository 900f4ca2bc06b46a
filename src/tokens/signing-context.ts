import type { Secrets } from '../crypto/secret-box.ts'
import type { ProviderBundle } from '../db/providers.ts'
import { keyAlg } from '../oauth/issuer.ts'
import type { SigningContext } from './encode.ts'

/** `open(sealed)` on first use, at most once. */
function opened(secrets: Pick<Secrets, 'open'>, sealed: string): () => Promise<string> {
  let value: Promise<string> | undefined
  return () => (value ??= secrets.open(sealed))
}

/**
 * The keys `encode` needs for a provider: its sealed client secret (HS256) and signing key, opened with the key
 * derived from SECRET_KEY when first needed (a signing key already imported into the per-isolate key cache is not
 * opened again, and an asymmetric signer never opens the client secret), and its encryption certificate. A
 * signing key without a private key cannot sign: that is a configuration error the admin API refuses to save, so
 * it is thrown here. Always the active key: the token path reads the bundle uncached, so a rotation applies to
 * the next token (JWKS held the key ahead).
 */
export async function signingContext(bundle: ProviderBundle, secrets: Pick<Secrets, 'open'>): Promise<SigningContext> {
  const { provider, signingKey, encryptionKey } = bundle
  let signing: SigningContext['signingKey'] = null
  if (signingKey) {
    if (!signingKey.keyDataSealed) throw new Error(`signing key ${signingKey.id} has no private key`)
    signing = { kid: signingKey.kid, jwsAlg: keyAlg(signingKey), privateKeyPem: opened(secrets, signingKey.keyDataSealed) }
  }
  return {
    clientSecret: opened(secrets, provider.clientSecretSealed),
    signingKey: signing,
    encryptionKey: encryptionKey ? { kid: encryptionKey.kid, certificatePem: encryptionKey.certificateData } : null,
  }
}
