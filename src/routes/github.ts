import { githubTeams, githubUser } from '../oauth/github-api.ts'
import { protectedResource } from './protected-resource.ts'

/**
 * authentik `GitHubUserView` (GitHub compatibility, §1): `GET /user` in GitHub's shape for a token granted
 * `user:email`; one statement. Like authentik, no CORS (server-side clients) and only `Bearer` tokens.
 */
export const githubUserEndpoint = protectedResource({
  scopes: ['user:email'],
  render: (token, user) => githubUser(user, token.userJoined),
})

/** authentik `GitHubUserTeamsView`: `GET /user/teams`, the user's groups as teams, for a token granted `read:org`. */
export const githubTeamsEndpoint = protectedResource({
  scopes: ['read:org'],
  render: (_token, user) => githubTeams(user),
})
