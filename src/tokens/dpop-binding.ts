import type { DPoPProof } from '../oauth/dpop.ts'

/** RFC 9449 §6.1 (RFC 7800 §3.1): the access token's `cnf.jkt` when the request carried a proof. */
export function withConfirmation(
  claims: Record<string, unknown>, proof: DPoPProof | null | undefined,
): Record<string, unknown> {
  return proof ? { ...claims, cnf: { jkt: proof.jkt } } : claims
}
