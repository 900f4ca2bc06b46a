import { decodeJwt } from 'jose'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestContext, type TestContext } from '../support/app.ts'
import { createProviderApp, defaultMappingPks, EXPLICIT_CONSENT, generateKeyPair, PASSWORD } from '../support/fixtures.ts'
import { startHttpServer, type HttpServer } from '../support/http-server.ts'
import { createUser, SCOPE, type E2EUser } from '../e2e/fixtures.ts'
import { launchChromium } from './chromium.ts'

const SCREENSHOT = '/tmp/edge-oidc-device.png'
const GRANT = 'urn:ietf:params:oauth:grant-type:device_code'
const APP = 'Kitchen display'

let t: TestContext
let server: HttpServer
let user: E2EUser
let client: { client_id: string; client_secret: string }
let browser: Browser
let page: Page

beforeAll(async () => {
  browser = await launchChromium()
  t = await createTestContext()
  t.clock.set(new Date())
  server = await startHttpServer(t)
  user = await createUser(t, 'device-demo', 'device-demo-users')
  const key = await generateKeyPair(t, 'device-browser', { alg: 'rsa', key_size: 2048, validity_days: 30 })
  // Ten minutes for the user code: each poll below moves the clock on by the interval.
  client = await createProviderApp(t, 'device-browser', {
    authorization_flow: EXPLICIT_CONSENT, signing_key: key.pk, property_mappings: await defaultMappingPks(t),
    access_code_validity: 'minutes=10',
  }, { name: APP })
  page = await (await browser.newContext()).newPage()
  page.setDefaultTimeout(10_000)
})

afterAll(async () => {
  await browser?.close()
  await server?.close()
  await t?.close()
})

function post(path: string, params: Record<string, string>): Promise<Response> {
  return fetch(`${server.base}${path}`, { method: 'POST', body: new URLSearchParams({ ...params,
    client_id: client.client_id, client_secret: client.client_secret }) })
}

/**
 * One poll of the device (RFC 8628 §3.4), an interval later on the provider's clock than the one before: the
 * test polls between the user's steps, so each poll sees the flow where the browser left it.
 */
async function poll(deviceCode: string): Promise<{ status: number; body: Record<string, string> }> {
  t.clock.advance(5000)
  const res = await post('/application/o/token/', { grant_type: GRANT, device_code: deviceCode })
  return { status: res.status, body: await res.json() as Record<string, string> }
}

async function expectPending(deviceCode: string): Promise<void> {
  expect(await poll(deviceCode)).toEqual({ status: 400, body: expect.objectContaining({ error: 'authorization_pending' }) })
}

describe('headless Chromium approves a device on the /device page', () => {
  it('signs in, enters the code, consents, while the device polls between the steps until it gets its tokens', async () => {
    const res = await post('/application/o/device/', { scope: SCOPE })
    expect(res.status).toBe(200)
    const started = await res.json() as { device_code: string; user_code: string; verification_uri: string }
    await expectPending(started.device_code)

    // The user types the address their device shows: no code in it, so they enter the code themselves.
    await page.goto(started.verification_uri)
    expect(new URL(page.url()).pathname).toBe('/login')
    await page.fill('input[name=username]', user.username)
    await page.fill('input[name=password]', PASSWORD)
    await page.click('button[type=submit]')
    await page.waitForURL((u) => u.pathname === '/device')
    expect(await page.locator('h1').textContent()).toBe('Connect a device')
    await expectPending(started.device_code)
    // As a person types it: lower case, with a space for the hyphen.
    await page.fill('input[name=code]', started.user_code.toLowerCase().replace('-', ' '))
    await page.click('button[type=submit]')

    await page.locator('button[name=action][value=allow]').waitFor()
    // The confirmation names the application, says a device asks, and shows the code to compare (RFC 8628 §5.4).
    expect(await page.locator('h1').textContent()).toBe(`A device wants to sign in to ${APP}.`)
    expect(await page.locator('strong').first().textContent()).toBe(started.user_code)
    await page.screenshot({ path: SCREENSHOT, fullPage: true })
    await expectPending(started.device_code)
    await page.click('button[name=action][value=allow]')
    await page.locator('text=You may return to your device.').waitFor()
    expect(await page.locator('h1').textContent()).toBe('Device connected')

    const { status, body: tokens } = await poll(started.device_code)
    expect(status).toBe(200)
    expect(tokens).toMatchObject({ token_type: 'Bearer', scope: SCOPE, refresh_token: expect.any(String) })
    expect(decodeJwt(tokens.id_token!)).toMatchObject({ aud: client.client_id, amr: ['pwd'],
      preferred_username: user.username, iss: `${server.base}/application/o/device-browser/` })
  })
})
