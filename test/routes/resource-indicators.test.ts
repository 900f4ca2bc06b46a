import { eq } from 'drizzle-orm'
import { decodeJwt } from 'jose'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { sha256Hex } from '../../src/crypto/hash.ts'
import { accessTokens, authorizationCodes, refreshTokens } from '../../src/db/schema.ts'
import { presentedTokenHash } from '../../src/oauth/presented-jti.ts'
import { createTestContext, START, type TestContext } from '../support/app.ts'
import { findForm, unescapeHtml, type TestAgent } from '../support/browser-forms.ts'
import {
  createProviderApp, createUserWithPassword, defaultMappingPks, EXPLICIT_CONSENT, json, type Provider, type User,
} from '../support/fixtures.ts'
import { AUTHORIZE, expectErrorRedirect, fragment, location, signIn } from './authorize/helpers.ts'
import { DEVICE_GRANT, insertDevice } from './device/support.ts'
import { ok, refused, TOKEN } from './token/support.ts'

const REDIRECT = 'http://localhost/cb'
const API = 'https://api.example.com/'
// RFC 8707 §2: a query SHOULD NOT be there, but is allowed.
const CALENDAR = 'https://calendar.example.com/v1?tenant=1'
const URN = 'urn:example:reports'
const ELSEWHERE = 'https://elsewhere.example.com/'

let t: TestContext
let client: Provider
let plain: Provider
let consenting: Provider
let agent: TestAgent
let alice: User
let iss: string

beforeAll(async () => {
  t = await createTestContext()
  const mappings = await defaultMappingPks(t)
  client = await createProviderApp(t, 'resources', {
    redirect_uris: [{ matching_mode: 'strict', url: REDIRECT }], property_mappings: mappings,
    allowed_resources: [API, CALENDAR, URN], grant_types: ['authorization_code', 'refresh_token',
      'client_credentials', 'implicit', 'device_code'],
  })
  plain = await createProviderApp(t, 'no-resources', {
    redirect_uris: [{ matching_mode: 'strict', url: REDIRECT }], property_mappings: mappings,
  })
  consenting = await createProviderApp(t, 'consenting', {
    redirect_uris: [{ matching_mode: 'strict', url: REDIRECT }], property_mappings: mappings,
    allowed_resources: [API, CALENDAR], authorization_flow: EXPLICIT_CONSENT,
  })
  iss = `http://localhost/application/o/resources/`
  alice = await createUserWithPassword(t, 'alice')
  agent = await signIn(t, 'alice')
}, 60_000)
afterAll(() => t.close())
beforeEach(() => t.clock.set(START))

/** An authorization request of `c` with every `resources` value as its own `resource` parameter. */
function authorizeUrl(resources: string[], extra: Record<string, string> = {}, c: Provider = client): string {
  const query = new URLSearchParams({ client_id: c.client_id, redirect_uri: REDIRECT, response_type: 'code',
    state: 'st', scope: 'openid offline_access', ...extra })
  for (const r of resources) query.append('resource', r)
  return `${AUTHORIZE}?${query}`
}

async function codeFor(resources: string[], c: Provider = client): Promise<string> {
  const res = await agent.get(authorizeUrl(resources, {}, c))
  expect(res.status, res.headers.get('Location') ?? '').toBe(302)
  return location(res).searchParams.get('code')!
}

/** A token request (client_secret_post) with `params` as given, repeated names included. */
function tokenRequest(params: Array<[string, string]>, c: Provider = client): Promise<Response> {
  return t.request(TOKEN, { method: 'POST', body: new URLSearchParams([...params,
    ['client_id', c.client_id], ['client_secret', c.client_secret]]) })
}

const exchange = (code: string, ...resources: string[]) => tokenRequest([['grant_type', 'authorization_code'],
  ['code', code], ['redirect_uri', REDIRECT], ...resources.map((r): [string, string] => ['resource', r])])

const refresh = (token: string, ...resources: string[]) => tokenRequest([['grant_type', 'refresh_token'],
  ['refresh_token', token], ...resources.map((r): [string, string] => ['resource', r])])

/** The refresh tokens of the grant `accessToken` belongs to, oldest first. */
async function refreshTokensOf(accessToken: string) {
  const [row] = await t.db.select().from(accessTokens).where(eq(accessTokens.tokenHash, await presentedTokenHash(accessToken)))
  const rows = await t.db.select().from(refreshTokens).where(eq(refreshTokens.grantId, row!.grantId))
  return rows.sort((a, b) => Number(a.revoked === false) - Number(b.revoked === false))
}

async function introspected(token: string): Promise<Record<string, unknown>> {
  return json(t.request('/application/o/introspect/', { method: 'POST', body: new URLSearchParams({
    token, client_id: client.client_id, client_secret: client.client_secret }) }))
}

