import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { events } from '../../src/db/schema.ts'
import { createTestContext, START, type TestContext } from '../support/app.ts'

let ctx: TestContext
const at = (offsetMs: number) => new Date(new Date(START).getTime() + offsetMs)
const MIN = 60_000
const ids: Record<string, string> = {}

const rows: Array<typeof events.$inferInsert & { label: string }> = [
  { label: 'login', action: 'login', user: { pk: 1, username: 'alice' }, clientIp: '192.0.2.1',
    created: at(-30 * MIN) },
  { label: 'authorize', action: 'authorize_application', user: { pk: 1, username: 'alice' }, clientId: 'client-one',
    context: { scopes: 'openid' }, created: at(-20 * MIN) },
  { label: 'failed', action: 'login_failed', user: {}, context: { username: 'mallory' }, created: at(-10 * MIN) },
  { label: 'bob', action: 'login', user: { pk: 2, username: 'bob' }, clientId: 'client-two', created: at(-5 * MIN) },
  { label: 'expired', action: 'login', user: { pk: 1, username: 'alice' }, created: at(-400 * 86_400_000),
    expires: at(0) },
]

beforeAll(async () => {
  ctx = await createTestContext()
  for (const { label, ...r } of rows) {
    const [row] = await ctx.db.insert(events).values({ expires: at(365 * 86_400_000), ...r }).returning()
    ids[label] = row!.id
  }
})
afterAll(async () => ctx.close())

type Page = { pagination: { count: number }; results: Array<{ pk: string }> }
const pks = async (query: string) =>
  ((await (await ctx.admin('GET', `/events/events/${query}`)).json()) as Page).results.map((r) => r.pk)

describe('/api/v3/events/events/', () => {
  it('answers 401 without the admin token', async () => {
    expect((await ctx.request('/api/v3/events/events/')).status).toBe(401)
  })

  it('lists live events newest first in one statement', async () => {
    ctx.counter.reset()
    const res = await ctx.admin('GET', '/events/events/?page_size=2')
    expect(ctx.counter.count).toBe(1)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({
      pagination: { next: 2, previous: 0, count: 4, current: 1, total_pages: 2, start_index: 1, end_index: 2 },
      results: [
        { pk: ids.bob, user: { pk: 2, username: 'bob' }, action: 'login', app: 'edge_oidc', context: {},
          client_ip: null, created: at(-5 * MIN).toISOString(), expires: at(365 * 86_400_000).toISOString() },
        { pk: ids.failed, user: {}, action: 'login_failed', app: 'edge_oidc', context: { username: 'mallory' },
          client_ip: null, created: at(-10 * MIN).toISOString(), expires: at(365 * 86_400_000).toISOString() },
      ],
    })
    expect(await pks('?ordering=created')).toEqual([ids.login, ids.authorize, ids.failed, ids.bob])
    expect(await pks('?ordering=-created')).toEqual([ids.bob, ids.failed, ids.authorize, ids.login])
  })

  it('filters by action, client_id, user pk and username, and searches actions', async () => {
    expect(await pks('?action=login')).toEqual([ids.bob, ids.login])
    expect(await pks('?client_id=client-one')).toEqual([ids.authorize])
    expect(await pks('?user=1')).toEqual([ids.authorize, ids.login])
    expect(await pks('?username=bob')).toEqual([ids.bob])
    expect(await pks('?user=1&action=login')).toEqual([ids.login])
    expect(await pks('?search=authorize')).toEqual([ids.authorize])
    expect(await pks('?username=nobody')).toEqual([])
    const bad = await ctx.admin('GET', '/events/events/?user=alice')
    expect(bad.status).toBe(400)
    expect(await bad.json())
      .toEqual({ user: ['Select a valid choice. That choice is not one of the available choices.'] })
  })

  it('retrieves one event; expired, unknown and malformed pks are 404', async () => {
    const res = await ctx.admin('GET', `/events/events/${ids.authorize}/`)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({
      pk: ids.authorize, user: { pk: 1, username: 'alice' }, action: 'authorize_application', app: 'edge_oidc',
      context: { scopes: 'openid' }, client_ip: null, created: at(-20 * MIN).toISOString(),
      expires: at(365 * 86_400_000).toISOString(),
    })
    for (const pk of [ids.expired, '00000000-0000-4000-8000-0000000000ff', '7']) {
      expect((await ctx.admin('GET', `/events/events/${pk}/`)).status).toBe(404)
    }
  })

  it('is read-only', async () => {
    // No write route is mounted (DRF would say 405; the framework answers an unmounted route with 404).
    expect([404, 405]).toContain((await ctx.admin('POST', '/events/events/', { action: 'login' })).status)
    expect([404, 405]).toContain((await ctx.admin('DELETE', `/events/events/${ids.login}/`)).status)
    expect([404, 405]).toContain((await ctx.admin('PATCH', `/events/events/${ids.login}/`, { action: 'x' })).status)
    expect(await ctx.db.$count(events)).toBe(rows.length)
  })
})
