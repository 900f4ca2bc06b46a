import type { ProviderRow } from '../db/providers.ts'
import { ProofReplayed } from '../db/proof-jti.ts'
import type { ClientContext } from './client-request.ts'
import type { DPoPProof } from './dpop.ts'
import { OAuthError } from './errors.ts'
import { provesBinding } from './token-presentation.ts'

/**
 * RFC 9449 §5 and §8 at the token endpoint, once the client's provider is known: a provider with
 * `dpop_bound_access_tokens` refuses a request without a proof (§5.2's client metadata, as a provider setting),
 * and one with `dpop_require_nonce` a proof without the current nonce (`use_dpop_nonce`; the answer carries a
 * fresh `DPoP-Nonce`, see src/routes/client-endpoint.ts).
 */
export async function checkTokenProof(ctx: ClientContext, provider: ProviderRow): Promise<void> {
  const proof = ctx.dpop
  if (!proof) {
    if (provider.dpopBoundAccessTokens) {
      throw new OAuthError('invalid_dpop_proof', 'DPoP proof JWT not provided', 400, 'provider requires DPoP')
    }
    return
  }
  if (!provider.dpopRequireNonce) return
  if (proof.nonce === null || !ctx.dpopNonces || !(await ctx.dpopNonces.accepts(proof.nonce, ctx.now))) {
    throw new OAuthError('use_dpop_nonce', 'Authorization server requires nonce in DPoP proof', 400,
      proof.nonce === null ? 'no nonce' : 'unknown or expired nonce')
  }
}

/** RFC 9449 §11.1: a grant whose statement found the proof's `jti` already used answers `invalid_dpop_proof`. */
export async function refusingProofReplay<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (err) {
    if (err instanceof ProofReplayed) {
      throw new OAuthError('invalid_dpop_proof', 'DPoP proof JWT replay detected', 400, 'jti seen before')
    }
    throw err
  }
}

/**
 * RFC 9449 §5: a refresh token bound to a DPoP key (a public client's) is refreshed only with a proof of that
 * key (node-oidc-provider's `invalid_grant`, "failed jkt verification").
 */
export function checkRefreshBinding(jkt: string | null, proof: DPoPProof | null | undefined): void {
  if (provesBinding(jkt, proof)) return
  throw new OAuthError('invalid_grant', undefined, 400,
    proof ? 'DPoP proof of another key' : 'bound refresh token without a DPoP proof')
}
