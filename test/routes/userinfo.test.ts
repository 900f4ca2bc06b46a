import { eq } from 'drizzle-orm'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { sha256Hex } from '../../src/crypto/hash.ts'
import { accessTokens, events, users } from '../../src/db/schema.ts'
import { createTestContext, START, type TestContext } from '../support/app.ts'
import { createGroup, createProviderApp, createScopeMapping, createUser, defaultMappingPks } from '../support/fixtures.ts'

const URL = '/application/o/userinfo/'
const RP = 'https://rp.example.com'
const HOUR = 3_600_000
const INVALID = 'Bearer error="invalid_token", error_description="The access token is invalid, expired or revoked"'
const PROFILE = { name: 'Jane Doe', given_name: 'Jane Doe', preferred_username: 'jane', nickname: 'jane', groups: ['staff'] }

let t: TestContext
let userId: number
/** The user's `sub`: the provider's `sub_mode` is `user_uuid`, so userinfo's is the user's uuid. */
let sub: string
let providerId: number

async function json<T>(res: Response, status = 200): Promise<T> {
  expect(res.status, await res.clone().text()).toBe(status)
  return (await res.json()) as T
}

async function mapping(name: string, scope: string, expression: Record<string, unknown>): Promise<string> {
  return (await createScopeMapping(t, { name, scope_name: scope, expression })).pk
}

beforeAll(async () => {
  t = await createTestContext()
  const group = await createGroup(t, 'staff')
  const jane = await createUser(t, 'jane', {
    name: 'Jane Doe', email: 'jane@example.com', groups: [group.pk], attributes: { org: { department: 'R&D' } },
  })
  userId = jane.pk
  sub = jane.uuid
  const managed = await defaultMappingPks(t)
  const custom = [
    await mapping('sub override', 'pseudonym', { sub: { path: 'user.username' } }),
    await mapping('department', 'org', { department: { path: 'user.attributes.org.department' }, missing: { path: 'user.attributes.nope' } }),
  ]
  providerId = (await createProviderApp(t, 'userinfo-app', {
    name: 'userinfo', redirect_uris: [{ url: `${RP}/callback` }], property_mappings: [...managed, ...custom],
    sub_mode: 'user_uuid',
  }, { name: 'Userinfo App' })).pk
})
afterAll(() => t.close())
afterEach(() => t.clock.set(START))

/** An access_tokens row as the token endpoint stores it; userinfo only looks at the hash of the value. */
async function token(values: { scope?: string; idToken?: Record<string, unknown>; revoked?: boolean; expiresIn?: number;
  user?: number } = {}): Promise<string> {
  const value = `at-${crypto.randomUUID()}`
  const now = t.clock.now()
  await t.db.insert(accessTokens).values({
    tokenHash: await sha256Hex(value), providerId, userId: values.user ?? userId,
    grantId: crypto.randomUUID(), scope: values.scope ?? 'openid profile email', authTime: now,
    expires: new Date(now.getTime() + (values.expiresIn ?? HOUR)), idToken: values.idToken ?? {},
    revoked: values.revoked ?? false,
  })
  return value
}

const get = (value: string, headers: Record<string, string> = {}) =>
  t.request(URL, { headers: { Authorization: `Bearer ${value}`, ...headers } })

function expectBearerError(res: Response, status: number, challenge: string): void {
  expect(res.status).toBe(status)
  expect(res.headers.get('WWW-Authenticate')).toBe(challenge)
  expect(res.headers.get('Cache-Control')).toBe('no-store')
}

