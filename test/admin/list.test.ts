import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { events } from '../../src/db/schema.ts'
import { createTestContext, START, type TestContext } from '../support/app.ts'

let ctx: TestContext
const ACTIONS = ['x%y', 'x_y', 'xzy', 'x\\y', 'XZY-upper']

beforeAll(async () => {
  ctx = await createTestContext()
  const expires = new Date(new Date(START).getTime() + 86_400_000)
  for (const [i, action] of ACTIONS.entries()) {
    const created = new Date(new Date(START).getTime() - i * 1000)
    await ctx.db.insert(events).values({ action, user: {}, created, expires })
  }
  for (const name of ['list-a', 'list-b', 'list-c']) {
    expect((await ctx.admin('POST', '/core/groups/', { name })).status).toBe(201)
  }
})
afterAll(async () => ctx.close())

type Page = { pagination: Record<string, number>; results: Array<{ action?: string; name?: string }> }
const page = async (path: string) => (await (await ctx.admin('GET', path)).json()) as Page

describe('search', () => {
  const actions = async (search: string) =>
    (await page(`/events/events/?search=${encodeURIComponent(search)}`)).results.map((r) => r.action).sort()

  it('matches %, _ and \\ literally', async () => {
    expect(await actions('x%y')).toEqual(['x%y'])
    expect(await actions('%')).toEqual(['x%y'])
    expect(await actions('x_y')).toEqual(['x_y'])
    expect(await actions('_')).toEqual(['x_y'])
    expect(await actions('x\\y')).toEqual(['x\\y'])
  })

  it('ignores case and matches anywhere in the text', async () => {
    expect(await actions('zy')).toEqual(['XZY-upper', 'xzy'])
  })
})

describe('paging', () => {
  it('reads a page of a relational list and its total in one statement', async () => {
    ctx.counter.reset()
    const first = await page('/core/groups/?search=list-&page_size=2')
    expect(ctx.counter.count).toBe(1)
    expect(first.results.map((g) => g.name)).toEqual(['list-a', 'list-b'])
    expect(first.pagination).toEqual({
      next: 2, previous: 0, count: 3, current: 1, total_pages: 2, start_index: 1, end_index: 2,
    })
  })

  it('counts in a second statement only for a page past the end', async () => {
    ctx.counter.reset()
    const past = await page('/core/groups/?search=list-&page_size=2&page=3')
    expect(ctx.counter.count).toBe(2)
    expect(past.results).toEqual([])
    expect(past.pagination.count).toBe(3)
  })

  it('counts a page past the end of a joined list over the same join', async () => {
    for (const path of ['/core/authenticated_sessions/?page=2&user__username=nobody&search=x',
      '/oauth2/access_tokens/?page=2&user=1', '/core/users/?page=2&search=x', '/providers/oauth2/?page=2&application=x',
      '/core/applications/?page=2&search=x']) {
      const res = await ctx.admin('GET', path)
      expect(res.status, path).toBe(200)
      expect(((await res.json()) as Page).pagination.count, path).toBe(0)
    }
  })

  it('answers an empty first page in one statement', async () => {
    ctx.counter.reset()
    const none = await page('/core/groups/?search=no-such-group')
    expect(ctx.counter.count).toBe(1)
    expect(none.pagination.count).toBe(0)
  })
})
