import type { ClaimUser } from '../db/user-claims.ts'

/**
 * The organisation every team belongs to: authentik names it after the brand (`branding_title`, "authentik" by
 * default); we have no brands, so it is the product's name.
 */
export const GITHUB_ORGANIZATION = 'edge-oidc'

/** Django's `slugify`: ASCII only, lower case, word characters, spaces and hyphens, runs of them one hyphen. */
export function slugify(value: string): string {
  const ascii = value.normalize('NFKD').replace(/[^\x00-\x7f]/g, '')
  return ascii.toLowerCase().replace(/[^\w\s-]/g, '').trim().replace(/[-\s]+/g, '-').replace(/^[-_]+|[-_]+$/g, '')
}

/** Django's JSON encoding of a datetime: ISO 8601, milliseconds only when there are any, `Z` for UTC. */
export function djangoDate(iso: string | null): string | null {
  if (iso === null) return null
  const text = new Date(iso).toISOString()
  return text.endsWith('.000Z') ? `${text.slice(0, -5)}Z` : text
}

/**
 * A stable integer id for a group (GitHub's team `id` is a number; authentik sends the group's `num_pk`, which our
 * uuid-keyed groups lack): the first 52 bits of its uuid, a safe JSON integer.
 */
export function teamId(groupUuid: string): number {
  return Number.parseInt(groupUuid.replace(/-/g, '').slice(0, 13), 16)
}

/** authentik `GitHubUserView`: GitHub's `GET /user` shape, filled from the token's user. */
export function githubUser(user: ClaimUser, joined: string | null): Record<string, unknown> {
  const date = djangoDate(joined)
  return {
    login: user.username, id: user.id, node_id: '', avatar_url: '', gravatar_id: '', url: '', html_url: '',
    followers_url: '', following_url: '', gists_url: '', starred_url: '', subscriptions_url: '',
    organizations_url: '', repos_url: '', events_url: '', received_events_url: '', type: 'User', site_admin: false,
    name: user.name, company: '', blog: '', location: '', email: user.email, hireable: false, bio: '',
    public_repos: 0, public_gists: 0, followers: 0, following: 0, created_at: date, updated_at: date,
    private_gists: 0, total_private_repos: 0, owned_private_repos: 0, disk_usage: 0, collaborators: 0,
    two_factor_authentication: true, plan: { name: 'None', space: 0, private_repos: 0, collaborators: 0 },
  }
}

function organization(title: string): Record<string, unknown> {
  return {
    login: slugify(title), id: 1, node_id: '', url: '', repos_url: '', events_url: '', hooks_url: '', issues_url: '',
    members_url: '', public_members_url: '', avatar_url: '', description: '', name: title, company: '', blog: '',
    location: '', email: '', is_verified: true, has_organization_projects: true, has_repository_projects: true,
    public_repos: 0, public_gists: 0, followers: 0, following: 0, html_url: '', created_at: '', updated_at: '',
    type: 'Organization',
  }
}

/** authentik `GitHubUserTeamsView`: GitHub's `GET /user/teams` shape, one team per group of the user. */
export function githubTeams(user: ClaimUser, organizationTitle = GITHUB_ORGANIZATION): Array<Record<string, unknown>> {
  return user.groups.map((group) => ({
    id: teamId(group.id), node_id: '', url: '', html_url: '', name: group.name, slug: slugify(group.name),
    description: '', privacy: '', permission: '', members_url: '', repositories_url: '', parent: null,
    members_count: 0, repos_count: 0, created_at: '', updated_at: '', organization: organization(organizationTitle),
  }))
}
