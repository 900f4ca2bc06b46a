/**
 * Who may present an access token where: one rule for every place that accepts one (userinfo, GitHub's `/user`,
 * a federated provider's token as a client assertion, a refresh token's DPoP binding). Two questions, asked the
 * same way everywhere:
 *
 * - binding (RFC 9449 §7, §5): a token bound to a DPoP key (`cnf.jkt`) is accepted only with a proof of that key,
 *   whatever the place; a thief who holds only the token must not turn it into a bearer token somewhere else;
 * - audience (RFC 8707 §2, RFC 9068 §4, RFC 9700 §2.3): a token issued for resources (`aud` those resources) is
 *   accepted only by them. The provider's own resources (userinfo, `/user`, federation) are none of those: they
 *   accept only tokens issued to the client, the audience authentik's tokens have always had.
 */

/** What a place needs to know of the token presented to it. */
export interface PresentedAccess {
  /** RFC 9449 §6: the thumbprint of the key the token is bound to (null: a bearer token). */
  jkt: string | null
  /** RFC 8707: the resources it was issued for (null or empty: the default audience, the client). */
  audience: readonly string[] | null
}

/** RFC 9449 §7.1 / §5: whether a proof of the token's key came with it (always true for an unbound token). */
export function provesBinding(jkt: string | null, proof: { jkt: string } | null | undefined): boolean {
  return jkt === null || proof?.jkt === jkt
}

/**
 * RFC 8707 §2: whether the provider's own resources (userinfo, `/user`, federation) may accept the token: only
 * one issued to the client, never one restricted to other resources.
 */
export function issuedToClient(token: Pick<PresentedAccess, 'audience'>): boolean {
  return token.audience === null || token.audience.length === 0
}

/** Why a token may not be presented at one of the provider's own resources with `proof` (null: it may). */
export function presentationRefusal(token: PresentedAccess, proof: { jkt: string } | null | undefined):
  'binding' | 'audience' | null {
  if (!provesBinding(token.jkt, proof)) return 'binding'
  if (!issuedToClient(token)) return 'audience'
  return null
}
