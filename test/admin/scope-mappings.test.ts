import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestContext, type TestContext } from '../support/app.ts'

let t: TestContext
beforeAll(async () => {
  t = await createTestContext()
})
afterAll(() => t.close())

type Mapping = { pk: string; managed: string | null; name: string; scope_name: string; description: string;
  expression: Record<string, unknown> }
type Page = { pagination: Record<string, number>; results: Mapping[] }

const PATH = '/propertymappings/provider/scope/'

describe('the default managed scope mappings', () => {
  it('exist after migration with authentik managed identifiers and claims', async () => {
    const res = await t.admin('GET', PATH)
    expect(res.status).toBe(200)
    const page = (await res.json()) as Page
    const byScope = Object.fromEntries(page.results.map((m) => [m.scope_name, m]))
    expect(Object.keys(byScope).sort()).toEqual(['email', 'entitlements', 'offline_access', 'openid', 'profile'])
    expect(byScope.openid).toMatchObject({ managed: 'goauthentik.io/providers/oauth2/scope-openid', expression: {} })
    expect(byScope.email).toMatchObject({
      managed: 'goauthentik.io/providers/oauth2/scope-email',
      description: 'Email address',
      expression: { email: { path: 'user.email' }, email_verified: { value: false } },
    })
    expect(byScope.profile!.expression).toEqual({
      name: { path: 'user.name' }, given_name: { path: 'user.name' }, preferred_username: { path: 'user.username' },
      nickname: { path: 'user.username' }, groups: { path: 'user.groups' },
    })
    expect(byScope.offline_access?.managed).toBe('goauthentik.io/providers/oauth2/scope-offline_access')
    expect(byScope.entitlements?.managed).toBe('goauthentik.io/providers/oauth2/scope-entitlements')
    expect(page.pagination).toEqual({
      next: 0, previous: 0, count: 5, current: 1, total_pages: 1, start_index: 1, end_index: 5,
    })
  })

  it('can be filtered by managed identifier', async () => {
    const res = await t.admin('GET', `${PATH}?managed=goauthentik.io/providers/oauth2/scope-email`)
    const page = (await res.json()) as Page
    expect(page.results.map((m) => m.scope_name)).toEqual(['email'])
  })
})

describe('scope mapping CRUD', () => {
  let pk = ''

  it('creates a mapping with a declarative expression', async () => {
    const res = await t.admin('POST', PATH, {
      name: 'department', scope_name: 'department', description: 'Your department',
      expression: { department: { path: 'user.attributes.org.department' }, static: { value: [1, 'two'] } },
    })
    expect(res.status).toBe(201)
    const body = (await res.json()) as Mapping
    expect(body).toMatchObject({ name: 'department', scope_name: 'department', managed: null })
    pk = body.pk
  })

  it.each([
    [{ department: { path: 'user.password_hash' } }, /Unknown field in "user.password_hash"/],
    [{ department: { path: 'request.user' } }, /Unknown root in "request.user"/],
    [{ department: { path: 'user.email', value: 1 } }, /exactly one of/],
    [{ department: 'user.email' }, /exactly one of/],
  ])('rejects an expression that is not declarative data: %j', async (expression, message) => {
    const res = await t.admin('POST', PATH, { name: 'bad', scope_name: 'bad', expression })
    expect(res.status).toBe(400)
    const body = (await res.json()) as { expression: string[] }
    expect(Object.keys(body)).toEqual(['expression'])
    expect(body.expression[0]).toMatch(message)
  })

  it('names missing fields the way DRF does', async () => {
    const res = await t.admin('POST', PATH, { name: 'x' })
    expect(res.status).toBe(400)
    expect(await res.json()).toEqual({ scope_name: ['This field is required.'], expression: ['This field is required.'] })
  })

  it('rejects malformed JSON and non-objects without writing anything', async () => {
    const bad = await t.admin('POST', PATH, '{"name": ')
    expect(bad.status).toBe(400)
    expect(await bad.json()).toEqual({ detail: 'JSON parse error - request body is not valid JSON' })
    const list = await t.admin('POST', PATH, '[1, 2]')
    expect(list.status).toBe(400)
    expect(await list.json()).toEqual({ non_field_errors: ['Invalid data. Expected a dictionary.'] })
  })

  it('refuses a duplicate name', async () => {
    const res = await t.admin('POST', PATH, { name: 'department', scope_name: 'x', expression: {} })
    expect(res.status).toBe(400)
    expect(await res.json()).toEqual({ name: ['property mapping with this name already exists.'] })
  })

  it('retrieves, patches and replaces', async () => {
    expect((await t.admin('GET', `${PATH}${pk}/`)).status).toBe(200)
    const patched = await t.admin('PATCH', `${PATH}${pk}/`, { description: 'Where you work' })
    expect(patched.status).toBe(200)
    expect(await patched.json()).toMatchObject({ description: 'Where you work', scope_name: 'department' })
    const put = await t.admin('PUT', `${PATH}${pk}/`, { name: 'department', scope_name: 'dept', expression: {} })
    expect(put.status).toBe(200)
    // PUT keeps what it does not name, as DRF does.
    expect(await put.json()).toMatchObject({ scope_name: 'dept', description: 'Where you work', expression: {} })
    const incomplete = await t.admin('PUT', `${PATH}${pk}/`, { name: 'department' })
    expect(incomplete.status).toBe(400)
  })

  it('deletes, then answers 404', async () => {
    expect((await t.admin('DELETE', `${PATH}${pk}/`)).status).toBe(204)
    expect((await t.admin('GET', `${PATH}${pk}/`)).status).toBe(404)
    expect((await t.admin('DELETE', `${PATH}${pk}/`)).status).toBe(404)
    expect((await t.admin('GET', `${PATH}not-a-uuid/`)).status).toBe(404)
  })

  it('paginates', async () => {
    const res = await t.admin('GET', `${PATH}?page=2&page_size=2`)
    const page = (await res.json()) as Page
    expect(page.pagination).toEqual({
      next: 3, previous: 1, count: 5, current: 2, total_pages: 3, start_index: 3, end_index: 4,
    })
    expect(page.results).toHaveLength(2)
    expect((await t.admin('GET', `${PATH}?page=0`)).status).toBe(400)
  })
})
