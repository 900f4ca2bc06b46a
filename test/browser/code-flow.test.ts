import { decodeJwt } from 'jose'
import type { Browser, BrowserContext, Page, Request } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sha256Base64url } from '../../src/crypto/hash.ts'
import { randomId } from '../../src/crypto/random.ts'
import { createTestContext, type TestContext } from '../support/app.ts'
import { startCallbackServer, startHttpServer, type Callback, type HttpServer } from '../support/http-server.ts'
import { generateKeyPair, PASSWORD } from '../support/fixtures.ts'
import { createClient, createUser, SCOPE, type E2EClient, type E2EUser } from '../e2e/fixtures.ts'
import { launchChromium } from './chromium.ts'

const SCREENSHOT = '/tmp/edge-oidc-consent.png'
const AUTHORIZE = '/application/o/authorize/'

let t: TestContext
let server: HttpServer
let callback: Callback
let user: E2EUser
let app: E2EClient
let browser: Browser
let context: BrowserContext
let page: Page

beforeAll(async () => {
  browser = await launchChromium()
  t = await createTestContext()
  t.clock.set(new Date())
  ;[server, callback] = await Promise.all([startHttpServer(t), startCallbackServer()])
  // Like the demo that `npm start` creates: one user, one RS256 provider with explicit consent, one application.
  user = await createUser(t, 'demo', 'demo-users')
  const key = await generateKeyPair(t, 'e2e-browser', { alg: 'rsa', key_size: 2048, validity_days: 30 })
  app = await createClient(t, { slug: 'demo', name: 'Demo application', redirectUri: callback.url, signingKey: key.pk })
  context = await browser.newContext()
  page = await context.newPage()
  page.setDefaultTimeout(10_000)
})

afterAll(async () => {
  await browser?.close()
  await Promise.all([server?.close(), callback?.close()])
  await t?.close()
})

/** An authorization request for the demo application, with PKCE S256, nonce and state. */
async function authorizationRequest(extra: Record<string, string> = {}) {
  const checks = { verifier: randomId(64), state: randomId(24), nonce: randomId(24) }
  const params = new URLSearchParams({
    client_id: app.clientId, redirect_uri: app.redirectUri, response_type: 'code', scope: SCOPE,
    state: checks.state, nonce: checks.nonce, code_challenge: await sha256Base64url(checks.verifier),
    code_challenge_method: 'S256', ...extra,
  })
  return { url: `${server.base}${AUTHORIZE}?${params}`, checks }
}

/** The requests of a navigation, first to last, from the final one's redirect chain. */
function redirectChain(last: Request): Request[] {
  const chain: Request[] = []
  for (let r: Request | null = last; r; r = r.redirectedFrom()) chain.unshift(r)
  return chain
}

const withoutQuery = (url: string) => url.replace(/[?#].*$/, '')

/** Click a form's submit button; the browser's POST to `action` must be answered with a 303 (it was accepted). */
async function submitForm(button: string, action: string): Promise<void> {
  const [res] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === action),
    page.click(button),
  ])
  if (res.status() !== 303) {
    const origin = (await res.request().allHeaders()).origin
    const main = /<main>([\s\S]*)<\/main>/.exec(await res.text().catch(() => ''))?.[1] ?? ''
    const text = main.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim()
    expect.fail(`POST ${action} (sent with Origin: ${origin}) was answered ${res.status()}: ${text.slice(0, 300)}`)
  }
}

const issuer = () => `${server.base}/application/o/${app.slug}/`

describe('headless Chromium through the real pages', () => {
  it('signs in, consents and lands on the redirect URI with a code and the state', async () => {
    const { url, checks } = await authorizationRequest()
    await page.goto(url)
    expect(withoutQuery(page.url())).toBe(`${server.base}/login`)
    expect(await page.title()).toBe(`Sign in to ${app.name}`)
    await page.fill('input[name=username]', user.username)
    await page.fill('input[name=password]', PASSWORD)
    await submitForm('button[type=submit]', '/login')
    await page.waitForURL((u) => u.pathname === AUTHORIZE)

    expect(await page.locator('h1').textContent()).toBe(`You're about to sign in to ${app.name}.`)
    await page.screenshot({ path: SCREENSHOT, fullPage: true })
    await submitForm('button[name=action][value=allow]', '/consent')
    await page.waitForURL((u) => withoutQuery(u.href) === callback.url)

    const landed = new URL(page.url())
    expect(Object.fromEntries(landed.searchParams)).toEqual({
      code: expect.stringMatching(/^[A-Za-z0-9]{48}$/), state: checks.state, iss: issuer(),
    })
    expect(callback.received.map((u) => u.href)).toEqual([landed.href])
    expect(await page.locator('body').textContent()).toBe('ok')

    // The code the browser carried is good for tokens at the token endpoint.
    const res = await fetch(`${server.base}/application/o/token/`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'authorization_code', code: landed.searchParams.get('code')!,
        redirect_uri: app.redirectUri, code_verifier: checks.verifier, client_id: app.clientId,
        client_secret: app.clientSecret }),
    })
    expect(res.status, await res.clone().text()).toBe(200)
    const body = await res.json() as { id_token: string }
    expect(decodeJwt(body.id_token)).toMatchObject({ iss: issuer(), nonce: checks.nonce, amr: ['pwd'],
      preferred_username: user.username })
  })

  it('answers a second authorization with prompt=none at once, without any page of ours', async () => {
    const cookies = (await context.cookies()).map((c) => c.name)
    expect(cookies, 'the browser signed in by the previous test').toContain('edge_oidc_session')
    const { url, checks } = await authorizationRequest({ prompt: 'none' })
    const before = callback.received.length
    const response = await page.goto(url)

    const chain = redirectChain(response!.request())
    expect(chain.map((r) => withoutQuery(r.url()))).toEqual([`${server.base}${AUTHORIZE}`, callback.url])
    expect((await chain[0]!.response())?.status()).toBe(302)
    expect(response!.status()).toBe(200)

    const landed = new URL(page.url())
    expect(Object.fromEntries(landed.searchParams)).toEqual({
      code: expect.stringMatching(/^[A-Za-z0-9]{48}$/), state: checks.state, iss: issuer(),
    })
    expect(callback.received.slice(before).map((u) => u.href)).toEqual([landed.href])
  })
})
