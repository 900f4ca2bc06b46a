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
import { createProviderApp, createUser, defaultMappingPks, type AdminApi } from '../support/fixtures.ts'
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
  const before = (await control({})).queries
  const res = await run()
  expect(res.status, await res.clone().text()).toBeLessThan(400)
  return (await control({})).queries - before
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
async function signIn(): Promise<Response> {
  const page = await request('/login')
  const cookie = page.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ')
  const fields = formFields(await page.text())
  return request('/login', { method: 'POST', headers: { Cookie: cookie, Origin: ORIGIN,
    'Content-Type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ ...fields, username: 'worker-db-down-user', password: 'not the password' }).toString() })
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
    property_mappings: await defaultMappingPks(api) })
  userPk = (await createUser(api, 'worker-db-down-user')).pk
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

describe('statements per request through the HTTP driver (DESIGN.md budgets)', () => {
  it('a code exchange is 2, userinfo 1, discovery 1 cold and 0 warm', async () => {
    const code = await insertCode()
    let accessToken = ''
    expect(await statements(async () => {
      const res = await exchange(code)
      accessToken = ((await res.clone().json()) as { access_token: string }).access_token
      return res
    })).toBe(2)
    expect(await statements(() => request('/application/o/userinfo/', {
      headers: { Authorization: `Bearer ${accessToken}` } }))).toBe(1)
    const discovery = () => request(`/application/o/${SLUG}/.well-known/openid-configuration`)
    expect(await statements(discovery)).toBe(1)
    expect(await statements(discovery)).toBe(0)
  })
})
