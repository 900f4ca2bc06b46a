import type { ProviderBundle } from '../db/providers.ts'
import type { KeyPairRow } from '../db/providers.ts'

export type JWSAlg = 'HS256' | 'RS256' | 'ES256' | 'ES384' | 'ES512'

/** authentik `OAuth2Provider.get_issuer`: the slug's URL per provider, or the root in `global` mode. */
export function issuerOf(bundle: ProviderBundle, origin: string): string {
  if (bundle.provider.issuerMode === 'global') return `${origin}/`
  return `${origin}/application/o/${bundle.application?.slug ?? ''}/`
}

/** authentik `JWTAlgorithms.from_private_key`: RS256 for RSA, ES256/384/512 by curve. */
export function keyAlg(key: Pick<KeyPairRow, 'keyType' | 'keySize'>): Exclude<JWSAlg, 'HS256'> {
  if (key.keyType === 'rsa') return 'RS256'
  if (key.keySize === 384) return 'ES384'
  if (key.keySize === 521) return 'ES512'
  return 'ES256'
}

/** §3.3: HS256 with the client secret when the provider has no signing key. */
export function signingAlgOf(bundle: ProviderBundle): JWSAlg {
  return bundle.signingKey ? keyAlg(bundle.signingKey) : 'HS256'
}
