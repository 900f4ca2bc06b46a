import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sha256Hex } from '../../src/crypto/hash.ts'
import { appTokens, users } from '../../src/db/schema.ts'
import { createTestContext, START, type TestContext } from '../support/app.ts'

let ctx: TestContext
let alice: number
let bob: number
const at = (offsetMs: number) => new Date(new Date(START).getTime() + offsetMs)
const DAY = 86_400_000
const expiredHash = 'e'.repeat(64)

beforeAll(async () => {
  ctx = await createTestContext()
  const rows = await ctx.db.insert(users).values([{ username: 'alice' }, { username: 'bob' }]).returning()
  alice = rows[0]!.id
  bob = rows[1]!.id
  await ctx.db.insert(appTokens).values({
    identifier: 'old-expired', userId: alice, keyHash: expiredHash, expires: at(0), created: at(-DAY),
  })
})
afterAll(async () => ctx.close())

type Token = { pk: string; identifier: string; key?: string; expires: string | null }

describe('/api/v3/core/tokens/', () => {
  it('answers 401 without the admin token', async () => {
    expect((await ctx.request('/api/v3/core/tokens/')).status).toBe(401)
  })

  it('creates an app password, shows its key once and stores only the SHA-256', async () => {
    const input = { identifier: 'mail.client', user: alice, description: 'mail' }
    const res = await ctx.admin('POST', '/core/tokens/', input)
    expect(res.status).toBe(201)
    const body = (await res.json()) as Token
    expect(body).toEqual({
      pk: expect.any(String), identifier: 'mail.client', intent: 'app_password', user: alice, description: 'mail',
      expires: at(365 * DAY).toISOString(), expiring: true, key: expect.stringMatching(/^[A-Za-z0-9]{64}$/),
    })
    const [row] = await ctx.db.select().from(appTokens).where(eq(appTokens.identifier, 'mail.client'))
    expect(row!.keyHash).toBe(await sha256Hex(body.key!))

    const again = await ctx.admin('GET', '/core/tokens/mail.client/')
    expect(again.status).toBe(200)
    const text = await again.text()
    expect(text).not.toContain(body.key!)
    expect(text).not.toContain(row!.keyHash)
    const { key: _shown, ...withoutKey } = body
    expect(JSON.parse(text)).toEqual(withoutKey)
  })

  it('keeps a given future expiry, or none when not expiring', async () => {
    const expires = at(DAY).toISOString()
    const input = { identifier: 'ci_bot', user: bob, expires, intent: 'app_password' }
    const a = await ctx.admin('POST', '/core/tokens/', input)
    expect(a.status).toBe(201)
    expect(((await a.json()) as Token).expires).toBe(expires)
    const b = await ctx.admin('POST', '/core/tokens/', { identifier: 'forever', user: bob, expiring: false })
    expect(b.status).toBe(201)
    expect(await b.json()).toMatchObject({ expires: null, expiring: false })
  })

  it('rejects bad bodies with field errors', async () => {
    const cases: Array<[unknown, Record<string, string[]>]> = [
      [{ identifier: 'x' }, { user: ['This field is required.'] }],
      [{ identifier: 'x', user: alice, intent: 'api' }, { intent: ['Invalid intent api'] }],
      [{ identifier: 'has space', user: alice },
        { identifier: ['Enter a valid "slug" consisting of letters, numbers, underscores, dots or hyphens.'] }],
      [{ user: alice }, { identifier: ['This field is required.'] }],
      [{ identifier: 'x', user: 9999 }, { user: ['Invalid pk "9999" - object does not exist.'] }],
      [{ identifier: 'x', user: alice, expires: START }, { expires: ['Expiry must be in the future.'] }],
      [{ identifier: 'x', user: alice, expires: 'tomorrow' }, { expires: [
        'Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].',
      ] }],
      [{ identifier: 'mail.client', user: bob }, { identifier: ['token with this identifier already exists.'] }],
    ]
    for (const [body, errors] of cases) {
      const res = await ctx.admin('POST', '/core/tokens/', body)
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(await res.json()).toEqual(errors)
    }
  })

  it('treats an expired token as absent, and lets its identifier be taken again', async () => {
    expect((await ctx.admin('GET', '/core/tokens/old-expired/')).status).toBe(404)
    expect((await ctx.admin('PATCH', '/core/tokens/old-expired/', { description: 'x' })).status).toBe(404)
    expect((await ctx.admin('GET', '/core/tokens/old-expired/view_key/')).status).toBe(404)
    expect((await ctx.admin('DELETE', '/core/tokens/old-expired/')).status).toBe(404)
    const res = await ctx.admin('POST', '/core/tokens/', { identifier: 'old-expired', user: bob })
    expect(res.status).toBe(201)
    expect(await res.json()).toMatchObject({ identifier: 'old-expired', user: bob })
    const [row] = await ctx.db.select().from(appTokens).where(eq(appTokens.identifier, 'old-expired'))
    expect(row!.keyHash).not.toBe(expiredHash)
  })

  it('lists live tokens by identifier with filters and paging, never with keys or hashes', async () => {
    const res = await ctx.admin('GET', '/core/tokens/?page_size=2')
    const body = (await res.json()) as { pagination: unknown; results: Token[] }
    expect(body.pagination).toEqual({
      next: 2, previous: 0, count: 4, current: 1, total_pages: 2, start_index: 1, end_index: 2,
    })
    expect(body.results.map((t) => t.identifier)).toEqual(['ci_bot', 'forever'])
    expect(body.results.every((t) => !('key' in t))).toBe(true)
    const hashes = (await ctx.db.select({ h: appTokens.keyHash }).from(appTokens)).map((r) => r.h)
    const all = JSON.stringify(await (await ctx.admin('GET', '/core/tokens/')).json())
    for (const h of hashes) expect(all).not.toContain(h)
    const mine = (await (await ctx.admin('GET', `/core/tokens/?user=${alice}`)).json()) as { results: Token[] }
    expect(mine.results.map((t) => t.identifier)).toEqual(['mail.client'])
    const found = (await (await ctx.admin('GET', '/core/tokens/?search=mai')).json()) as { results: Token[] }
    expect(found.results.map((t) => t.identifier)).toEqual(['mail.client'])
  })

  it('never shows a key again: view_key is 403', async () => {
    const res = await ctx.admin('GET', '/core/tokens/mail.client/view_key/')
    expect(res.status).toBe(403)
    expect(await res.json()).toEqual({ detail: 'Keys are shown only when the token is created.' })
    expect((await ctx.admin('GET', '/core/tokens/nope/view_key/')).status).toBe(404)
    expect((await ctx.request('/api/v3/core/tokens/mail.client/view_key/')).status).toBe(401)
  })

  it('updates description, expires and expiring only', async () => {
    const expires = at(2 * DAY).toISOString()
    const res = await ctx.admin('PATCH', '/core/tokens/mail.client/', { description: 'new', expires })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ identifier: 'mail.client', description: 'new', expires, expiring: true })
    const past = await ctx.admin('PATCH', '/core/tokens/mail.client/', { expires: START })
    expect(past.status).toBe(400)
    expect(await past.json()).toEqual({ expires: ['Expiry must be in the future.'] })
    const on = await ctx.admin('PATCH', '/core/tokens/forever/', { expiring: true })
    expect(await on.json()).toMatchObject({ expiring: true, expires: at(365 * DAY).toISOString() })
    expect((await ctx.admin('PATCH', '/core/tokens/unknown/', { description: 'x' })).status).toBe(404)
  })

  it('deletes a token; unknown and malformed identifiers are 404', async () => {
    expect((await ctx.admin('DELETE', '/core/tokens/ci_bot/')).status).toBe(204)
    expect((await ctx.admin('GET', '/core/tokens/ci_bot/')).status).toBe(404)
    expect((await ctx.admin('DELETE', '/core/tokens/ci_bot/')).status).toBe(404)
    const bad = await ctx.admin('GET', '/core/tokens/bad%20id/')
    expect(bad.status).toBe(404)
    expect(await bad.json()).toEqual({ detail: 'Not found.' })
  })
})
