import { env } from 'cloudflare:workers'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../src/app.ts'
import { cloudflareAddress } from '../../src/client-address.ts'
import { systemClock } from '../../src/clock.ts'
import { parseWorkerConfig } from '../../src/config.ts'
import { KeyCache } from '../../src/crypto/key-cache.ts'
import { sha256Hex } from '../../src/crypto/hash.ts'
import { randomId } from '../../src/crypto/random.ts'
import { neonHttpDatabase } from '../../src/db/neon-http.ts'
import { authorizationCodes } from '../../src/db/schema.ts'
import { createMetadataCache, type Deps } from '../../src/deps.ts'
import { MemoryLogger } from '../../src/log.ts'
import {
  adminJson, createProviderApp, createUser, createUserWithPassword, defaultMappingPks, PASSWORD, type AdminApi,
} from '../support/fixtures.ts'
import { formFields } from '../support/browser-forms.ts'
import { ORIGIN, withDb } from './helpers.ts'

// The Worker's app on its own endpoint of Neon's HTTP protocol, which this file breaks, mends and counts the
// statements of (the other files' endpoint is not disturbed). Names are unique to this file: one database serves every file.
const SLUG = 'worker-http-driver'
const REDIRECT = 'https://rp.test/db-down'
const control = async (body: Record<string, unknown>) => (await fetch(
  env.FAULTY_NEON_HTTP_ENDPOINT.replace(/\/sql$/, '/__control'), { method: 'POST', body: JSON.stringify(body) }))
  .json() as Promise<{ queries: number }>
/** How many statements `run` sent to the database (counted by the endpoint, which only this file uses). */
async function statements(run: () => Promise<Response>): Promise<number> {
  const start = await control({})
  const res = await run()
  expect(res.status, await res.clone().text()).toBeLessThan(400)
  await res.arrayBuffer()
  return (await control({})).queries - start.queries
}

