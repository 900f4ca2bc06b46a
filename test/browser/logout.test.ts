import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sha256Base64url, sha256Hex } from '../../src/crypto/hash.ts'
import { createTestContext, type TestContext } from '../support/app.ts'
import { createProviderApp, generateKeyPair, PASSWORD } from '../support/fixtures.ts'
import { startCallbackServer, startHttpServer, type Callback, type HttpServer } from '../support/http-server.ts'
import { startReceiver, type Receiver } from '../support/logout-receiver.ts'
import { createUser } from '../e2e/fixtures.ts'
import { launchChromium } from './chromium.ts'

let t: TestContext
let server: HttpServer
let callback: Callback
let receiver: Receiver
let browser: Browser
let page: Page
let client: { client_id: string; client_secret: string }

beforeAll(async () => {
  browser = await launchChromium()
  t = await createTestContext()
  t.clock.set(new Date())
  ;[server, callback, receiver] = await Promise.all([startHttpServer(t), startCallbackServer(), startReceiver()])
  await createUser(t, 'logout-user', 'logout-users')
  const key = await generateKeyPair(t, 'browser-logout', { alg: 'rsa', key_size: 2048 })
  client = await createProviderApp(t, 'browser-logout', {
    signing_key: key.pk, logout_method: 'frontchannel', logout_uri: `${receiver.base}/front?tenant=7`,
    redirect_uris: [{ matching_mode: 'strict', url: callback.url },
      { matching_mode: 'strict', url: callback.url, redirect_uri_type: 'logout' }],
  }, { name: 'Browser logout app' })
  page = await (await browser.newContext()).newPage()
  page.setDefaultTimeout(10_000)
})

afterAll(async () => {
  await browser?.close()
  await Promise.all([server?.close(), callback?.close(), receiver?.close()])
  await t?.close()
})

describe('logout in headless Chromium', () => {
  it('confirms, loads the front-channel iframe with iss and sid, then continues to the registered URI with the state', async () => {
    await page.goto(`${server.base}/login`)
    await page.fill('input[name=username]', 'logout-user')
    await page.fill('input[name=password]', PASSWORD)
    await Promise.all([page.waitForURL(`${server.base}/`), page.click('button[type=submit]')])
    const verifier = 'browser-logout-verifier-0123456789-abcdefghijkl'
    const authorize = new URLSearchParams({ client_id: client.client_id, redirect_uri: callback.url, response_type: 'code',
      scope: 'openid', state: 's', code_challenge: await sha256Base64url(verifier), code_challenge_method: 'S256' })
    await page.goto(`${server.base}/application/o/authorize/?${authorize}`)
    const code = new URL(page.url()).searchParams.get('code')!
    const token = await fetch(`${server.base}/application/o/token/`, { method: 'POST', body: new URLSearchParams({
      grant_type: 'authorization_code', code, redirect_uri: callback.url, code_verifier: verifier,
      client_id: client.client_id, client_secret: client.client_secret }) })
    expect(token.status).toBe(200)
    const session = (await page.context().cookies()).find((c) => c.name === 'edge_oidc_session')!

    const endSession = new URLSearchParams({ client_id: client.client_id, post_logout_redirect_uri: callback.url,
      state: 'after-logout' })
    await page.goto(`${server.base}/application/o/browser-logout/end-session/?${endSession}`)
    expect(await page.locator('h1').textContent()).toBe('Sign out of edge-oidc?')
    const before = callback.received.length
    await page.click('button[name=action][value=logout]')
    await page.waitForURL((u) => u.href.startsWith(callback.url), { timeout: 15_000 })

    expect(Object.fromEntries(new URL(page.url()).searchParams)).toEqual({ state: 'after-logout' })
    expect(callback.received.length).toBe(before + 1)
    const frames = receiver.received.filter((r) => r.path.startsWith('/front'))
    expect(frames).toHaveLength(1)
    const query = Object.fromEntries(new URL(frames[0]!.path, receiver.base).searchParams)
    expect(query).toEqual({ tenant: '7', iss: `${server.base}/application/o/browser-logout/`,
      sid: await sha256Hex(session.value) })
    expect((await page.context().cookies()).map((c) => c.name)).not.toContain('edge_oidc_session')
  })
})