describe('resource at the authorization endpoint (RFC 8707 §2.1)', () => {
  it('stores the allowed resource on the code, in the one statement', async () => {
    t.counter.reset()
    const res = await agent.get(authorizeUrl([API]))
    expect(t.counter.count).toBe(1)
    expect(res.status).toBe(302)
    const code = location(res).searchParams.get('code')!
    const rows = await t.db.select().from(authorizationCodes).where(eq(authorizationCodes.providerId, client.pk))
    expect(rows.find((r) => r.resources?.[0] === API)?.resources).toEqual([API])
    expect(code).toMatch(/^[A-Za-z0-9]{48}$/)
  })

  it.each([
    ['a resource the provider does not allow', ELSEWHERE],
    ['a URI with a fragment', `${API}#part`],
    ['a relative URI', '/api/'],
    ['a value that is no URI', 'api.example.com'],
  ])('redirects invalid_target with state and iss for %s, and stores nothing', async (_, resource) => {
    const before = (await t.db.select().from(authorizationCodes)).length
    const res = await agent.get(authorizeUrl([API, resource]))
    expectErrorRedirect(res, 302, { error: 'invalid_target',
      error_description: 'The requested resource is invalid, missing, unknown, or malformed', state: 'st', iss })
    expect(res.headers.get('Cache-Control')).toBe('no-store')
    expect((await t.db.select().from(authorizationCodes)).length).toBe(before)
  })

  it('refuses every resource of a provider that allows none', async () => {
    const res = await agent.get(authorizeUrl([API], {}, plain))
    expect(location(res).searchParams.get('error')).toBe('invalid_target')
  })

  it('carries every resource through the consent page, which validates them again', async () => {
    const page = await agent.get(authorizeUrl([API, CALENDAR], {}, consenting))
    expect(page.status).toBe(200)
    const form = findForm(await page.text(), '/consent')
    // Every hidden field as a browser posts it, repeated names included.
    const fields = [...form.body.matchAll(/<input\b[^>]*name="([^"]*)"[^>]*value="([^"]*)"/g)]
      .map((m): [string, string] => [unescapeHtml(m[1]!), unescapeHtml(m[2]!)])
    expect(fields.filter(([name]) => name === 'resource').map(([, value]) => value)).toEqual([API, CALENDAR])
    const res = await agent.request(form.action!, { method: 'POST', body: new URLSearchParams([...fields,
      ['action', 'allow']]).toString(), headers: { 'Content-Type': 'application/x-www-form-urlencoded',
      Origin: agent.origin } })
    expect(res.status, await res.clone().text()).toBe(303)
    const code = location(res).searchParams.get('code')!
    const body = await ok(await tokenRequest([['grant_type', 'authorization_code'], ['code', code],
      ['redirect_uri', REDIRECT]], consenting))
    expect(decodeJwt(body.access_token).aud).toEqual([API, CALENDAR])
  })

  it('restricts the access token of the implicit flow to the resource, in the fragment', async () => {
    const res = await agent.get(authorizeUrl([CALENDAR], { response_type: 'id_token token', nonce: 'n-1',
      scope: 'openid' }))
    expect(res.status).toBe(302)
    const answer = fragment(location(res))
    expect(decodeJwt(answer.get('access_token')!).aud).toBe(CALENDAR)
    expect(decodeJwt(answer.get('id_token')!).aud).toBe(client.client_id)
    const [row] = await t.db.select().from(accessTokens)
      .where(eq(accessTokens.tokenHash, await presentedTokenHash(answer.get('access_token')!)))
    expect(row!.audience).toEqual([CALENDAR])
  })
})

