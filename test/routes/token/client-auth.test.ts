import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { providers } from '../../../src/db/schema.ts'
import { DEFAULT_DESCRIPTIONS } from '../../../src/oauth/errors.ts'
import { createTestContext, START, type TestContext } from '../../support/app.ts'
import { createUser, type User } from '../../support/fixtures.ts'
import {
  codeParams, createClient, insertCode, ok, REDIRECT, refused, TOKEN, tokenRequest, type Client,
} from './support.ts'

let t: TestContext
let conf: Client
let slashed: Client
let plus: Client
let pub: Client
let noCodeGrant: Client
let alice: User

beforeAll(async () => {
  t = await createTestContext()
  conf = await createClient(t, 'conf')
  slashed = await createClient(t, 'slashed', { client_id: 'client/id', client_secret: 'secret+/==' })
  plus = await createClient(t, 'plus', { client_id: 'plus-client', client_secret: 'secret+plus' })
  pub = await createClient(t, 'pub', { client_type: 'public' })
  noCodeGrant = await createClient(t, 'no-code', { grant_types: ['refresh_token'] })
  alice = await createUser(t, 'alice')
}, 60_000)
afterAll(() => t.close())
beforeEach(() => t.clock.set(START))

describe('client authentication (authentik §4.1, RFC 6749 §2.3.1)', () => {
  it('refuses a wrong client_secret in the body with 400 invalid_client and the standard text', async () => {
    const { code } = await insertCode(t, conf, alice)
    const body = await refused(await tokenRequest(t, codeParams(conf, code, { client_secret: 'wrong' })), 400,
      'invalid_client')
    expect(body.error_description).toBe(DEFAULT_DESCRIPTIONS.invalid_client)
  })

  it('challenges a failed Basic authentication with 401 and WWW-Authenticate', async () => {
    const { code } = await insertCode(t, conf, alice)
    const { client_id: _, client_secret: __, ...params } = codeParams(conf, code)
    const res = await tokenRequest(t, params, { basic: `${conf.client_id}:wrong` })
    await refused(res, 401, 'invalid_client')
    expect(res.headers.get('WWW-Authenticate')).toBe('Basic realm="edge-oidc"')
  })

  it('refuses an unknown client, and a request naming none', async () => {
    const { code } = await insertCode(t, conf, alice)
    await refused(await tokenRequest(t, codeParams(conf, code, { client_id: 'nobody' })), 400, 'invalid_client')
    const { client_id: _, client_secret: __, ...anonymous } = codeParams(conf, code)
    const res = await tokenRequest(t, anonymous)
    await refused(res, 400, 'invalid_client')
    expect(res.headers.get('WWW-Authenticate')).toBeNull()
  })

  it('answers 401 when Basic credentials are not base64 at all', async () => {
    const res = await t.request(TOKEN, {
      method: 'POST', headers: { Authorization: 'Basic qwerqrwe!' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: 'x', redirect_uri: REDIRECT }),
    })
    await refused(res, 401, 'invalid_client')
  })

  it('percent-decodes both parts of Basic credentials (client%2Fid:secret%2B%2F%3D%3D)', async () => {
    const { code } = await insertCode(t, slashed, alice)
    const { client_id: _, client_secret: __, ...params } = codeParams(slashed, code)
    await ok(await tokenRequest(t, params, { basic: 'client%2Fid:secret%2B%2F%3D%3D' }))
  })

  it('keeps a raw + in Basic credentials', async () => {
    const { code } = await insertCode(t, plus, alice)
    const { client_id: _, client_secret: __, ...params } = codeParams(plus, code)
    await ok(await tokenRequest(t, params, { basic: 'plus-client:secret+plus' }))
  })

  it('refuses a body client_id that contradicts the Basic one', async () => {
    const { code } = await insertCode(t, conf, alice)
    const { client_secret: _, ...params } = codeParams(conf, code, { client_id: pub.client_id })
    await refused(await tokenRequest(t, params, { basic: `${conf.client_id}:${conf.client_secret}` }), 400,
      'invalid_request')
  })

  it('lets a public client in without a secret', async () => {
    const { code } = await insertCode(t, pub, alice, { verifier: 'v'.repeat(43) })
    await ok(await tokenRequest(t, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT,
      client_id: pub.client_id, code_verifier: 'v'.repeat(43) }))
  })
})

describe('grant types', () => {
  it('answers unsupported_grant_type for a grant_type it does not know', async () => {
    for (const grant_type of ['foo', 'urn:ietf:params:oauth:grant-type:jwt-bearer', 'toString', '__proto__']) {
      await refused(await tokenRequest(t, { grant_type, client_id: conf.client_id, client_secret: conf.client_secret }),
        400, 'unsupported_grant_type')
    }
  })

  it('answers invalid_request without grant_type', async () => {
    await refused(await tokenRequest(t, { client_id: conf.client_id, client_secret: conf.client_secret }), 400,
      'invalid_request')
  })

  it('answers unauthorized_client when the provider does not allow the grant', async () => {
    const { code } = await insertCode(t, noCodeGrant, alice)
    await refused(await tokenRequest(t, codeParams(noCodeGrant, code)), 400, 'unauthorized_client')
  })

  it('refuses a parameter sent twice (RFC 6749 §3.2)', async () => {
    const { code } = await insertCode(t, conf, alice)
    const body = new URLSearchParams(codeParams(conf, code))
    body.append('code', code)
    await refused(await t.request(TOKEN, { method: 'POST', body }), 400, 'invalid_request')
  })
})

describe('client secrets as keyed hashes (issue 19)', () => {
  const hashOf = async (client: Client) => (await t.db.select({ hash: providers.clientSecretHash }).from(providers)
    .where(eq(providers.id, client.pk)))[0]!.hash

  it('checks a secret stored before keyed hashes against its sealed value, and fills its hash when right',
    async () => {
      const legacy = await createClient(t, 'legacy-secret')
      const hash = await hashOf(legacy)
      expect(hash).toMatch(/^[0-9a-f]{64}$/)
      await t.db.update(providers).set({ clientSecretHash: null }).where(eq(providers.id, legacy.pk))

      // A wrong secret is refused, and fills nothing.
      const { code: first } = await insertCode(t, legacy, alice)
      await refused(await tokenRequest(t, codeParams(legacy, first, { client_secret: 'wrong' })), 400,
        'invalid_client')
      expect(await hashOf(legacy)).toBeNull()

      // The right one: its statement finds no hash, the secret is compared with the sealed one, and the statement
      // runs again with the verdict, filling the hash. From then on, one statement.
      t.counter.reset()
      await ok(await tokenRequest(t, codeParams(legacy, first)))
      expect(t.counter.count).toBe(2)
      expect(await hashOf(legacy)).toBe(hash)
      const { code: second } = await insertCode(t, legacy, alice)
      t.counter.reset()
      await ok(await tokenRequest(t, codeParams(legacy, second)))
      expect(t.counter.count).toBe(1)
    })

  it('stores the hash of a secret changed through the admin API: the old one is refused, the new one served',
    async () => {
      const edited = await createClient(t, 'edited-secret')
      const before = await hashOf(edited)
      const res = await t.admin('PATCH', `/providers/oauth2/${edited.pk}/`, { client_secret: 'a-new-secret-of-ours' })
      expect(res.status).toBe(200)
      expect(await hashOf(edited)).not.toBe(before)
      const { code } = await insertCode(t, edited, alice)
      await refused(await tokenRequest(t, codeParams(edited, code)), 400, 'invalid_client')
      await ok(await tokenRequest(t, codeParams(edited, code, { client_secret: 'a-new-secret-of-ours' })))
    })
})
