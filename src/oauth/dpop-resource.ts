import type { DPoPNonces } from '../crypto/dpop-nonce.ts'
import { quotable } from './bearer.ts'
import { DPOP_ALGS, type DPoPProof } from './dpop.ts'
import { OAuthError, type OAuthErrorCode } from './errors.ts'
import { provesBinding } from './token-presentation.ts'

/** An error a protected resource answers with a `DPoP` challenge (RFC 9449 §7.1), whatever scheme was used. */
export class DPoPChallenge extends OAuthError {
  constructor(code: OAuthErrorCode, description: string, reason: string) {
    super(code, description, 401, reason)
  }
}

const DPOP_AUTHORIZATION = /^DPoP\s+(\S+)\s*$/i

/** RFC 9449 §7.1: the access token of `Authorization: DPoP <token>`; null for any other header (or none). */
export function dpopAccessToken(authorization: string | undefined): string | null {
  return DPOP_AUTHORIZATION.exec(authorization ?? '')?.[1] ?? null
}

/** What a protected resource knows of the token presented: its binding and its provider's nonce setting. */
export interface PresentedBinding {
  jkt: string | null
  proofFresh: boolean | null
  provider: { dpopRequireNonce: boolean }
}

/**
 * RFC 9449 §7 at a protected resource, after the lookup that recorded the proof's `jti`: with the DPoP scheme,
 * a proof that was not replayed (§11.1), carrying the current nonce when the provider requires one (§9), of the
 * key the token is bound to (§4.3 item 12); a token that is not DPoP-bound cannot be used with that scheme, since
 * there is no binding to confirm. With the Bearer scheme, a DPoP-bound token is refused (§7.2: no downgrade).
 */
export async function checkResourceProof(
  token: PresentedBinding, proof: DPoPProof | null, nonces: DPoPNonces, now: Date,
): Promise<void> {
  if (!proof) {
    if (!provesBinding(token.jkt, proof)) {
      throw new DPoPChallenge('invalid_token', 'DPoP-bound access token requires the DPoP scheme and a proof',
        'bound token sent as Bearer')
    }
    return
  }
  if (token.proofFresh === false) {
    throw new DPoPChallenge('invalid_dpop_proof', 'DPoP proof JWT replay detected', 'jti seen before')
  }
  if (token.provider.dpopRequireNonce && (proof.nonce === null || !(await nonces.accepts(proof.nonce, now)))) {
    throw new DPoPChallenge('use_dpop_nonce', 'Resource server requires nonce in DPoP proof',
      proof.nonce === null ? 'no nonce' : 'unknown or expired nonce')
  }
  if (token.jkt === null) {
    throw new DPoPChallenge('invalid_token', 'The access token is not DPoP-bound', 'unbound token as DPoP')
  }
  if (!provesBinding(token.jkt, proof)) {
    throw new DPoPChallenge('invalid_token', 'Invalid DPoP key binding', 'proof of another key')
  }
}

/** The status each code answers with at a protected resource (RFC 6750 §3.1, RFC 9449 §7.1). */
const STATUS: Partial<Record<OAuthErrorCode, 400 | 401 | 403>> = {
  invalid_token: 401, invalid_dpop_proof: 401, use_dpop_nonce: 401, insufficient_scope: 403, invalid_request: 400,
}

/**
 * RFC 9449 §7.1: an error of a protected resource as a `DPoP` challenge (with `algs`), an empty body, never
 * cached; `headers` may carry a fresh `DPoP-Nonce` (§9).
 */
export function dpopErrorResponse(error: OAuthError, headers: Record<string, string> = {}): Response {
  const challenge = `DPoP error="${error.code}", error_description="${quotable(error.description)}", `
    + `algs="${DPOP_ALGS.join(' ')}"`
  return new Response(null, {
    status: STATUS[error.code] ?? 400,
    headers: { ...headers, 'WWW-Authenticate': challenge, 'Cache-Control': 'no-store', Pragma: 'no-cache' },
  })
}