describe('resource at the token endpoint with a code (RFC 8707 §2.2)', () => {
  it('issues the access token for the code\'s resource: aud is it, stored and introspected, in one statement',
    async () => {
      const code = await codeFor([API])
      t.counter.reset()
      const body = await ok(await exchange(code))
      expect(t.counter.count).toBe(1)
      const access = decodeJwt(body.access_token)
      expect(access.aud).toBe(API)
      expect(access.azp).toBe(client.client_id)
      expect(decodeJwt(body.id_token).aud).toBe(client.client_id)
      const [row] = await t.db.select().from(accessTokens).where(eq(accessTokens.tokenHash, await sha256Hex(String(access.jti))))
      expect(row!.audience).toEqual([API])
      t.counter.reset()
      expect(await introspected(body.access_token)).toMatchObject({ active: true, aud: API, client_id: client.client_id })
      expect(t.counter.count).toBe(1)
    })

  it('answers an array aud for two resources, and the refresh token keeps both', async () => {
    const code = await codeFor([API, CALENDAR])
    const body = await ok(await exchange(code))
    expect(decodeJwt(body.access_token).aud).toEqual([API, CALENDAR])
    expect((await refreshTokensOf(body.access_token)).map((r) => r.resources)).toEqual([[API, CALENDAR]])
  })

  it('narrows one access token to a resource of the code; the refresh token is bound to the full grant', async () => {
    const code = await codeFor([API, CALENDAR])
    const body = await ok(await exchange(code, CALENDAR))
    expect(decodeJwt(body.access_token).aud).toBe(CALENDAR)
    const back = await ok(await refresh(body.refresh_token!))
    expect(decodeJwt(back.access_token).aud).toEqual([API, CALENDAR])
  })

  it('answers 400 invalid_target for a resource the code was not issued for, and leaves the code usable', async () => {
    const code = await codeFor([API])
    await refused(await exchange(code, CALENDAR), 400, 'invalid_target')
    await refused(await exchange(code, ELSEWHERE), 400, 'invalid_target')
    expect(decodeJwt((await ok(await exchange(code))).access_token).aud).toBe(API)
  })

  it('answers 400 invalid_target for any resource when the code has none: no wildcard, and the code stays usable',
    async () => {
      const code = await codeFor([])
      await refused(await exchange(code, URN), 400, 'invalid_target')
      await refused(await exchange(code, API, CALENDAR), 400, 'invalid_target')
      await refused(await exchange(code, `${API}#x`), 400, 'invalid_target')
      expect(decodeJwt((await ok(await exchange(code))).access_token).aud).toBe(client.client_id)
    })

  it('keeps authentik\'s audience, the client, without resources', async () => {
    const body = await ok(await exchange(await codeFor([])))
    expect(decodeJwt(body.access_token).aud).toBe(client.client_id)
    const [row] = await t.db.select().from(accessTokens)
      .where(eq(accessTokens.tokenHash, await presentedTokenHash(body.access_token)))
    expect(row!.audience).toBeNull()
    expect((await introspected(body.access_token)).aud).toBe(client.client_id)
  })

  it('still refuses any other parameter sent twice', async () => {
    const code = await codeFor([API])
    const res = await tokenRequest([['grant_type', 'authorization_code'], ['code', code], ['code', code],
      ['redirect_uri', REDIRECT]])
    await refused(res, 400, 'invalid_request')
  })
})

describe('resource with a refresh token (RFC 8707 §2.2)', () => {
  it('narrows to a granted resource, refuses a wider set, and rotates without narrowing the grant', async () => {
    const body = await ok(await exchange(await codeFor([API, CALENDAR])))
    await refused(await refresh(body.refresh_token!, API, URN), 400, 'invalid_target')
    const narrow = await ok(await refresh(body.refresh_token!, API))
    expect(decodeJwt(narrow.access_token).aud).toBe(API)
    // The rotated token and its successor: both bound to the whole grant.
    expect((await refreshTokensOf(narrow.access_token)).map((r) => [r.revoked, r.resources]))
      .toEqual([[true, [API, CALENDAR]], [false, [API, CALENDAR]]])
    expect(decodeJwt((await ok(await refresh(narrow.refresh_token!, CALENDAR))).access_token).aud).toBe(CALENDAR)
  })

  it('grants no resource by refresh when the grant has none (a subset of nothing), and keeps the token usable',
    async () => {
      const body = await ok(await exchange(await codeFor([])))
      await refused(await refresh(body.refresh_token!, ELSEWHERE), 400, 'invalid_target')
      await refused(await refresh(body.refresh_token!, API), 400, 'invalid_target')
      await refused(await refresh(body.refresh_token!, API, CALENDAR), 400, 'invalid_target')
      expect(decodeJwt((await ok(await refresh(body.refresh_token!))).access_token).aud).toBe(client.client_id)
    })
})

describe('resource with client_credentials (RFC 8707 §2.2)', () => {
  const credentials = (...resources: string[]) => tokenRequest([['grant_type', 'client_credentials'],
    ['scope', 'openid'], ...resources.map((r): [string, string] => ['resource', r])])

  it('restricts the token to the allowed resources asked for, in one statement', async () => {
    t.counter.reset()
    const body = await ok(await credentials(API, URN))
    expect(t.counter.count).toBe(1)
    expect(decodeJwt(body.access_token).aud).toEqual([API, URN])
    expect((await introspected(body.access_token)).aud).toEqual([API, URN])
  })

  it('keeps the client as audience without resources', async () => {
    expect(decodeJwt((await ok(await credentials())).access_token).aud).toBe(client.client_id)
  })

  it('answers 400 invalid_target for a resource not allowed, a fragment or a relative URI', async () => {
    for (const resource of [ELSEWHERE, `${URN}#x`, 'reports']) {
      await refused(await credentials(API, resource), 400, 'invalid_target')
    }
  })
})

describe('resource with the device code (RFC 8707 §2.2, RFC 8628 §3.4)', () => {
  it('restricts the token to an allowed resource, and refuses another without consuming the device code', async () => {
    const { deviceCode } = await insertDevice(t, { ...client, slug: 'resources' }, { status: 'approved',
      userPk: alice.pk })
    const poll = (resource: string) => tokenRequest([['grant_type', DEVICE_GRANT], ['device_code', deviceCode],
      ['resource', resource]])
    await refused(await poll(ELSEWHERE), 400, 'invalid_target')
    expect(decodeJwt((await ok(await poll(URN))).access_token).aud).toBe(URN)
  })
})
