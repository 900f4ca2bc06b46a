import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { providers } from '../../src/db/schema.ts'
import { createTestContext, type TestContext } from '../support/app.ts'
import {
  adminJson, createProvider, createUser, EXPLICIT_CONSENT, IMPLICIT_CONSENT, type Provider,
} from '../support/fixtures.ts'

/** Validation on save (issue 9 §1): refused when the object is saved, every field error in one answer. */
let t: TestContext
const PATH = '/providers/oauth2/'
const UNKNOWN = '00000000-0000-4000-8000-000000000001'
beforeAll(async () => {
  t = await createTestContext()
})
afterAll(async () => t.close())

async function refused(method: string, path: string, body: unknown, errors: Record<string, string[]>): Promise<void> {
  const res = await t.admin(method, path, body)
  expect(res.status, JSON.stringify(body)).toBe(400)
  expect(await res.json()).toEqual(errors)
}

const strict = (url: string) => ({ matching_mode: 'strict', url, redirect_uri_type: 'authorization' })

describe('redirect URIs, checked when the provider is saved', () => {
  it.each([
    ['javascript:alert(1)', 'URI scheme of javascript:alert(1) is not allowed.'],
    [' JavaScript:alert(1)', 'URI scheme of  JavaScript:alert(1) is not allowed.'],
    ['java\tscript:alert(1)', 'URI scheme of java\tscript:alert(1) is not allowed.'],
    ['data:text/html,<script>alert(1)</script>', 'URI scheme of data:text/html,<script>alert(1)</script> is not allowed.'],
    ['VBScript:msgbox(1)', 'URI scheme of VBScript:msgbox(1) is not allowed.'],
    ['/callback', 'Enter a valid URL: /callback is not an absolute URI.'],
    ['app.example/cb', 'Enter a valid URL: app.example/cb is not an absolute URI.'],
    ['', 'Enter a valid URL:  is not an absolute URI.'],
  ])('refuses the strict entry %j', async (url, message) => {
    await refused('POST', PATH, { name: 'bad-uri', authorization_flow: IMPLICIT_CONSENT, redirect_uris: [strict(url)] },
      { redirect_uris: [message] })
  })

  it('accepts absolute URIs of any other scheme (native apps) and regexes that compile', async () => {
    const redirect_uris = [strict('https://app.example/cb'), strict('http://localhost:8080/cb'),
      strict('com.example.app:/oauth2redirect'), { matching_mode: 'regex', url: 'https://.*\\.example\\.com/cb',
        redirect_uri_type: 'authorization' }]
    const p = await createProvider(t, { name: 'good-uris', redirect_uris })
    expect((p as Provider & { redirect_uris: unknown }).redirect_uris).toEqual(redirect_uris)
  })

  it('refuses every bad entry of a PATCH at once and keeps the stored list', async () => {
    const p = await createProvider(t, { name: 'patched-uris', redirect_uris: [strict('https://app.example/cb')] })
    await refused('PATCH', `${PATH}${p.pk}/`, {
      redirect_uris: [strict('https://ok.example/cb'), strict('javascript:x'), strict('relative'),
        { matching_mode: 'regex', url: '(', redirect_uri_type: 'authorization' }],
    }, { redirect_uris: ['URI scheme of javascript:x is not allowed.', 'Enter a valid URL: relative is not an absolute URI.',
      'Invalid Regex Pattern: ('] })
    const [row] = await t.db.select({ uris: providers.redirectUris }).from(providers).where(eq(providers.id, p.pk))
    expect(row!.uris).toEqual([strict('https://app.example/cb')])
  })
})

describe('flows', () => {
  it('refuses an unknown authorization or invalidation flow', async () => {
    await refused('POST', PATH, { name: 'bad-flows', authorization_flow: 'my-flow', invalidation_flow: 'gone' }, {
      authorization_flow: ['Object with slug=my-flow does not exist.'],
      invalidation_flow: ['Object with slug=gone does not exist.'],
    })
  })

  it('accepts the default flows, and no invalidation flow', async () => {
    for (const [i, [authorization_flow, invalidation_flow]] of ([
      [IMPLICIT_CONSENT, 'default-provider-invalidation-flow'], [EXPLICIT_CONSENT, 'default-invalidation-flow'],
      [EXPLICIT_CONSENT, null], [EXPLICIT_CONSENT, ''],
    ] as const).entries()) {
      const p = await adminJson<Record<string, unknown>>(t, 'POST', PATH,
        { name: `flows-${i}`, authorization_flow, invalidation_flow }, 201)
      expect(p).toMatchObject({ authorization_flow, invalidation_flow: invalidation_flow || null })
    }
  })

  it('refuses an unknown flow on PATCH and changes nothing', async () => {
    const p = await createProvider(t, { name: 'patched-flow' })
    await refused('PATCH', `${PATH}${p.pk}/`, { authorization_flow: 'nope' },
      { authorization_flow: ['Object with slug=nope does not exist.'] })
    expect(await adminJson(t, 'GET', `${PATH}${p.pk}/`, undefined, 200)).toEqual(p)
  })
})