describe('userinfo claims', () => {
  it('answers test_userinfo.py: the token\'s sub plus the profile claims, no-store, in one statement', async () => {
    const value = await token({ scope: 'openid user profile' })
    t.counter.reset()
    const res = await get(value)
    expect(t.counter.count).toBe(1)
    expect(await json(res)).toEqual({ ...PROFILE, sub })
    expect(res.headers.get('Content-Type')).toBe('application/json')
    expect(res.headers.get('Cache-Control')).toBe('no-store')
    expect(res.headers.get('Access-Control-Allow-Origin')).toBeNull()
  })

  it('adds the email scope claims with email_verified false', async () => {
    expect(await json(await get(await token()))).toEqual({
      ...PROFILE, sub, email: 'jane@example.com', email_verified: false,
    })
  })

  it('lets a mapping override sub', async () => {
    expect(await json(await get(await token({ scope: 'openid pseudonym' })))).toEqual({ sub: 'jane' })
  })

  it('reads user.attributes paths and leaves out claims whose source is missing', async () => {
    expect(await json(await get(await token({ scope: 'openid org' })))).toEqual({ sub, department: 'R&D' })
  })

  it('includes the nonce of the token\'s authorization, as authentik does', async () => {
    const value = await token({ scope: 'openid', idToken: { nonce: 'n-0S6_WzA2Mj' } })
    expect(await json(await get(value))).toEqual({ sub, nonce: 'n-0S6_WzA2Mj' })
  })

  it('accepts a lowercase scheme and a token in a form-encoded POST body', async () => {
    const value = await token({ scope: 'openid' })
    expect(await json(await t.request(URL, { headers: { Authorization: `bearer ${value}` } }))).toEqual({ sub })
    expect(await json(await t.request(URL, { method: 'POST', headers: { Authorization: `Bearer ${value}` } })))
      .toEqual({ sub })
    const res = await t.request(URL, { method: 'POST', body: new URLSearchParams({ access_token: value }) })
    expect(await json(res)).toEqual({ sub })
  })
})

describe('userinfo and the token\'s audience (RFC 8707 §2, RFC 9068 §4)', () => {
  const API = 'https://api.example/'
  const OTHER = 'Bearer error="invalid_token", error_description="The access token was issued for another resource"'

  it('refuses a token issued for a resource (401 invalid_token), and serves one issued to the client', async () => {
    const provider = await createProviderApp(t, 'resource-server', {
      redirect_uris: [{ url: `${RP}/callback` }], property_mappings: await defaultMappingPks(t),
      grant_types: ['client_credentials'], allowed_resources: [API], access_token_format: 'rfc9068',
    })
    const issue = async (resource?: string) => {
      const res = await t.request('/application/o/token/', { method: 'POST', body: new URLSearchParams({
        grant_type: 'client_credentials', client_id: provider.client_id, client_secret: provider.client_secret,
        scope: 'openid profile email', ...(resource && { resource }) }) })
      return (await json<{ access_token: string }>(res)).access_token
    }
    const restricted = await issue(API)
    t.counter.reset()
    const res = await get(restricted)
    expectBearerError(res, 401, OTHER)
    expect(await res.text()).toBe('')
    expect(t.counter.count).toBe(1)
    expect(await json(await get(await issue()))).toMatchObject({ preferred_username: 'ak-resource-server-client_credentials' })
  })
})

