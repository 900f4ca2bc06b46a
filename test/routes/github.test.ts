import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { accessTokens } from '../../src/db/schema.ts'
import { slugify, teamId } from '../../src/oauth/github-api.ts'
import { createTestContext, type TestContext } from '../support/app.ts'
import { createGroup, createUser, json, type Group, type User } from '../support/fixtures.ts'
import {
  codeParams, createClient, insertCode, ok, REDIRECT, refused, type Client, type TokenBody,
} from './token/support.ts'
import { presentedTokenHash } from '../../src/oauth/presented-jti.ts'

const ACCESS_TOKEN_URL = '/login/oauth/access_token'
const INVALID = 'Bearer error="invalid_token", error_description="The access token is invalid, expired or revoked"'
const INSUFFICIENT = 'Bearer error="insufficient_scope", '
  + 'error_description="The request requires higher privileges than provided by the access token"'

let t: TestContext
let client: Client
let user: User
let groups: Group[]

beforeAll(async () => {
  t = await createTestContext()
  client = await createClient(t, 'github-compat')
  user = await createUser(t, 'octocat', { name: 'The Octocat', email: 'octocat@example.com' })
  groups = [await createGroup(t, 'Site Admins', { users: [user.pk] }), await createGroup(t, 'Ünïcode & Co. -', { users: [user.pk] })]
}, 60_000)
afterAll(() => t.close())

/** A code of `user` with GitHub's scopes (as /login/oauth/authorize stores them), exchanged at GitHub's token URL. */
async function githubToken(scope: string, forUser = user): Promise<TokenBody> {
  const { code } = await insertCode(t, client, forUser, { scope })
  const res = await t.request(ACCESS_TOKEN_URL, {
    method: 'POST', headers: { Accept: 'application/json' }, body: new URLSearchParams(codeParams(client, code)),
  })
  return ok(res)
}

const get = (path: string, value: string, scheme = 'Bearer') =>
  t.request(path, { headers: { Authorization: `${scheme} ${value}` } })

function expectChallenge(res: Response, status: number, challenge: string): void {
  expect(res.status).toBe(status)
  expect(res.headers.get('WWW-Authenticate')).toBe(challenge)
  expect(res.headers.get('Cache-Control')).toBe('no-store')
}

describe('GitHub token URL (/login/oauth/access_token, the token endpoint)', () => {
  it('exchanges a code as the token endpoint does, with its JSON answer', async () => {
    const tokens = await githubToken('user:email read:org')
    expect(Object.keys(tokens).sort()).toEqual(['access_token', 'expires_in', 'id_token', 'scope', 'token_type'])
    expect(tokens).toMatchObject({ token_type: 'Bearer', scope: 'user:email read:org', expires_in: 3600 })
  })

  it('renders the token endpoint\'s errors and sends its CORS headers', async () => {
    const origin = new URL(REDIRECT).origin
    const res = await t.request(ACCESS_TOKEN_URL, {
      method: 'POST', headers: { Origin: origin }, body: new URLSearchParams(codeParams(client, 'no-such-code')),
    })
    await refused(res, 400, 'invalid_grant')
    expect(res.headers.get('Access-Control-Allow-Origin')).toBe(origin)
    const preflight = await t.request(ACCESS_TOKEN_URL, { method: 'OPTIONS', headers: { Origin: origin } })
    expect(preflight.status).toBe(204)
  })
})

