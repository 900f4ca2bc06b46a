import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sha256Hex } from '../../src/crypto/hash.ts'
import { accessTokens, authorizationCodes, providers, refreshTokens, users } from '../../src/db/schema.ts'
import { createTestContext, START, type TestContext } from '../support/app.ts'

let ctx: TestContext
const at = (offsetMs: number) => new Date(new Date(START).getTime() + offsetMs)
const HOUR = 3_600_000
const GRANT = '00000000-0000-4000-8000-000000000001'
const UNKNOWN = '00000000-0000-4000-8000-0000000000ff'
const hashes: string[] = []
let alice: typeof users.$inferSelect
let bob: typeof users.$inferSelect
let one: typeof providers.$inferSelect
let two: typeof providers.$inferSelect
const ids: Record<string, string> = {}

async function hash(label: string): Promise<string> {
  const h = await sha256Hex(`secret-${label}`)
  hashes.push(h)
  return h
}

function grantRow(user: number, provider: number, expires: Date) {
  return {
    providerId: provider, userId: user, grantId: GRANT, scope: 'openid email offline_access', authTime: at(-HOUR),
    created: at(-HOUR), expires,
  }
}

beforeAll(async () => {
  ctx = await createTestContext()
  ;[alice, bob] = (await ctx.db.insert(users).values([
    { username: 'alice', name: 'Alice A', email: 'alice@example.com' }, { username: 'bob' },
  ]).returning()) as [typeof alice, typeof bob]
  const provider = (name: string, clientId: string) => ({
    name, clientId, authorizationFlow: 'default-provider-authorization-implicit-consent',
    clientSecretSealed: 'sealed-not-read-here', grantTypes: ['authorization_code' as const],
  })
  ;[one, two] = (await ctx.db.insert(providers).values([provider('One', 'client-one'), provider('Two', 'client-two')])
    .returning()) as [typeof one, typeof two]
  // Keys in jsonb's own order (shorter first, then bytewise), so the JSON text round-trips unchanged.
  const claims = { iss: 'https://idp.example/application/o/one/', sub: 'alice-sub' }
  const access = [
    { label: 'a1', user: alice.id, provider: one.id, expires: at(HOUR) },
    { label: 'a2', user: bob.id, provider: two.id, expires: at(2 * HOUR) },
    { label: 'a3', user: alice.id, provider: two.id, expires: at(3 * HOUR) },
    { label: 'aExpired', user: alice.id, provider: one.id, expires: at(0) },
  ]
  for (const a of access) {
    const [row] = await ctx.db.insert(accessTokens).values({
      ...grantRow(a.user, a.provider, a.expires), tokenHash: await hash(a.label), idToken: claims,
    }).returning()
    ids[a.label] = row!.id
  }
  for (const [label, expires, revoked] of [['r1', at(HOUR), false], ['r2', at(2 * HOUR), true],
    ['rExpired', at(-1), false]] as const) {
    const [row] = await ctx.db.insert(refreshTokens).values({
      ...grantRow(alice.id, one.id, expires), tokenHash: await hash(label), idToken: claims, revoked,
    }).returning()
    ids[label] = row!.id
  }
  for (const [label, expires] of [['c1', at(60_000)], ['cExpired', at(-60_000)]] as const) {
    const [row] = await ctx.db.insert(authorizationCodes).values({
      ...grantRow(bob.id, two.id, expires), codeHash: await hash(label),
      redirectUri: 'https://app.example/cb',
    }).returning()
    ids[label] = row!.id
  }
})
afterAll(async () => ctx.close())

const userOf = (u: typeof alice) => ({ pk: u.id, username: u.username, name: u.name, email: u.email })
const providerOf = (p: typeof one) => ({ pk: p.id, name: p.name, client_id: p.clientId })
const claimsText = JSON.stringify({ iss: 'https://idp.example/application/o/one/', sub: 'alice-sub' }, null, 4)

function tokenBody(id: string, user: typeof alice, provider: typeof one, expires: Date, revoked = false) {
  return {
    pk: id, provider: providerOf(provider), user: userOf(user), is_expired: false, expires: expires.toISOString(),
    scope: ['openid', 'email', 'offline_access'], id_token: claimsText, revoked,
  }
}

async function json(res: Response): Promise<unknown> {
  const body = await res.json()
  for (const h of hashes) expect(JSON.stringify(body)).not.toContain(h)
  return body
}

