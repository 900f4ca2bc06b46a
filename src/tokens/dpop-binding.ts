import type { ProofJtiRecord } from '../db/proof-jti.ts'
import type { ProviderBundle } from '../db/providers.ts'
import type { DPoPProof } from '../oauth/dpop.ts'

/** RFC 9449 §6.1 (RFC 7800 §3.1): the access token's `cnf.jkt` when the request carried a proof. */
export function withConfirmation(
  claims: Record<string, unknown>, proof: DPoPProof | null | undefined,
): Record<string, unknown> {
  return proof ? { ...claims, cnf: { jkt: proof.jkt } } : claims
}

/** What the access token's row is stored with: the key it is bound to and the proof's `jti` to record. */
export function accessBinding(
  proof: DPoPProof | null | undefined,
): { jkt: string | null; proofJti: ProofJtiRecord | null } {
  return { jkt: proof?.jkt ?? null, proofJti: proof?.jti ?? null }
}

/**
 * RFC 9449 §5: a public client's refresh token is bound to the proof's key; a confidential client's is not (it
 * is already bound to the client's credentials), and then only the access token carries the binding.
 */
export function refreshBinding(bundle: ProviderBundle, proof: DPoPProof | null | undefined): { jkt: string | null } {
  return { jkt: proof && bundle.provider.clientType === 'public' ? proof.jkt : null }
}
