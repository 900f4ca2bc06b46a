import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sha256Hex } from '../../src/crypto/hash.ts'
import {
  accessTokens, authenticatedSessions, authorizationCodes, providers, refreshTokens, users,
} from '../../src/db/schema.ts'
import { createTestContext, START, type TestContext } from '../support/app.ts'

let ctx: TestContext
const at = (offsetMs: number) => new Date(new Date(START).getTime() + offsetMs)
const HOUR = 3_600_000
const hashes: string[] = []
const ids: Record<string, string> = {}
let alice: { id: number; username: string }
let bob: { id: number; username: string }
let provider: number

async function hash(label: string): Promise<string> {
  const h = await sha256Hex(`secret-${label}`)
  hashes.push(h)
  return h
}

beforeAll(async () => {
  ctx = await createTestContext()
  const u = await ctx.db.insert(users).values([{ username: 'alice' }, { username: 'bob' }]).returning()
  alice = u[0]!
  bob = u[1]!
  const [p] = await ctx.db.insert(providers).values({
    name: 'One', clientId: 'client-one', authorizationFlow: 'default-provider-authorization-implicit-consent',
    clientSecretSealed: 'sealed-not-read-here', grantTypes: ['authorization_code'],
  }).returning()
  provider = p!.id
  const sessions = [
    { label: 's1', user: alice.id, created: at(-2 * HOUR), expires: at(HOUR), ip: '192.0.2.1', ua: 'Firefox' },
    { label: 's2', user: bob.id, created: at(-HOUR), expires: at(HOUR), ip: null, ua: 'curl/8' },
    { label: 's3', user: alice.id, created: at(-30 * 60_000), expires: at(2 * HOUR), ip: '2001:db8::1', ua: '' },
    { label: 'sExpired', user: alice.id, created: at(-3 * HOUR), expires: at(0), ip: null, ua: '' },
  ]
  for (const s of sessions) {
    const [row] = await ctx.db.insert(authenticatedSessions).values({
      sessionKeyHash: await hash(s.label), userId: s.user, loginTime: s.created, amr: ['pwd'], lastIp: s.ip,
      lastUserAgent: s.ua, created: s.created, expires: s.expires,
    }).returning()
    ids[s.label] = row!.id
  }
})
afterAll(async () => ctx.close())

function sessionBody(label: string, user: typeof alice, created: Date, expires: Date, ip: string | null, ua: string) {
  return {
    pk: ids[label], uuid: ids[label], user: { pk: user.id, username: user.username }, last_ip: ip,
    last_user_agent: ua, last_used: created.toISOString(), login_time: created.toISOString(), amr: ['pwd'],
    expires: expires.toISOString(),
  }
}

async function json(res: Response): Promise<unknown> {
  const body = await res.json()
  for (const h of hashes) expect(JSON.stringify(body)).not.toContain(h)
  return body
}

type Page = { results: Array<{ pk: string }> }

describe('/api/v3/core/authenticated_sessions/', () => {
  it('answers 401 without the admin token', async () => {
    expect((await ctx.request('/api/v3/core/authenticated_sessions/')).status).toBe(401)
  })

  it('lists live sessions newest first, in one statement, without session keys or hashes', async () => {
    ctx.counter.reset()
    const res = await ctx.admin('GET', '/core/authenticated_sessions/')
    expect(ctx.counter.count).toBe(1)
    expect(res.status).toBe(200)
    expect(await json(res)).toEqual({
      pagination: { next: 0, previous: 0, count: 3, current: 1, total_pages: 1, start_index: 1, end_index: 3 },
      results: [
        sessionBody('s3', alice, at(-30 * 60_000), at(2 * HOUR), '2001:db8::1', ''),
        sessionBody('s2', bob, at(-HOUR), at(HOUR), null, 'curl/8'),
        sessionBody('s1', alice, at(-2 * HOUR), at(HOUR), '192.0.2.1', 'Firefox'),
      ],
    })
  })

  it('filters by user pk and username, searches, and pages', async () => {
    const pks = async (query: string) =>
      ((await json(await ctx.admin('GET', `/core/authenticated_sessions/${query}`))) as Page).results.map((r) => r.pk)
    expect(await pks(`?user=${alice.id}`)).toEqual([ids.s3, ids.s1])
    expect(await pks('?user__username=bob')).toEqual([ids.s2])
    expect(await pks('?search=firefox')).toEqual([ids.s1])
    expect(await pks('?page_size=1&page=2')).toEqual([ids.s2])
    const past = (await json(await ctx.admin('GET', '/core/authenticated_sessions/?page_size=1&page=9'))) as
      { pagination: { count: number } }
    expect(past.pagination.count).toBe(3)
  })

  it('retrieves one session; expired, unknown and malformed pks are 404', async () => {
    expect(await json(await ctx.admin('GET', `/core/authenticated_sessions/${ids.s2}/`)))
      .toEqual(sessionBody('s2', bob, at(-HOUR), at(HOUR), null, 'curl/8'))
    for (const pk of [ids.sExpired, '00000000-0000-4000-8000-0000000000ff', 'nope']) {
      const res = await ctx.admin('GET', `/core/authenticated_sessions/${pk}/`)
      expect(res.status).toBe(404)
      expect(await res.json()).toEqual({ detail: 'Not found.' })
    }
    expect((await ctx.admin('DELETE', `/core/authenticated_sessions/${ids.sExpired}/`)).status).toBe(404)
  })

  it('ends a session: its codes and access tokens go, its refresh tokens stay unbound', async () => {
    const grant = {
      providerId: provider, userId: alice.id, grantId: '00000000-0000-4000-8000-000000000001', authTime: at(-HOUR),
      expires: at(HOUR), sessionId: ids.s1!,
    }
    await ctx.db.insert(authorizationCodes)
      .values({ ...grant, codeHash: 'code-hash', redirectUri: 'https://a.example/' })
    await ctx.db.insert(accessTokens).values({ ...grant, tokenHash: 'at-hash', idToken: {} })
    const [refresh] = await ctx.db.insert(refreshTokens).values({ ...grant, tokenHash: 'rt-hash', idToken: {} })
      .returning()
    await ctx.db.insert(accessTokens)
      .values({ ...grant, sessionId: ids.s3!, tokenHash: 'at-other', idToken: {} })

    const res = await ctx.admin('DELETE', `/core/authenticated_sessions/${ids.s1}/`)
    expect(res.status).toBe(204)
    expect((await ctx.admin('GET', `/core/authenticated_sessions/${ids.s1}/`)).status).toBe(404)
    expect(await ctx.db.$count(authorizationCodes)).toBe(0)
    expect((await ctx.db.select({ hash: accessTokens.tokenHash }).from(accessTokens))).toEqual([{ hash: 'at-other' }])
    const [kept] = await ctx.db.select().from(refreshTokens).where(eq(refreshTokens.id, refresh!.id))
    expect(kept!.sessionId).toBeNull()
    expect((await ctx.admin('DELETE', `/core/authenticated_sessions/${ids.s1}/`)).status).toBe(404)
  })
})