describe('every field error in one answer', () => {
  it('gives the field errors and the database reference errors of a provider together', async () => {
    await createProvider(t, { name: 'taken' })
    await refused('POST', PATH, {
      name: 'taken', authorization_flow: 'nope', client_type: 'secret', redirect_uris: [strict('javascript:x')],
      property_mappings: [UNKNOWN], signing_key: UNKNOWN, jwt_federation_providers: [2147483647],
    }, {
      name: ['Provider with this name already exists.'],
      authorization_flow: ['Object with slug=nope does not exist.'],
      client_type: ['"secret" is not a valid choice.'],
      redirect_uris: ['URI scheme of javascript:x is not allowed.'],
      property_mappings: [`Invalid pk "${UNKNOWN}" - object does not exist.`],
      signing_key: [`Invalid pk "${UNKNOWN}" - object does not exist.`],
      jwt_federation_providers: ['Invalid pk "2147483647" - object does not exist.'],
    })
  })

  it('answers 404 first for a provider that does not exist', async () => {
    const res = await t.admin('PATCH', `${PATH}999999/`, { authorization_flow: 'nope', property_mappings: [UNKNOWN] })
    expect(res.status).toBe(404)
  })

  it('gives the field errors and the reference errors of an application together', async () => {
    await refused('POST', '/core/applications/', {
      name: 'x'.repeat(256), slug: 'authorize', provider: 2147483647, group: UNKNOWN, meta_launch_url: 'javascript:x',
    }, {
      name: ['Ensure this field has no more than 255 characters.'],
      slug: ['The slug "authorize" is reserved for the endpoint /application/o/authorize/.'],
      meta_launch_url: ['Enter a valid URL.'],
      provider: ['Invalid pk "2147483647" - object does not exist.'],
      group: [`Invalid pk "${UNKNOWN}" - object does not exist.`],
    })
  })
})

describe('unique names have a length limit', () => {
  const long = 'n'.repeat(256)
  const tooLong = ['Ensure this field has no more than 255 characters.']
  it.each([
    ['/core/groups/', { name: long }, 'name'],
    ['/providers/oauth2/', { name: long, authorization_flow: IMPLICIT_CONSENT }, 'name'],
    ['/propertymappings/provider/scope/', { name: long, scope_name: 's', expression: {} }, 'name'],
    ['/sources/oauth/', { name: long, slug: 'long-source' }, 'name'],
    ['/sources/oauth/', { name: 'long-slug', slug: long }, 'slug'],
    ['/core/applications/', { name: 'long-slug', slug: long }, 'slug'],
    ['/crypto/certificatekeypairs/generate/', { common_name: long, alg: 'ecdsa' }, 'common_name'],
  ])('refuses %s with a %s over 255 characters', async (path, body, field) => {
    const res = await t.admin('POST', path, body)
    expect(res.status).toBe(400)
    expect((await res.json())[field]).toEqual(tooLong)
  })

  it('accepts a name of exactly 255 characters', async () => {
    await adminJson(t, 'POST', '/core/groups/', { name: 'g'.repeat(255) }, 201)
  })
})

describe('app tokens keep their identifier and user', () => {
  it('refuses a PUT that renames the token or gives it to another user, and changes nothing', async () => {
    const alice = await createUser(t, 'token-alice')
    const bob = await createUser(t, 'token-bob')
    const token = await adminJson<Record<string, unknown>>(t, 'POST', '/core/tokens/',
      { identifier: 'kept', user: alice.pk, description: 'before' }, 201)
    const { key: _, ...stored } = token
    await refused('PUT', '/core/tokens/kept/', { identifier: 'renamed', user: alice.pk, description: 'after' },
      { identifier: ['This field cannot be changed once the token is created.'] })
    await refused('PUT', '/core/tokens/kept/', { identifier: 'kept', user: bob.pk, description: 'after' },
      { user: ['This field cannot be changed once the token is created.'] })
    await refused('PATCH', '/core/tokens/kept/', { user: bob.pk },
      { user: ['This field cannot be changed once the token is created.'] })
    expect(await adminJson(t, 'GET', '/core/tokens/kept/', undefined, 200)).toEqual(stored)
    expect((await t.admin('GET', '/core/tokens/renamed/')).status).toBe(404)
    const same = await adminJson(t, 'PUT', '/core/tokens/kept/', { identifier: 'kept', user: alice.pk }, 200)
    expect(same).toEqual(stored)
  })
})
