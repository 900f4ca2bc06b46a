import { count } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applications, groups } from '../../src/db/schema.ts'
import { createTestContext, type TestContext } from '../support/app.ts'
import { createProvider } from '../support/fixtures.ts'

let t: TestContext
beforeAll(async () => {
  t = await createTestContext()
})
afterAll(() => t.close())

const PATH = '/core/applications/'
const FLOW = 'default-provider-authorization-explicit-consent'
type App = Record<string, unknown> & { pk: string; slug: string; provider: number | null }
type Provider = Record<string, unknown> & { pk: number; name: string }
type Page = { pagination: Record<string, number>; results: App[] }

const provider = (name: string, extra: Record<string, unknown> = {}) =>
  createProvider(t, { name, authorization_flow: FLOW, ...extra })

async function create(body: Record<string, unknown>): Promise<App> {
  const res = await t.admin('POST', PATH, body)
  expect(res.status, await res.clone().text()).toBe(201)
  return (await res.json()) as App
}

async function appCount(): Promise<number> {
  const [row] = await t.db.select({ n: count() }).from(applications)
  return row?.n ?? 0
}

async function rejects(body: Record<string, unknown>, expected: Record<string, string[]>): Promise<void> {
  const before = await appCount()
  const res = await t.admin('POST', PATH, body)
  expect(res.status).toBe(400)
  expect(await res.json()).toEqual(expected)
  expect(await appCount()).toBe(before)
}

describe('creating an application', () => {
  it('answers the application with its provider object and a derived launch URL', async () => {
    const p = await provider('app-provider', { redirect_uris: [{ url: 'https://rp.example.com:8443/callback?x=1' }] })
    const res = await t.admin('POST', PATH, { name: 'My App', slug: 'my-app', provider: p.pk })
    expect(res.status).toBe(201)
    const body = (await res.json()) as App
    expect(body).toEqual({
      pk: expect.stringMatching(/^[0-9a-f-]{36}$/), name: 'My App', slug: 'my-app', provider: p.pk,
      provider_obj: {
        pk: p.pk, name: 'app-provider', authentication_flow: null, authorization_flow: FLOW, invalidation_flow: null,
        property_mappings: [], component: 'ak-provider-oauth2-form', assigned_application_slug: 'my-app',
        assigned_application_name: 'My App', verbose_name: 'OAuth2/OpenID Provider',
        verbose_name_plural: 'OAuth2/OpenID Providers', meta_model_name: 'authentik_providers_oauth2.oauth2provider',
      },
      launch_url: 'https://rp.example.com:8443', open_in_new_tab: false, meta_launch_url: '', meta_icon: null,
      meta_description: '', meta_publisher: '', group: null,
    })
    const assigned = (await (await t.admin('GET', `/providers/oauth2/${p.pk}/`)).json()) as Provider
    expect(assigned).toMatchObject({ assigned_application_slug: 'my-app', assigned_application_name: 'My App' })
  })

  it('creates an application without provider', async () => {
    const app = await create({ name: 'Bare', slug: 'bare' })
    expect(app).toMatchObject({ provider: null, provider_obj: null, launch_url: null })
  })

  it('prefers the configured launch URL, and has none for an unparsable redirect URI', async () => {
    const p = await provider('launch-provider', { redirect_uris: [{ url: 'https://rp.example.com/cb' }] })
    const app = await create({ name: 'Launch', slug: 'launch', provider: p.pk, meta_launch_url: 'https://portal.example' })
    expect(app.launch_url).toBe('https://portal.example')
    const regex = await provider('regex-provider', {
      redirect_uris: [{ matching_mode: 'regex', url: 'https://[\\d\\w]+.pr.test.goauthentik.io/source/oauth/callback/' }],
    })
    const unparsable = await create({ name: 'Regex', slug: 'regex', provider: regex.pk })
    expect(unparsable.launch_url).toBeNull()
  })

  it('restricts to a group that exists', async () => {
    const [group] = await t.db.insert(groups).values({ name: 'staff' }).returning()
    const app = await create({ name: 'Staff', slug: 'staff-only', group: group!.id })
    expect(app.group).toBe(group!.id)
  })
})

describe('validation', () => {
  it('requires name and slug, and a slug of letters, digits, underscores and hyphens', async () => {
    await rejects({}, { name: ['This field is required.'], slug: ['This field is required.'] })
    await rejects({ name: 'x', slug: 'not a slug' },
      { slug: ['Enter a valid "slug" consisting of letters, numbers, underscores or hyphens.'] })
  })

  it('rejects slugs that would shadow fixed endpoints', async () => {
    for (const slug of ['authorize', 'token', 'userinfo', 'introspect', 'revoke', 'device']) {
      await rejects({ name: 'x', slug }, { slug: [`The slug "${slug}" is reserved for the endpoint /application/o/${slug}/.`] })
    }
  })

  it('rejects a missing provider or group', async () => {
    await rejects({ name: 'x', slug: 'missing-refs', provider: 999999, group: '00000000-0000-4000-8000-000000000000' }, {
      provider: ['Invalid pk "999999" - object does not exist.'],
      group: ['Invalid pk "00000000-0000-4000-8000-000000000000" - object does not exist.'],
    })
    await rejects({ name: 'x', slug: 'bad-type', provider: 'abc' },
      { provider: ['Incorrect type. Expected pk value, received str.'] })
  })

  it('rejects a provider that already has an application, and a taken slug', async () => {
    const p = await provider('assigned-provider')
    await create({ name: 'First', slug: 'first', provider: p.pk })
    await rejects({ name: 'Second', slug: 'second', provider: p.pk },
      { provider: ['Application with this provider already exists.'] })
    await rejects({ name: 'Again', slug: 'first' }, { slug: ['Application with this slug already exists.'] })
  })

  it('rejects a script as launch URL', async () => {
    await rejects({ name: 'x', slug: 'script', meta_launch_url: 'javascript:alert(1)' },
      { meta_launch_url: ['Enter a valid URL.'] })
  })
})

