import type { PresentedToken } from '../db/presented-token.ts'

/**
 * RFC 9449 §6.2: introspecting a DPoP-bound token tells its key (`cnf.jkt`, RFC 7800 §3.1) and, for an access
 * token, `token_type: DPoP`; an unbound token's answer gains nothing.
 */
export function dpopMembers(token: Pick<PresentedToken, 'kind' | 'jkt'>): Record<string, unknown> {
  if (token.jkt === null) return {}
  return { cnf: { jkt: token.jkt }, ...(token.kind === 'access_token' && { token_type: 'DPoP' }) }
}
