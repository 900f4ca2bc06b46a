import { base64url } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { findForm, formFields } from '../support/browser-forms.ts'
import { createProviderApp, createUserWithPassword, defaultMappingPks, EXPLICIT_CONSENT, PASSWORD } from '../support/fixtures.ts'
import { localPath, workerAdmin, workerFetch, WorkerBrowser } from './helpers.ts'

// One PostgreSQL serves every file of this project: names here are unique to this file.
const SLUG = 'worker-par'
const USERNAME = 'worker-par-user'
const REDIRECT = 'https://rp-par.test/callback'
const VERIFIER = 'worker-par-verifier-0123456789-abcdefghijklmnopqrstuvwxyz'

let client: { client_id: string; client_secret: string }
const browser = new WorkerBrowser()

const basic = () => `Basic ${btoa(`${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret)}`)}`

async function push(state: string): Promise<string> {
  const challenge = base64url.encode(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(VERIFIER))))
  const res = await workerFetch('/application/o/par/', { method: 'POST', headers: { Authorization: basic() },
    body: new URLSearchParams({ client_id: client.client_id, response_type: 'code', redirect_uri: REDIRECT,
      scope: 'openid email', state, code_challenge: challenge, code_challenge_method: 'S256' }) })
  const body = await res.json() as { request_uri: string; expires_in: number }
  expect(res.status, JSON.stringify(body)).toBe(201)
  expect(res.headers.get('Cache-Control')).toBe('no-store')
  expect(body.expires_in).toBe(60)
  return body.request_uri
}

const byReference = (requestUri: string) =>
  `/application/o/authorize/?${new URLSearchParams({ client_id: client.client_id, request_uri: requestUri })}`

/** The code of a redirect to the client with `state`. */
function codeAt(res: Response, status: number, state: string): string {
  expect(res.status).toBe(status)
  const url = new URL(res.headers.get('Location')!)
  expect(url.origin + url.pathname).toBe(REDIRECT)
  expect(url.searchParams.get('state')).toBe(state)
  return url.searchParams.get('code')!
}

beforeAll(async () => {
  client = await createProviderApp(workerAdmin, SLUG, {
    client_type: 'confidential', authorization_flow: EXPLICIT_CONSENT, property_mappings: await defaultMappingPks(workerAdmin),
    redirect_uris: [{ matching_mode: 'strict', url: REDIRECT }],
  })
  await createUserWithPassword(workerAdmin, USERNAME)
})

describe('pushed authorization requests in workerd on PostgreSQL', () => {
  it('pushes, signs in, consents and exchanges the code; the reference is single use', async () => {
    const requestUri = await push('par-1')
    const toLogin = await browser.get(byReference(requestUri))
    expect(toLogin.status).toBe(302)
    const loginPath = localPath(toLogin.headers.get('Location'))
    const loginPage = await (await browser.get(loginPath)).text()
    const login = findForm(loginPage, '/login')
    const back = await browser.post(login.action!, { ...formFields(login.body), username: USERNAME, password: PASSWORD })
    expect(back.status).toBe(303)
    const consentPage = await browser.get(localPath(back.headers.get('Location')))
    expect(consentPage.status).toBe(200)
    const consent = findForm(await consentPage.text(), '/consent')
    const fields = formFields(consent.body)
    expect(fields.request_uri).not.toBe(requestUri)
    const code = codeAt(await browser.post(consent.action!, { ...fields, action: 'allow' }), 303, 'par-1')

    const tokens = await workerFetch('/application/o/token/', { method: 'POST', headers: { Authorization: basic() },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: VERIFIER }) })
    expect(tokens.status, await tokens.clone().text()).toBe(200)

    const reused = await browser.get(byReference(requestUri))
    expect(reused.status).toBe(400)
    expect(await reused.text()).toContain('Request URI Error')
  })

  it('issues straight away for a signed-in user with a remembered consent, once', async () => {
    const requestUri = await push('par-2')
    codeAt(await browser.get(byReference(requestUri)), 302, 'par-2')
    expect((await browser.get(byReference(requestUri))).status).toBe(400)
  })
})
