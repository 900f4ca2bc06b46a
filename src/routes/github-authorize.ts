import type { Handler } from 'hono'
import type { AppEnv } from '../deps.ts'
import { AUTHORIZE_ENDPOINTS } from '../oauth/authorize-endpoints.ts'
import { authorizeThrough, requestParams } from './authorization.ts'

/**
 * GitHub's `/login/oauth/authorize` (authentik `GitHubAuthorizeView`): the authorization endpoint that also grants
 * GitHub's scopes (`user`, `read:user`, `user:email`, `read:org`), for tools that only speak GitHub OAuth.
 */
export const githubAuthorize: Handler<AppEnv> = async (c) => {
  const params = await requestParams(c)
  if ([...params.keys()].length === 0) return c.notFound()
  // GitHub's authorize URL has no response_type: a GitHub client that sends none asks for a code.
  if (!params.get('response_type')) params.set('response_type', 'code')
  return authorizeThrough(c, params, AUTHORIZE_ENDPOINTS.github)
}