describe('userinfo errors', () => {
  it('challenges a request without a token with a bare realm (RFC 6750 §3.1)', async () => {
    expectBearerError(await t.request(URL), 401, 'Bearer realm="edge-oidc"')
    expectBearerError(await t.request(URL, { headers: { Authorization: 'Basic Zm9vOmJhcg==' } }), 401,
      'Bearer realm="edge-oidc"')
    const res = await t.request(URL, { method: 'POST' })
    expectBearerError(res, 401, 'Bearer realm="edge-oidc"')
    expect(await res.text()).toBe('')
  })

  it('refuses a token in the query string (RFC 9700), unlike authentik', async () => {
    const value = await token()
    expectBearerError(await t.request(`${URL}?access_token=${value}`), 401,
      'Bearer error="invalid_token", error_description="Access tokens are not accepted in the query string"')
  })

  it('answers an unknown token with invalid_token and an empty body', async () => {
    const res = await get('not-a-token')
    expectBearerError(res, 401, INVALID)
    expect(await res.text()).toBe('')
  })

  it('answers an expired token with invalid_token', async () => {
    const value = await token({ expiresIn: 60_000 })
    t.clock.advance(60_000)
    expectBearerError(await get(value), 401, INVALID)
  })

  it('answers a revoked token with invalid_token and records a suspicious_request', async () => {
    const value = await token({ revoked: true })
    t.counter.reset()
    expectBearerError(await get(value, { 'CF-Connecting-IP': '192.0.2.7' }), 401, INVALID)
    expect(t.counter.count).toBe(2)
    const [row] = await t.db.select().from(events).where(eq(events.action, 'suspicious_request'))
    const [stored] = await t.db.select({ id: accessTokens.id }).from(accessTokens)
      .where(eq(accessTokens.tokenHash, await sha256Hex(value)))
    expect(row).toMatchObject({
      user: { pk: userId, username: 'jane' }, clientIp: '192.0.2.7',
      context: { message: 'Revoked access token was used', token: { pk: stored!.id }, provider: { pk: providerId, name: 'userinfo' } },
    })
    expect(JSON.stringify(row)).not.toContain(value)
  })

  it('answers a token of an inactive user with invalid_token', async () => {
    const other = await json<{ pk: number }>(await t.admin('POST', '/core/users/', { username: 'gone' }), 201)
    const value = await token({ user: other.pk })
    await t.db.update(users).set({ isActive: false }).where(eq(users.id, other.pk))
    expectBearerError(await get(value), 401, INVALID)
  })

  it('answers a token without openid with insufficient_scope (403)', async () => {
    expectBearerError(await get(await token({ scope: 'profile email' })), 403,
      'Bearer error="insufficient_scope", error_description="The request requires higher privileges than provided by the access token"')
  })
})

describe('userinfo CORS', () => {
  it('lets an origin of a registered redirect URI read the answer, and no other', async () => {
    const value = await token({ scope: 'openid' })
    const allowed = await get(value, { Origin: RP })
    expect(allowed.status).toBe(200)
    expect(allowed.headers.get('Access-Control-Allow-Origin')).toBe(RP)
    expect(allowed.headers.get('Access-Control-Allow-Credentials')).toBe('true')
    const other = await get(value, { Origin: 'https://evil.example.com' })
    expect(other.status).toBe(200)
    expect(other.headers.get('Access-Control-Allow-Origin')).toBeNull()
    expect(other.headers.get('Access-Control-Allow-Credentials')).toBeNull()
  })

  it('lets a matching origin read a bearer error of its provider', async () => {
    const res = await get(await token({ scope: 'email' }), { Origin: RP })
    expect(res.status).toBe(403)
    expect(res.headers.get('Access-Control-Allow-Origin')).toBe(RP)
    expect(res.headers.get('Access-Control-Expose-Headers')).toBe('WWW-Authenticate, DPoP-Nonce')
  })

  it('answers a preflight with the allowed methods and headers, reading nothing', async () => {
    const preflight = { 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization' }
    const res = await t.request(URL, { method: 'OPTIONS', headers: { Origin: RP, ...preflight } })
    expect(res.status).toBe(204)
    expect(res.headers.get('Access-Control-Allow-Origin')).toBe(RP)
    expect(res.headers.get('Access-Control-Allow-Credentials')).toBe('true')
    expect(res.headers.get('Access-Control-Allow-Methods')).toBe('GET, POST, OPTIONS')
    expect(res.headers.get('Access-Control-Allow-Headers')).toBe('authorization')
    // A preflight names no token and reads nothing; what guards the claims is the answer to the request itself.
    t.counter.reset()
    const other = await t.request(URL, { method: 'OPTIONS', headers: { Origin: 'https://evil.example.com', ...preflight } })
    expect(other.status).toBe(204)
    expect(t.counter.count).toBe(0)
  })
})
