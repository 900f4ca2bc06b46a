import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestContext, type TestContext } from '../support/app.ts'

let ctx: TestContext
beforeAll(async () => {
  ctx = await createTestContext()
})
afterAll(async () => ctx.close())

const UUID = '00000000-0000-4000-8000-000000000001'

async function expectNotAllowed(method: string, path: string, allow: string): Promise<void> {
  const res = await ctx.admin(method, path, method === 'DELETE' ? undefined : {})
  expect(res.status, `${method} ${path}`).toBe(405)
  expect(res.headers.get('Allow')).toBe(allow)
  expect(await res.json()).toEqual({ detail: `Method "${method}" not allowed.` })
}

describe('methods a resource does not have', () => {
  it('answers POST on a read-only list with 405 and what it allows', async () => {
    await expectNotAllowed('POST', '/events/events/', 'GET, HEAD')
    await expectNotAllowed('POST', '/oauth2/access_tokens/', 'GET, HEAD')
    await expectNotAllowed('POST', '/core/authenticated_sessions/', 'GET, HEAD')
  })

  it('answers PUT, PATCH and DELETE on an item without update or remove with 405, before looking it up', async () => {
    for (const method of ['PUT', 'PATCH', 'DELETE']) {
      await expectNotAllowed(method, `/events/events/${UUID}/`, 'GET, HEAD')
      await expectNotAllowed(method, '/events/events/not-a-uuid/', 'GET, HEAD')
    }
    await expectNotAllowed('PUT', `/core/authenticated_sessions/${UUID}/`, 'GET, DELETE, HEAD')
    await expectNotAllowed('PATCH', `/oauth2/refresh_tokens/${UUID}/`, 'GET, DELETE, HEAD')
  })

  it('still answers 401 first without the admin token', async () => {
    const res = await ctx.request('/api/v3/events/events/', { method: 'POST' })
    expect(res.status).toBe(401)
    expect(await res.json()).toEqual({ detail: 'Authentication credentials were not provided.' })
  })

  it('answers HEAD where it says it does', async () => {
    expect((await ctx.admin('HEAD', '/events/events/')).status).toBe(200)
  })

  it('keeps the methods a resource has', async () => {
    expect((await ctx.admin('DELETE', `/core/authenticated_sessions/${UUID}/`)).status).toBe(404)
    expect((await ctx.admin('PATCH', `/core/groups/${UUID}/`, {})).status).toBe(404)
    const created = await ctx.admin('POST', '/core/groups/', { name: 'resource-test' })
    expect(created.status).toBe(201)
  })
})

describe('choice fields', () => {
  it('word a bad choice as DRF does, and stop at it before the rules of the whole list', async () => {
    const res = await ctx.admin('POST', '/providers/oauth2/', {
      name: 'choices', authorization_flow: 'default-provider-authorization-implicit-consent',
      grant_types: ['bogus', 'implicit', 'implicit'], client_type: 7,
    })
    expect(res.status).toBe(400)
    expect(await res.json()).toEqual({
      grant_types: ['"bogus" is not a valid choice.'], client_type: ['"7" is not a valid choice.'],
    })
  })

  it('word a bad boolean filter as a bad choice', async () => {
    const res = await ctx.admin('GET', '/core/groups/?is_superuser=yes')
    expect(res.status).toBe(400)
    expect(await res.json()).toEqual({ is_superuser: ['"yes" is not a valid choice.'] })
  })
})
