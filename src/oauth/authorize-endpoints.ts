/**
 * GitHub's OAuth scopes (authentik `SCOPE_GITHUB`): granted on GitHub's authorize route although no scope mapping
 * names them, so tools that only speak GitHub OAuth can ask for them.
 */
export const GITHUB_SCOPES: readonly string[] = ['user', 'read:user', 'user:email', 'read:org']

/** The two doors of the authorization endpoint: authentik's, and GitHub's (`GitHubAuthorizeView`). */
export interface AuthorizeEndpoint {
  name: 'oidc' | 'github'
  path: string
  /** Scopes granted beyond the provider's mappings. */
  extraScopes: readonly string[]
}

/** Each door's path and what it grants beyond the mappings; the `name` travels through the consent form. */
export const AUTHORIZE_ENDPOINTS: Readonly<Record<AuthorizeEndpoint['name'], AuthorizeEndpoint>> = {
  oidc: { name: 'oidc', path: '/application/o/authorize/', extraScopes: [] },
  github: { name: 'github', path: '/login/oauth/authorize', extraScopes: GITHUB_SCOPES },
}
