import { eq, inArray } from 'drizzle-orm'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { sha256Hex } from '../../../src/crypto/hash.ts'
import { deviceTokens, loginAttempts } from '../../../src/db/schema.ts'
import { DEVICE_REQUESTS_PER_HOUR as MAX_DEVICE_REQUESTS } from '../../../src/oauth/limits.ts'
import { createTestContext, START, type TestContext } from '../../support/app.ts'
import { adminJson, createProvider, json } from '../../support/fixtures.ts'
import { createClient, HOUR, MINUTE, refused, type Client } from '../token/support.ts'
import { authorized, deviceRequest, USER_CODE } from './support.ts'

let t: TestContext
let pub: Client
let conf: Client
let noGrant: Client
let encoded: Client
let oddValidity: Client
let appless: { client_id: string }

beforeAll(async () => {
  t = await createTestContext()
  pub = await createClient(t, 'device-public', { client_type: 'public' })
  conf = await createClient(t, 'device-confidential')
  noGrant = await createClient(t, 'device-no-grant', { client_type: 'public', grant_types: ['authorization_code'] })
  encoded = await createClient(t, 'device-encoded', { client_type: 'public', client_id: 'test/client+id' })
  // Upper-case keys: a duration `parseDuration` reads but the statement's SQL does not add up itself.
  oddValidity = await createClient(t, 'device-odd', { client_type: 'public', access_code_validity: 'Minutes=2' })
  appless = await createProvider(t, { name: 'device-appless', client_type: 'public' })
}, 60_000)
afterAll(() => t.close())
beforeEach(() => t.clock.set(START))

const tokensOf = (client: Client) => t.db.select().from(deviceTokens).where(eq(deviceTokens.providerId, client.pk))
const from = (ip: string) => ({ headers: { 'X-Forwarded-For': ip } })