describe('reading, updating and deleting', () => {
  it('lists by name with filters and search; retrieves by slug', async () => {
    for (const n of ['zz-list-a', 'zz-list-b', 'zz-list-c']) await create({ name: n, slug: n })
    const page = (await (await t.admin('GET', `${PATH}?search=ZZ-LIST&page_size=2`)).json()) as Page
    expect(page.results.map((a) => a.slug)).toEqual(['zz-list-a', 'zz-list-b'])
    expect(page.pagination).toMatchObject({ count: 3, next: 2, total_pages: 2 })
    const bySlug = (await (await t.admin('GET', `${PATH}?slug=zz-list-c`)).json()) as Page
    expect(bySlug.results.map((a) => a.name)).toEqual(['zz-list-c'])
    const byName = (await (await t.admin('GET', `${PATH}?name=zz-list-b`)).json()) as Page
    expect(byName.results.map((a) => a.slug)).toEqual(['zz-list-b'])
    const staff = (await (await t.admin('GET', `${PATH}?slug=staff-only`)).json()) as Page
    const byGroup = (await (await t.admin('GET', `${PATH}?group=${String(staff.results[0]!.group)}`)).json()) as Page
    expect(byGroup.results.map((a) => a.slug)).toEqual(['staff-only'])
    const badGroup = await t.admin('GET', `${PATH}?group=nope`)
    expect(badGroup.status).toBe(400)

    const one = await t.admin('GET', `${PATH}zz-list-a/`)
    expect(one.status).toBe(200)
    expect(await one.json()).toEqual(page.results[0])
    expect((await t.admin('GET', `${PATH}no-such-app/`)).status).toBe(404)
  })

  it('filters providers by the slug of their application', async () => {
    const p = await provider('filtered-provider')
    await create({ name: 'Filtered', slug: 'filtered', provider: p.pk })
    const res = await t.admin('GET', '/providers/oauth2/?application=filtered')
    const page = (await res.json()) as { results: Provider[] }
    expect(page.results.map((r) => r.name)).toEqual(['filtered-provider'])
  })

  it('PATCH changes the given fields; PUT keeps omitted optional ones; a slug change moves the lookup', async () => {
    const p = await provider('patch-app-provider')
    const app = await create({ name: 'Patch', slug: 'patch-app', meta_publisher: 'ACME' })
    const patched = await t.admin('PATCH', `${PATH}patch-app/`, { provider: p.pk, open_in_new_tab: true })
    expect(patched.status).toBe(200)
    const body = (await patched.json()) as App
    expect(body).toMatchObject({ ...app, provider: p.pk, open_in_new_tab: true, meta_publisher: 'ACME',
      provider_obj: expect.objectContaining({ pk: p.pk }) })
    const put = await t.admin('PUT', `${PATH}patch-app/`, { name: 'Renamed', slug: 'patch-app-2' })
    expect(put.status).toBe(200)
    expect(await put.json()).toEqual({ ...body, name: 'Renamed', slug: 'patch-app-2',
      provider_obj: { ...(body.provider_obj as object), assigned_application_slug: 'patch-app-2',
        assigned_application_name: 'Renamed' } })
    expect((await t.admin('GET', `${PATH}patch-app/`)).status).toBe(404)
    const unassigned = await t.admin('PATCH', `${PATH}patch-app-2/`, { provider: null })
    expect(await unassigned.json()).toMatchObject({ provider: null, provider_obj: null })
    expect((await t.admin('PATCH', `${PATH}no-such-app/`, { name: 'x' })).status).toBe(404)
  })

  it('deletes: 204, then 404', async () => {
    await create({ name: 'Doomed', slug: 'doomed' })
    expect((await t.admin('DELETE', `${PATH}doomed/`)).status).toBe(204)
    expect((await t.admin('GET', `${PATH}doomed/`)).status).toBe(404)
    expect((await t.admin('DELETE', `${PATH}doomed/`)).status).toBe(404)
  })
})

describe('discovery of a created application', () => {
  it('is served, and follows admin changes at once', async () => {
    const p = await provider('discovery-provider')
    await create({ name: 'Discovery', slug: 'disco', provider: p.pk })
    const url = '/application/o/disco/.well-known/openid-configuration'
    const res = await t.request(url)
    expect(res.status).toBe(200)
    const doc = (await res.json()) as Record<string, unknown>
    expect(doc.issuer).toBe('http://localhost/application/o/disco/')
    expect(doc.id_token_signing_alg_values_supported).toEqual(['HS256'])

    const patched = await t.admin('PATCH', `/providers/oauth2/${p.pk}/`, { issuer_mode: 'global' })
    expect(patched.status).toBe(200)
    expect(((await (await t.request(url)).json()) as Record<string, unknown>).issuer).toBe('http://localhost/')

    expect((await t.admin('DELETE', `${PATH}disco/`)).status).toBe(204)
    expect((await t.request(url)).status).toBe(404)
  })
})
