import { scopeClaims } from '../tokens/claims.ts'
import { protectedResource } from './protected-resource.ts'

/** OIDC Core §5.3 UserInfo (authentik §6), GET and POST, CORS by the provider's redirect URIs; one statement. */
export const userinfo = protectedResource({
  scopes: ['openid'],
  corsMethods: 'GET, POST, OPTIONS',
  render(token, user) {
    // authentik: `sub` from the stored ID token, then the mapping claims (which may override it), then `nonce`.
    const claims: Record<string, unknown> = { sub: token.idToken.sub, ...scopeClaims(token, token.scopes, user) }
    const nonce = token.idToken.nonce
    if (typeof nonce === 'string' && nonce !== '') claims.nonce = nonce
    return claims
  },
})
