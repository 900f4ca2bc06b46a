import { scopeClaims } from '../tokens/claims.ts'
import { protectedResource } from './protected-resource.ts'

/** OIDC Core §5.3 UserInfo (authentik §6), GET and POST, CORS by the provider's redirect URIs; one statement. */
export const userinfo = protectedResource({
  scopes: ['openid'],
  corsMethods: 'GET, POST, OPTIONS',
  render(token, user, sub) {
    // authentik: `sub` of the token's ID token, then the mapping claims (which may override it), then `nonce`.
    const claims: Record<string, unknown> = { sub, ...scopeClaims(token, token.scopes, user) }
    const nonce = token.facts.nonce
    if (typeof nonce === 'string' && nonce !== '') claims.nonce = nonce
    return claims
  },
})