describe('device authorization endpoint (RFC 8628 §3.1-3.2, test_device_backchannel.py)', () => {
  it('answers the device code, the verification URIs, the user code, its lifetime and the interval', async () => {
    const body = await authorized(await deviceRequest(t, { client_id: pub.client_id }))
    expect(body).toEqual({
      device_code: expect.stringMatching(/^[A-Za-z0-9]{128}$/),
      verification_uri: 'http://localhost/device',
      verification_uri_complete: `http://localhost/device?code=${body.user_code}`,
      user_code: expect.stringMatching(USER_CODE), expires_in: 60, interval: 5,
    })
    const [row] = await t.db.select().from(deviceTokens)
      .where(eq(deviceTokens.deviceCodeHash, await sha256Hex(body.device_code)))
    expect(row).toMatchObject({ providerId: pub.pk, userCode: body.user_code.replace('-', ''), status: 'pending',
      userId: null, interval: 5, expires: new Date(t.clock.now().getTime() + MINUTE) })
  })

  it('runs one statement for a device authorization', async () => {
    t.counter.reset()
    await authorized(await deviceRequest(t, { client_id: conf.client_id, client_secret: conf.client_secret },
      from('192.0.2.10')))
    expect(t.counter.count).toBe(1)
  })

  it('refuses an unknown or missing client_id with invalid_client', async () => {
    await refused(await deviceRequest(t, { client_id: 'foo' }), 400, 'invalid_client')
    await refused(await deviceRequest(t, {}), 400, 'invalid_client')
  })

  it('refuses a provider without an application with invalid_client', async () => {
    await refused(await deviceRequest(t, { client_id: appless.client_id }), 400, 'invalid_client')
  })

  it('answers unauthorized_client when the provider does not allow device_code (RFC 6749 §5.2)', async () => {
    const body = await refused(await deviceRequest(t, { client_id: noGrant.client_id }), 400, 'unauthorized_client')
    expect(body.error_description).toBe('The client is not authorized to use this grant type')
    expect(await tokensOf(noGrant)).toEqual([])
  })

  it('takes the client id from Basic credentials with an empty secret, percent-decoded', async () => {
    await authorized(await deviceRequest(t, {}, { basic: `${pub.client_id}:` }))
    await authorized(await deviceRequest(t, {}, { basic: `${encodeURIComponent('test/client+id')}:` }))
    expect((await tokensOf(encoded)).length).toBe(1)
  })

  it('challenges unknown Basic credentials with 401 invalid_client', async () => {
    const res = await deviceRequest(t, {}, { basic: 'foo:' })
    await refused(res, 401, 'invalid_client')
    expect(res.headers.get('WWW-Authenticate')).toBe('Basic realm="edge-oidc"')
  })

  it('makes a confidential client authenticate, keeping nothing and counting the failure', async () => {
    const before = (await tokensOf(conf)).length
    await refused(await deviceRequest(t, { client_id: conf.client_id }), 400, 'invalid_client')
    t.counter.reset()
    await refused(await deviceRequest(t, { client_id: conf.client_id, client_secret: 'wrong' }, from('192.0.2.11')),
      400, 'invalid_client')
    expect(t.counter.count).toBe(1)
    expect((await tokensOf(conf)).length).toBe(before)
    const counts = await t.db.select().from(loginAttempts)
      .where(inArray(loginAttempts.key, [`client:${conf.client_id}`, 'token-ip:192.0.2.11',
        `client-ip:192.0.2.11|${conf.client_id}`, `client-ip:|${conf.client_id}`]))
    expect(Object.fromEntries(counts.map((r) => [r.key, r.count]))).toEqual({
      [`client:${conf.client_id}`]: 2, 'token-ip:192.0.2.11': 1, [`client-ip:192.0.2.11|${conf.client_id}`]: 1,
      [`client-ip:|${conf.client_id}`]: 1,
    })
    const res = await deviceRequest(t, {}, { basic: `${conf.client_id}:${conf.client_secret}` })
    await authorized(res)
    expect((await tokensOf(conf)).length).toBe(before + 1)
  })

  it('keeps only the requested scopes the provider maps (authentik #21701)', async () => {
    const body = await authorized(await deviceRequest(t, { client_id: pub.client_id,
      scope: 'openid email invalid openid offline_access' }))
    const [row] = await t.db.select().from(deviceTokens)
      .where(eq(deviceTokens.deviceCodeHash, await sha256Hex(body.device_code)))
    expect(row!.scope).toBe('openid email offline_access')
  })

  it('gives every request its own device and user code', async () => {
    const [a, b] = await Promise.all([1, 2].map(async () => authorized(await deviceRequest(t, { client_id: pub.client_id }))))
    expect(a!.device_code).not.toBe(b!.device_code)
    expect(a!.user_code).not.toBe(b!.user_code)
  })

  it('stores a token whose lifetime is written with exponents and underscores, in its one statement', async () => {
    t.counter.reset()
    const body = await authorized(await deviceRequest(t, { client_id: oddValidity.client_id }))
    expect(t.counter.count).toBe(1)
    expect(body.expires_in).toBe(120)
    const [row] = await tokensOf(oddValidity)
    expect(row!.expires).toEqual(new Date(t.clock.now().getTime() + 2 * MINUTE))
  })

  it('refuses an address after 10 wrong secrets for the client, and serves the client elsewhere', async () => {
    t.clock.set(new Date(new Date(START).getTime() + 2 * HOUR))
    const wrong = { client_id: conf.client_id, client_secret: 'wrong' }
    for (let i = 0; i < 10; i++) await refused(await deviceRequest(t, wrong, from('192.0.2.60')), 400, 'invalid_client')
    const right = { client_id: conf.client_id, client_secret: conf.client_secret }
    const res = await deviceRequest(t, right, from('192.0.2.60'))
    expect(await refused(res, 429, 'invalid_request')).toEqual({ error: 'invalid_request',
      error_description: 'Too many failed requests; try again later.', request_id: res.headers.get('X-Request-Id') })
    expect(res.headers.get('Retry-After')).toBe(String(15 * 60))
    await authorized(await deviceRequest(t, right, from('192.0.2.61')))
  })

  it('allows 20 requests per hour per address, then answers 429 slow_down until the hour ends', async () => {
    t.clock.set(new Date(new Date(START).getTime() + 3 * HOUR + 20 * MINUTE))
    const ip = '198.51.100.7'
    for (let i = 0; i < MAX_DEVICE_REQUESTS; i++) await authorized(await deviceRequest(t, { client_id: pub.client_id }, from(ip)))
    const before = (await tokensOf(pub)).length
    for (const params of [{ client_id: pub.client_id }, { client_id: 'unknown' }]) {
      const res = await deviceRequest(t, params, from(ip))
      const body = await refused(res, 429, 'slow_down')
      expect(body.error_description).toBe('Too many device authorization requests; try again later.')
      expect(res.headers.get('Retry-After')).toBe(String(40 * 60))
    }
    expect((await tokensOf(pub)).length).toBe(before)
    await authorized(await deviceRequest(t, { client_id: pub.client_id }, from('198.51.100.8')))
    t.clock.advance(40 * MINUTE)
    await authorized(await deviceRequest(t, { client_id: pub.client_id }, from(ip)))
  })

  it('answers the CORS preflight and lists the endpoint in discovery', async () => {
    const doc = await json(t.request(`/application/o/${pub.slug}/.well-known/openid-configuration`))
    expect(doc.device_authorization_endpoint).toBe('http://localhost/application/o/device/')
    expect(doc.grant_types_supported).toContain('urn:ietf:params:oauth:grant-type:device_code')
    const provider = await adminJson<{ grant_types: string[] }>(t, 'GET', `/providers/oauth2/${pub.pk}/`, undefined, 200)
    expect(provider.grant_types).toContain('device_code')
  })
})
