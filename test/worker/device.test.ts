import { eq } from 'drizzle-orm'
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { sha256Hex } from '../../src/crypto/hash.ts'
import { accessTokens, deviceTokens } from '../../src/db/schema.ts'
import { findForm, formFields } from '../support/browser-forms.ts'
import {
  createProviderApp, createUserWithPassword, defaultMappingPks, generateKeyPair, IMPLICIT_CONSENT, PASSWORD,
} from '../support/fixtures.ts'
import { localPath, ORIGIN, withDb, workerAdmin, workerFetch, WorkerBrowser } from './helpers.ts'
import { presentedTokenHash } from '../../src/oauth/presented-jti.ts'

// One PostgreSQL serves every file of this project: names here are unique to this file.
const SLUG = 'worker-device'
const USERNAME = 'worker-device-user'
const ISSUER = `${ORIGIN}/application/o/${SLUG}/`
const GRANT = 'urn:ietf:params:oauth:grant-type:device_code'

let client: { client_id: string; client_secret: string }
let user: { pk: number }
let jwks: ReturnType<typeof createLocalJWKSet>
const browser = new WorkerBrowser()
const flow: { deviceCode?: string; userCode?: string; verification?: string } = {}

function post(path: string, params: Record<string, string>): Promise<Response> {
  const basic = btoa(`${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret)}`)
  return workerFetch(path, { method: 'POST', headers: { Authorization: `Basic ${basic}` },
    body: new URLSearchParams(params) })
}

const poll = () => post('/application/o/token/', { grant_type: GRANT, device_code: flow.deviceCode! })

async function expectError(res: Response, error: string): Promise<void> {
  expect(res.status).toBe(400)
  expect(await res.json()).toEqual({ error, error_description: expect.any(String),
    request_id: res.headers.get('X-Request-Id') })
  expect(res.headers.get('Cache-Control')).toBe('no-store')
  expect(res.headers.get('Pragma')).toBe('no-cache')
}

beforeAll(async () => {
  const key = await generateKeyPair(workerAdmin, 'worker-device-key', { validity_days: 30, alg: 'ecdsa', key_size: 256 })
  client = await createProviderApp(workerAdmin, SLUG, {
    name: 'worker-device-provider', authorization_flow: IMPLICIT_CONSENT, signing_key: key.pk,
    property_mappings: await defaultMappingPks(workerAdmin), grant_types: ['device_code', 'refresh_token'],
  }, { name: 'Worker Device' })
  user = await createUserWithPassword(workerAdmin, USERNAME, { name: 'Worker Device', email: 'worker-device@example.com' })
  const res = await workerFetch(`/application/o/${SLUG}/jwks/`)
  jwks = createLocalJWKSet((await res.json()) as JSONWebKeySet)
})

describe('device flow in workerd on PostgreSQL', () => {
  it('starts a device authorization, storing only the device code\'s hash', async () => {
    const res = await post('/application/o/device/', { scope: 'openid email offline_access unknown' })
    expect(res.status, await res.clone().text()).toBe(200)
    expect(res.headers.get('Cache-Control')).toBe('no-store')
    const body = (await res.json()) as Record<string, string | number>
    expect(body).toMatchObject({ verification_uri: `${ORIGIN}/device`, expires_in: 60, interval: 5 })
    flow.deviceCode = String(body.device_code)
    flow.userCode = String(body.user_code)
    flow.verification = String(body.verification_uri_complete)
    expect(flow.verification).toBe(`${ORIGIN}/device?code=${flow.userCode}`)
    const [row] = await withDb(async (db) => db.select().from(deviceTokens)
      .where(eq(deviceTokens.deviceCodeHash, await sha256Hex(flow.deviceCode!))))
    expect(row).toMatchObject({ userCode: flow.userCode.replace('-', ''), scope: 'openid email offline_access',
      status: 'pending' })
  })

  it('answers authorization_pending, then slow_down to a poll sooner than the interval', async () => {
    await expectError(await poll(), 'authorization_pending')
    await expectError(await poll(), 'slow_down')
    const [row] = await withDb(async (db) => db.select().from(deviceTokens)
      .where(eq(deviceTokens.deviceCodeHash, await sha256Hex(flow.deviceCode!))))
    expect(row!.interval).toBe(10)
  })

  it('lets the user sign in, enter the code and approve on the confirmation naming the device', async () => {
    const toLogin = await browser.get(localPath(flow.verification!))
    expect(toLogin.status).toBe(302)
    const loginPath = localPath(toLogin.headers.get('Location'))
    const login = findForm(await (await browser.get(loginPath)).text(), '/login')
    const back = await browser.post('/login', { ...formFields(login.body), username: USERNAME, password: PASSWORD })
    expect(back.status).toBe(303)
    const page = await browser.get(localPath(back.headers.get('Location')))
    expect(page.headers.get('Content-Security-Policy')).toContain("frame-ancestors 'none'")
    const entry = findForm(await page.text(), '/device')
    expect(formFields(entry.body).code).toBe(flow.userCode)
    const asked = await browser.post('/device', formFields(entry.body))
    expect(asked.status).toBe(200)
    const confirm = findForm(await asked.text(), '/device')
    expect(confirm.body).toContain('name="action" value="allow"')
    const [pending] = await withDb(async (db) => db.select().from(deviceTokens)
      .where(eq(deviceTokens.deviceCodeHash, await sha256Hex(flow.deviceCode!))))
    expect(pending).toMatchObject({ status: 'pending', userId: null })
    const done = await browser.post('/device', { ...formFields(confirm.body), action: 'allow' })
    expect(done.status).toBe(200)
    expect(await done.text()).toContain('You may return to your device.')
  })

  it('issues the tokens on the next poll and consumes the device code', async () => {
    const res = await poll()
    expect(res.status, await res.clone().text()).toBe(200)
    expect(res.headers.get('Cache-Control')).toBe('no-store')
    const body = (await res.json()) as Record<string, string>
    expect(body).toMatchObject({ token_type: 'Bearer', scope: 'openid email offline_access',
      refresh_token: expect.stringMatching(/^[A-Za-z0-9]{128}$/) })
    const { payload } = await jwtVerify(body.id_token!, jwks, { issuer: ISSUER, audience: client.client_id })
    expect(payload).toMatchObject({ email: 'worker-device@example.com', amr: ['pwd'],
      sid: await sha256Hex(browser.cookies.get('__Host-edge_oidc_session')!) })
    await withDb(async (db) => {
      const [access] = await db.select().from(accessTokens).where(eq(accessTokens.tokenHash, await presentedTokenHash(body.access_token!)))
      expect(access).toMatchObject({ userId: user.pk, scope: 'openid email offline_access' })
      expect(await db.select().from(deviceTokens)
        .where(eq(deviceTokens.deviceCodeHash, await sha256Hex(flow.deviceCode!)))).toEqual([])
    })
    await expectError(await poll(), 'invalid_grant')
  })
})
