import { expect } from 'vitest'
import { sha256Base64url } from '../../src/crypto/hash.ts'
import type { TestContext } from './app.ts'
import { TestAgent } from './browser-forms.ts'
import { PASSWORD } from './fixtures.ts'

export { startReceiver, type Receiver, type ReceiverAnswer } from './logout-receiver.ts'

/**
 * Requests with an execution context whose `waitUntil` promises are kept, as the Workers runtime does: `settle()`
 * waits for what the app handed over after its responses (the back-channel logout sends).
 */
export function withExecutionContext(t: TestContext): { t: TestContext; settle(): Promise<void>; pending: number } {
  const tasks: Promise<unknown>[] = []
  const ctx = { waitUntil: (p: Promise<unknown>) => { tasks.push(p) }, passThroughOnException: () => {}, props: {} }
  const wrapped: TestContext = { ...t, request: async (path, init) => t.app.request(path, init, undefined, ctx) }
  return {
    t: wrapped,
    get pending() { return tasks.length },
    async settle() {
      while (tasks.length) await Promise.all(tasks.splice(0))
    },
  }
}

/** A browser signed in as `username` through the real login page. */
export async function signIn(t: TestContext, username: string, agent = new TestAgent(t)): Promise<TestAgent> {
  const res = await agent.submit('/login', { username, password: PASSWORD })
  expect(res.status, await res.clone().text()).toBe(303)
  return agent
}

/**
 * The code flow in `agent`'s session for a client with redirect URI `redirectUri` (implicit consent): authorize,
 * then exchange the code; the token answer (`id_token`, `access_token`, ...).
 */
export async function codeFlow(t: TestContext, agent: TestAgent, client: { client_id: string; client_secret: string },
  redirectUri: string, scope = 'openid'): Promise<Record<string, string>> {
  const verifier = 'v'.repeat(50)
  const query = new URLSearchParams({ client_id: client.client_id, redirect_uri: redirectUri, response_type: 'code',
    scope, state: 'st', code_challenge: await sha256Base64url(verifier), code_challenge_method: 'S256' })
  const res = await agent.get(`/application/o/authorize/?${query}`)
  const location = res.headers.get('Location') ?? ''
  const code = new URL(location, 'http://localhost').searchParams.get('code')
  expect(code, `${res.status} ${location} ${await res.clone().text()}`).toBeTruthy()
  const token = await t.request('/application/o/token/', { method: 'POST', body: new URLSearchParams({
    grant_type: 'authorization_code', code: code!, redirect_uri: redirectUri, client_id: client.client_id,
    client_secret: client.client_secret, code_verifier: verifier }) })
  expect(token.status).toBe(200)
  return (await token.json()) as Record<string, string>
}