describe('/api/v3/oauth2/access_tokens/', () => {
  it('answers 401 without the admin token', async () => {
    const res = await ctx.request('/api/v3/oauth2/access_tokens/')
    expect(res.status).toBe(401)
    expect(await res.json()).toEqual({ detail: 'Authentication credentials were not provided.' })
  })

  it('lists live tokens ordered by provider and expiry, in one statement, without values or hashes', async () => {
    ctx.counter.reset()
    const res = await ctx.admin('GET', '/oauth2/access_tokens/')
    expect(ctx.counter.count).toBe(1)
    expect(res.status).toBe(200)
    expect(await json(res)).toEqual({
      pagination: { next: 0, previous: 0, count: 3, current: 1, total_pages: 1, start_index: 1, end_index: 3 },
      results: [
        tokenBody(ids.a1!, alice, one, at(HOUR)),
        tokenBody(ids.a2!, bob, two, at(2 * HOUR)),
        tokenBody(ids.a3!, alice, two, at(3 * HOUR)),
      ],
    })
  })

  it('filters by user and provider pk', async () => {
    const byUser = (await json(await ctx.admin('GET', `/oauth2/access_tokens/?user=${alice.id}`))) as
      { results: Array<{ pk: string }> }
    expect(byUser.results.map((r) => r.pk)).toEqual([ids.a1, ids.a3])
    const both = (await json(await ctx.admin('GET', `/oauth2/access_tokens/?user=${alice.id}&provider=${two.id}`))) as
      { results: Array<{ pk: string }> }
    expect(both.results.map((r) => r.pk)).toEqual([ids.a3])
    const bad = await ctx.admin('GET', '/oauth2/access_tokens/?provider=x')
    expect(bad.status).toBe(400)
    expect(await bad.json()).toEqual({
      provider: ['Select a valid choice. That choice is not one of the available choices.'],
    })
  })

  it('paginates, and counts a page past the end', async () => {
    const page2 = await json(await ctx.admin('GET', '/oauth2/access_tokens/?page_size=2&page=2'))
    expect(page2).toEqual({
      pagination: { next: 0, previous: 1, count: 3, current: 2, total_pages: 2, start_index: 3, end_index: 3 },
      results: [tokenBody(ids.a3!, alice, two, at(3 * HOUR))],
    })
    const past = (await json(await ctx.admin('GET', '/oauth2/access_tokens/?page_size=2&page=5'))) as
      { pagination: { count: number }; results: unknown[] }
    expect(past.pagination.count).toBe(3)
    expect(past.results).toEqual([])
  })

  it('retrieves one token in one statement; expired, unknown and malformed pks are 404', async () => {
    ctx.counter.reset()
    const res = await ctx.admin('GET', `/oauth2/access_tokens/${ids.a2}/`)
    expect(ctx.counter.count).toBe(1)
    expect(res.status).toBe(200)
    expect(await json(res)).toEqual(tokenBody(ids.a2!, bob, two, at(2 * HOUR)))
    for (const pk of [ids.aExpired, UNKNOWN, 'not-a-uuid', '12']) {
      const miss = await ctx.admin('GET', `/oauth2/access_tokens/${pk}/`)
      expect(miss.status).toBe(404)
      expect(await miss.json()).toEqual({ detail: 'Not found.' })
    }
  })

  it('revokes a token by deleting it; deleting an expired one is 404', async () => {
    const expired = await ctx.admin('DELETE', `/oauth2/access_tokens/${ids.aExpired}/`)
    expect(expired.status).toBe(404)
    const res = await ctx.admin('DELETE', `/oauth2/access_tokens/${ids.a3}/`)
    expect(res.status).toBe(204)
    expect(await res.text()).toBe('')
    expect((await ctx.admin('GET', `/oauth2/access_tokens/${ids.a3}/`)).status).toBe(404)
    expect(await ctx.db.select().from(accessTokens).where(eq(accessTokens.id, ids.a3!))).toEqual([])
    expect((await ctx.admin('DELETE', `/oauth2/access_tokens/${ids.a3}/`)).status).toBe(404)
  })
})

describe('/api/v3/oauth2/refresh_tokens/', () => {
  it('lists live refresh tokens with revoked flags', async () => {
    expect(await json(await ctx.admin('GET', '/oauth2/refresh_tokens/'))).toEqual({
      pagination: { next: 0, previous: 0, count: 2, current: 1, total_pages: 1, start_index: 1, end_index: 2 },
      results: [tokenBody(ids.r1!, alice, one, at(HOUR)), tokenBody(ids.r2!, alice, one, at(2 * HOUR), true)],
    })
    expect((await ctx.admin('GET', `/oauth2/refresh_tokens/${ids.rExpired}/`)).status).toBe(404)
  })

  it('deletes only the one refresh token, not its family', async () => {
    expect((await ctx.admin('DELETE', `/oauth2/refresh_tokens/${ids.r1}/`)).status).toBe(204)
    const left = await ctx.db.select({ id: refreshTokens.id }).from(refreshTokens).orderBy(refreshTokens.expires)
    expect(left.map((r) => r.id)).toEqual([ids.rExpired, ids.r2])
    expect(await ctx.db.$count(accessTokens)).toBe(3)
    expect((await ctx.admin('DELETE', `/oauth2/refresh_tokens/${ids.rExpired}/`)).status).toBe(404)
  })
})

describe('/api/v3/oauth2/authorization_codes/', () => {
  const codeBody = () => ({
    pk: ids.c1, provider: providerOf(two), user: userOf(bob), is_expired: false, expires: at(60_000).toISOString(),
    scope: ['openid', 'email', 'offline_access'], revoked: false,
  })

  it('lists and retrieves live codes without the code or its hash', async () => {
    expect(await json(await ctx.admin('GET', `/oauth2/authorization_codes/?provider=${two.id}`))).toEqual({
      pagination: { next: 0, previous: 0, count: 1, current: 1, total_pages: 1, start_index: 1, end_index: 1 },
      results: [codeBody()],
    })
    expect(await json(await ctx.admin('GET', `/oauth2/authorization_codes/${ids.c1}/`))).toEqual(codeBody())
    expect((await ctx.admin('GET', `/oauth2/authorization_codes/${ids.cExpired}/`)).status).toBe(404)
    const none = (await json(await ctx.admin('GET', `/oauth2/authorization_codes/?user=${alice.id}`))) as
      { results: unknown[] }
    expect(none.results).toEqual([])
  })

  it('deletes a code; an expired code is 404', async () => {
    expect((await ctx.admin('DELETE', `/oauth2/authorization_codes/${ids.cExpired}/`)).status).toBe(404)
    expect((await ctx.admin('DELETE', `/oauth2/authorization_codes/${ids.c1}/`)).status).toBe(204)
    expect((await ctx.admin('GET', `/oauth2/authorization_codes/${ids.c1}/`)).status).toBe(404)
  })
})