const FAULTY_DATABASE_URL = env.DATABASE_URL.replace('@127.0.0.1:', '@faulty.invalid:')
const config = parseWorkerConfig({ SECRET_KEY: env.SECRET_KEY, ADMIN_TOKEN: env.ADMIN_TOKEN, PASSWORD_ITERATIONS: '10000' })
const deps: Deps = {
  // Another host name in the connection string: its statements go to the endpoint this file breaks.
  database: neonHttpDatabase(FAULTY_DATABASE_URL, { fetchEndpoint: env.FAULTY_NEON_HTTP_ENDPOINT, timeoutMs: 1000 }),
  clock: systemClock, keys: new KeyCache(), config, log: new MemoryLogger(), fetch: (i, init) => fetch(i, init),
  metadata: createMetadataCache(config), clientAddress: cloudflareAddress,
}
const app = createApp(deps)
const request = async (path: string, init?: RequestInit) => app.request(`${ORIGIN}${path}`, init)
const api: AdminApi = {
  admin: (method, path, body) => request(`/api/v3${path}`, { method,
    headers: { Authorization: `Bearer ${env.ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }) }),
}

let client: { pk: number; client_id: string; client_secret: string }
let userPk: number
let appPassword: string
const SIGNED_IN_USER = 'worker-http-driver-signed-in'

async function insertCode(): Promise<string> {
  const code = randomId(48)
  const codeHash = await sha256Hex(code)
  await withDb((db) => db.insert(authorizationCodes).values({
    codeHash, providerId: client.pk, userId: userPk, grantId: crypto.randomUUID(), scope: 'openid',
    authTime: new Date(), redirectUri: REDIRECT, expires: new Date(Date.now() + 60_000),
  }))
  return code
}

const exchange = (code: string) => request('/application/o/token/', {
  method: 'POST',
  body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT,
    client_id: client.client_id, client_secret: client.client_secret }),
})

/** A sign-in form posted as a browser would (its page needs no database: the CSRF token is a cookie's HMAC). */
async function signIn(username = 'worker-db-down-user', password = 'not the password',
  post: (init: RequestInit) => Promise<Response> = (init) => request('/login', init)): Promise<Response> {
  const page = await request('/login')
  const cookie = page.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ')
  const fields = formFields(await page.text())
  return post({ method: 'POST', headers: { Cookie: cookie, Origin: ORIGIN,
    'Content-Type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ ...fields, username, password }).toString() })
}

async function expectUnavailable(res: Response): Promise<void> {
  expect(res.status).toBe(503)
  expect(res.headers.get('Retry-After')).toBe('5')
  expect(res.headers.get('Cache-Control')).toBe('no-store')
  expect(await res.json()).toEqual({ error: 'temporarily_unavailable',
    error_description: 'The service is temporarily unavailable', request_id: res.headers.get('X-Request-Id') })
}

beforeAll(async () => {
  await control({ fault: null, latencyMs: 0 })
  client = await createProviderApp(api, SLUG, { redirect_uris: [{ matching_mode: 'strict', url: REDIRECT }],
    property_mappings: await defaultMappingPks(api),
    grant_types: ['authorization_code', 'refresh_token', 'client_credentials', 'password', 'device_code'] })
  userPk = (await createUser(api, 'worker-db-down-user')).pk
  const signedIn = await createUserWithPassword(api, SIGNED_IN_USER)
  appPassword = (await adminJson<{ key: string }>(api, 'POST', '/core/tokens/',
    { identifier: 'worker-http-driver-app-password', user: signedIn.pk }, 201)).key
})
afterEach(() => control({ fault: null, latencyMs: 0 }))

describe('the database unreachable through Neon\'s HTTP driver', () => {
  for (const fault of ['down', 'hang'] as const) {
    const what = fault === 'down' ? 'answers 503' : 'never answers'
    it(`answers 503 temporarily_unavailable (token, authorize, userinfo, login) when the database ${what}, and the code stays unredeemed`, async () => {
      const code = await insertCode()
      await control({ fault })
      await expectUnavailable(await exchange(code))
      await expectUnavailable(await request(`/application/o/authorize/?client_id=${client.client_id}`))
      await expectUnavailable(await request('/application/o/userinfo/', { headers: { Authorization: 'Bearer x' } }))
      await expectUnavailable(await signIn())
      await control({ fault: null })
      const res = await exchange(code)
      expect(res.status, await res.clone().text()).toBe(200)
      expect(await res.json()).toMatchObject({ token_type: 'Bearer', scope: 'openid' })
    })
  }
})

/** A browser's cookies as one `Cookie` header, after `res` set some. */
const cookiesOf = (res: Response, before = ''): string => [before, ...res.headers.getSetCookie()
  .map((line) => line.split(';')[0])].filter(Boolean).join('; ')

describe('statements per request through the HTTP driver (DESIGN.md budgets)', () => {
  it('a code exchange is 1, userinfo 1, discovery 1 cold and 0 warm', async () => {
    const code = await insertCode()
    let accessToken = ''
    expect(await statements(async () => {
      const res = await exchange(code)
      accessToken = ((await res.clone().json()) as { access_token: string }).access_token
      return res
    })).toBe(1)
    expect(await statements(() => request('/application/o/userinfo/', {
      headers: { Authorization: `Bearer ${accessToken}` } }))).toBe(1)
    const discovery = () => request(`/application/o/${SLUG}/.well-known/openid-configuration`)
    expect(await statements(discovery)).toBe(1)
    expect(await statements(discovery)).toBe(0)
  })

  it('login POST 2; authorize signed in, refresh, client credentials, password, device poll, introspection, revocation, device authorization 1 each; JWKS 1 cold and 0 warm',
    async () => {
      const basic = `Basic ${btoa(`${client.client_id}:${client.client_secret}`)}`
      const post = (path: string, params: Record<string, string>) => request(path, { method: 'POST',
        headers: { Authorization: basic }, body: new URLSearchParams(params) })
      const token = (params: Record<string, string>) => post('/application/o/token/', params)
      let cookie = ''
      expect(await statements(async () => {
        const res = await signIn(SIGNED_IN_USER, PASSWORD, (init) => request('/login', init))
        cookie = cookiesOf(res)
        return res
      })).toBe(2)
      expect(cookie).toMatch(/=/)
      let code = ''
      expect(await statements(async () => {
        const res = await request(`/application/o/authorize/?${new URLSearchParams({ client_id: client.client_id,
          redirect_uri: REDIRECT, response_type: 'code', scope: 'openid offline_access', state: 's' })}`,
        { headers: { Cookie: cookie } })
        code = new URL(res.headers.get('Location') ?? 'x:').searchParams.get('code') ?? ''
        return res
      })).toBe(1)
      expect(code).not.toBe('')
      const tokens = await (await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT }))
        .json() as { access_token: string; refresh_token: string }
      let refreshed = { access_token: '', refresh_token: '' }
      expect(await statements(async () => {
        const res = await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token })
        refreshed = await res.clone().json() as typeof refreshed
        return res
      })).toBe(1)
      expect(await statements(() => token({ grant_type: 'client_credentials', scope: 'openid' }))).toBe(1)
      expect(await statements(() => token({ grant_type: 'password', scope: 'openid', username: SIGNED_IN_USER,
        password: appPassword }))).toBe(1)
      let active: unknown
      expect(await statements(async () => {
        const res = await post('/application/o/introspect/', { token: refreshed.access_token })
        active = ((await res.clone().json()) as { active: unknown }).active
        return res
      })).toBe(1)
      expect(active).toBe(true)
      expect(await statements(() => post('/application/o/revoke/', { token: refreshed.refresh_token }))).toBe(1)

      let device = { device_code: '', user_code: '' }
      expect(await statements(async () => {
        const res = await post('/application/o/device/', { scope: 'openid' })
        device = await res.clone().json() as typeof device
        return res
      })).toBe(1)
      const poll = () => token({ grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
        device_code: device.device_code })
      const pending = await statements(async () => {
        const res = await poll()
        expect(await res.clone().json()).toMatchObject({ error: 'authorization_pending' })
        return new Response(null, { status: 200 })
      })
      expect(pending).toBe(1)
      // The user enters the code and allows, as on the page.
      const page = await request(`/device?code=${device.user_code}`, { headers: { Cookie: cookie } })
      cookie = cookiesOf(page, cookie)
      const form = (fields: Record<string, string>) => request('/device', { method: 'POST', headers: {
        Cookie: cookie, Origin: ORIGIN, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString() })
      const asked = await form(formFields(await page.text()))
      expect((await form({ ...formFields(await asked.text()), action: 'allow' })).status).toBe(200)
      expect(await statements(poll)).toBe(1)

      // Another application: this file's first one is in the metadata cache since its discovery document was read.
      await createProviderApp(api, `${SLUG}-jwks`)
      const jwks = () => request(`/application/o/${SLUG}-jwks/jwks/`)
      expect(await statements(jwks)).toBe(1)
      expect(await statements(jwks)).toBe(0)
    })
})
