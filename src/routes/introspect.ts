import { bundleOfRow, type BundleRow } from '../db/provider-row.ts'
import { dpopMembers } from '../oauth/dpop-introspection.ts'
import { presentedTokenOf } from '../oauth/presented-token.ts'
import { audienceClaim } from '../oauth/resource.ts'
import { idTokenClaims } from '../tokens/id-token.ts'
import { idTokenParties } from '../tokens/issue.ts'
import { clientEndpoint } from './client-endpoint.ts'

const INACTIVE = { active: false }

/**
 * RFC 7662 token introspection (authentik §4.8), one statement: the caller's provider and the token together.
 * Safer than authentik, which answers 200 `{"active": false}` to anyone: a caller that names no client, an unknown
 * one or a wrong secret is refused with 401 `invalid_client` and a challenge (§2.1: the endpoint MUST require
 * authentication; §2.3). A public client is known but cannot authenticate (its client_id is public), so it
 * learns nothing: `{"active": false}` as authentik answers, since its request is well-formed and §2.2 lets the
 * server keep a token's state from a caller not allowed to see it.
 */
export const introspect = clientEndpoint({
  name: 'introspection',
  invalidClientIs401: true,
  async handle({ form, client, ctx }) {
    const { bundle, token } = await presentedTokenOf(ctx, client, form, { withClaims: true })
    // RFC 7662 §2.2: an inactive token is `{"active": false}` and nothing more. Safer than authentik, which
    // answers a revoked (e.g. rotated-out) refresh token's claims with it: sub, email, groups, sid, nonce...
    if (bundle.provider.clientType !== 'confidential' || !token || token.revoked || !token.user?.isActive) return INACTIVE
    const tokenBundle = bundleOfRow(token.bundle as BundleRow | undefined)
    if (!tokenBundle) return INACTIVE
    // authentik: the token's ID token claims (rebuilt from its stored facts, its user and its provider), then
    // `active`, the token's scope and the client_id of the provider it was issued to; `aud` its RFC 8707
    // resources (§2.2).
    const scopes = token.scope.split(' ').filter((s) => s !== '')
    const claims = idTokenClaims(await idTokenParties(ctx, tokenBundle, token.user, scopes), token.facts, { jti: null })
    return { ...claims, ...(token.audience && { aud: audienceClaim(token.audience) }), active: true,
      scope: token.scope, client_id: token.clientId, ...dpopMembers(token) }
  },
})
