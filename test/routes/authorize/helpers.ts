import { eq } from 'drizzle-orm'
import { expect } from 'vitest'
import { authorizationCodes, events } from '../../../src/db/schema.ts'
import type { TestContext } from '../../support/app.ts'
import { createProviderApp, PASSWORD } from '../../support/fixtures.ts'
import { TestAgent } from '../../support/browser-forms.ts'

export const AUTHORIZE = '/application/o/authorize/'

export interface Client { pk: number; clientId: string; slug: string; iss: string }

/** A provider with its application, as an operator makes them; redirect URIs are strict unless given as objects. */
export async function createClient(t: TestContext, slug: string, provider: Record<string, unknown> = {},
  application: Record<string, unknown> = {}): Promise<Client> {
  const p = await createProviderApp(t, slug, {
    redirect_uris: [{ url: 'foo://localhost' }, { url: 'http://localhost' }], ...provider,
  }, { name: `App ${slug}`, ...application })
  return { pk: p.pk, clientId: p.client_id, slug, iss: `http://localhost/application/o/${slug}/` }
}

/** A browser signed in as `username` through the real login page. */
export async function signIn(t: TestContext, username: string, agent = new TestAgent(t)): Promise<TestAgent> {
  const res = await agent.submit('/login', { username, password: PASSWORD })
  expect(res.status, await res.clone().text()).toBe(303)
  return agent
}

/** The authorization endpoint's URL with `params`. */
export function authorizePath(params: Record<string, string>): string {
  return `${AUTHORIZE}?${new URLSearchParams(params)}`
}

/** The Location of a redirect, parsed (relative ones against the app's origin). */
export function location(res: Response): URL {
  const value = res.headers.get('Location')
  expect(value, `status ${res.status}, no Location`).not.toBeNull()
  return new URL(value!, 'http://localhost')
}

/** The parameters of a fragment-mode response. */
export function fragment(url: URL): URLSearchParams {
  return new URLSearchParams(url.hash.slice(1))
}

/** Expect an error redirect with exactly these parameters (in the query unless `mode` says fragment). */
export function expectErrorRedirect(res: Response, status: number, expected: Record<string, string>,
  mode: 'query' | 'fragment' = 'query'): URL {
  expect(res.status, `Location: ${res.headers.get('Location')}`).toBe(status)
  const url = location(res)
  const params = mode === 'query' ? url.searchParams : fragment(url)
  expect(Object.fromEntries(params)).toEqual(expected)
  return url
}

/** The stored code rows of a provider. */
export function codesOf(t: TestContext, providerId: number): Promise<Array<typeof authorizationCodes.$inferSelect>> {
  return t.db.select().from(authorizationCodes).where(eq(authorizationCodes.providerId, providerId))
}

export function eventsOf(t: TestContext, action: string, clientId: string): Promise<Array<typeof events.$inferSelect>> {
  return t.db.select().from(events).where(eq(events.action, action))
    .then((rows) => rows.filter((r) => r.clientId === clientId))
}