describe('GET /user (authentik GitHubUserView)', () => {
  it('answers GitHub\'s user shape for a token with user:email, in one statement', async () => {
    const tokens = await githubToken('user:email')
    t.counter.reset()
    const res = await get('/user', tokens.access_token)
    expect(t.counter.count).toBe(1)
    expect(res.status).toBe(200)
    expect(res.headers.get('Content-Type')).toMatch(/^application\/json/)
    expect(res.headers.get('Cache-Control')).toBe('no-store')
    expect(res.headers.get('Access-Control-Allow-Origin')).toBeNull()
    // The user joined at the fixed clock's start; Django writes whole seconds without a fraction.
    const joined = '2026-06-01T12:00:00Z'
    expect(await json(res)).toEqual({
      login: 'octocat', id: user.pk, node_id: '', avatar_url: '', gravatar_id: '', url: '', html_url: '',
      followers_url: '', following_url: '', gists_url: '', starred_url: '', subscriptions_url: '',
      organizations_url: '', repos_url: '', events_url: '', received_events_url: '', type: 'User', site_admin: false,
      name: 'The Octocat', company: '', blog: '', location: '', email: 'octocat@example.com', hireable: false, bio: '',
      public_repos: 0, public_gists: 0, followers: 0, following: 0, created_at: joined, updated_at: joined,
      private_gists: 0, total_private_repos: 0, owned_private_repos: 0, disk_usage: 0, collaborators: 0,
      two_factor_authentication: true, plan: { name: 'None', space: 0, private_repos: 0, collaborators: 0 },
    })
  })

  it('refuses a token without user:email with 403 insufficient_scope', async () => {
    const tokens = await githubToken('read:org openid')
    expectChallenge(await get('/user', tokens.access_token), 403, INSUFFICIENT)
  })

  it('refuses no token, an unknown token and a revoked one with 401 and an empty body', async () => {
    const none = await t.request('/user')
    expectChallenge(none, 401, 'Bearer realm="edge-oidc"')
    expect(await none.text()).toBe('')
    expectChallenge(await get('/user', 'no-such-token'), 401, INVALID)
    const tokens = await githubToken('user:email')
    await t.db.update(accessTokens).set({ revoked: true })
      .where(eq(accessTokens.tokenHash, await presentedTokenHash(tokens.access_token)))
    expectChallenge(await get('/user', tokens.access_token), 401, INVALID)
  })

  it('refuses a token issued for another resource (RFC 8707 §2): /user is the provider\'s own resource', async () => {
    const tokens = await githubToken('user:email')
    expect((await get('/user', tokens.access_token)).status).toBe(200)
    await t.db.update(accessTokens).set({ audience: ['https://api.example/'] })
      .where(eq(accessTokens.tokenHash, await presentedTokenHash(tokens.access_token)))
    expectChallenge(await get('/user', tokens.access_token), 401,
      'Bearer error="invalid_token", error_description="The access token was issued for another resource"')
  })

  it('accepts only the Bearer scheme, as authentik does: GitHub\'s `token <value>` is no token', async () => {
    const tokens = await githubToken('user:email read:org')
    expectChallenge(await get('/user', tokens.access_token, 'token'), 401, 'Bearer realm="edge-oidc"')
    expect((await get('/user', tokens.access_token, 'bearer')).status).toBe(200)
  })

  it('answers GET only', async () => {
    const tokens = await githubToken('user:email')
    const res = await t.request('/user', { method: 'POST', headers: { Authorization: `Bearer ${tokens.access_token}` } })
    expect(res.status).toBe(404)
  })
})

describe('GET /user/teams (authentik GitHubUserTeamsView)', () => {
  it('answers one GitHub team per group of the user, in the edge-oidc organisation', async () => {
    const tokens = await githubToken('user:email read:org')
    t.counter.reset()
    const res = await get('/user/teams', tokens.access_token)
    expect(t.counter.count).toBe(1)
    expect(res.status).toBe(200)
    expect(res.headers.get('Cache-Control')).toBe('no-store')
    const organization = {
      login: 'edge-oidc', id: 1, node_id: '', url: '', repos_url: '', events_url: '', hooks_url: '', issues_url: '',
      members_url: '', public_members_url: '', avatar_url: '', description: '', name: 'edge-oidc', company: '',
      blog: '', location: '', email: '', is_verified: true, has_organization_projects: true,
      has_repository_projects: true, public_repos: 0, public_gists: 0, followers: 0, following: 0, html_url: '',
      created_at: '', updated_at: '', type: 'Organization',
    }
    const team = (group: Group, slug: string) => ({
      id: Number(BigInt(`0x${group.pk.replace(/-/g, '')}`) >> 76n), node_id: '', url: '', html_url: '', name: group.name, slug, description: '',
      privacy: '', permission: '', members_url: '', repositories_url: '', parent: null, members_count: 0,
      repos_count: 0, created_at: '', updated_at: '', organization,
    })
    const body = await json<Array<Record<string, unknown>>>(res)
    expect(body).toEqual(expect.arrayContaining([team(groups[0]!, 'site-admins'), team(groups[1]!, 'unicode-co')]))
    expect(body).toHaveLength(2)
    expect(Number.isSafeInteger(body[0]!.id)).toBe(true)
  })

  it('answers [] for a user in no group', async () => {
    const loner = await createUser(t, 'loner')
    const tokens = await githubToken('read:org', loner)
    expect(await json(await get('/user/teams', tokens.access_token))).toEqual([])
  })

  it('refuses a token without read:org with 403 insufficient_scope', async () => {
    const tokens = await githubToken('user:email')
    expectChallenge(await get('/user/teams', tokens.access_token), 403, INSUFFICIENT)
  })
})

describe('Django\'s slugify, as authentik names teams and the organisation', () => {
  it.each([['Site Admins', 'site-admins'], ['  Hello,  World! ', 'hello-world'], ['_under_score_', 'under_score'],
    ['Crème brûlée', 'creme-brulee'], ['a -- b', 'a-b'], ['日本', '']])('%s -> %s', (name, slug) => {
    expect(slugify(name)).toBe(slug)
  })
})

describe('a team id from a group uuid', () => {
  it('is the uuid\'s first 52 bits, the largest a JSON number holds exactly', () => {
    expect(teamId('01234567-89ab-cdef-0123-456789abcdef')).toBe(20015998343868)
    expect(teamId('ffffffff-ffff-ffff-ffff-ffffffffffff')).toBe(2 ** 52 - 1)
    expect(Number.isSafeInteger(teamId('ffffffff-ffff-ffff-ffff-ffffffffffff'))).toBe(true)
  })
})
