import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose'
import { expect } from 'vitest'
import { START, type TestContext } from '../support/app.ts'
import { adminJson, generateKeyPair, type GeneratedKeyPair } from '../support/fixtures.ts'
import { createClient, MINUTE, ok, tokenRequest, type Client } from '../routes/token/support.ts'

export const SECOND = 1000
export const DAY = 1440 * MINUTE
/** METADATA_CACHE_SECONDS is 60 (the default): a next key must be published 120 s before it signs. */
export const LEAD = 120 * SECOND

export interface ProviderOut {
  pk: number; signing_key: string | null; next_signing_key: string | null; next_signing_key_published: string | null
  previous_signing_key: string | null
  previous_signing_key_expires: string | null; signing_key_rotated: string | null; signing_key_rotation: string | null
}

export const at = (ms: number): Date => new Date(new Date(START).getTime() + ms)
export const jwksPath = (client: Client): string => `/application/o/${client.slug}/jwks/`
export const kids = (set: JSONWebKeySet): Array<string | undefined> => set.keys.map((k) => k.kid)

/** A relying party that keeps the key set for the answer's `max-age`, as an HTTP cache would. */
export class RelyingParty {
  #set: JSONWebKeySet | null = null
  #until = 0
  constructor(readonly t: TestContext, readonly fetchJwks: () => Response | Promise<Response>) {}

  async keys(): Promise<JSONWebKeySet> {
    if (this.#set && this.t.clock.now().getTime() < this.#until) return this.#set
    const res = await this.fetchJwks()
    expect(res.status).toBe(200)
    const maxAge = Number(/max-age=(\d+)/.exec(res.headers.get('Cache-Control') ?? '')?.[1])
    expect(maxAge).toBe(60)
    this.#set = await res.json() as JSONWebKeySet
    this.#until = this.t.clock.now().getTime() + maxAge * SECOND
    return this.#set
  }
}

/** The helpers of the key rotation tests, on one test context. */
export function rotationKit(t: TestContext) {
  return {
    rotate: (client: Client) => t.admin('POST', `/providers/oauth2/${client.pk}/rotate_signing_key/`),
    provider: (client: Client) => adminJson<ProviderOut>(t, 'GET', `/providers/oauth2/${client.pk}/`, undefined, 200),
    /** `token` verified with `set` now (never an unknown kid: `createLocalJWKSet` throws on one). */
    async verify(client: Client, token: string, set: JSONWebKeySet): Promise<JWTPayload> {
      return (await jwtVerify(token, createLocalJWKSet(set), { audience: client.client_id, currentDate: t.clock.now(),
        issuer: `http://localhost/application/o/${client.slug}/` })).payload
    },
    /** A client_credentials grant's access and ID token, and the kid that signed them. */
    async issue(client: Client): Promise<{ access: string; id: string; kid: string }> {
      const body = await ok(await tokenRequest(t, { grant_type: 'client_credentials', scope: 'openid',
        client_id: client.client_id, client_secret: client.client_secret }))
      return { access: body.access_token, id: body.id_token, kid: String(decodeProtectedHeader(body.access_token).kid) }
    },
    /** A provider and application `slug` signing with a fresh RSA key `<slug>-a`, access tokens valid 10 minutes. */
    async rsaClient(slug: string, fields: Record<string, unknown> = {}): Promise<{ client: Client; key: GeneratedKeyPair }> {
      const key = await generateKeyPair(t, `${slug}-a`, { alg: 'rsa', key_size: 2048 })
      const client = await createClient(t, slug, { signing_key: key.pk, access_token_validity: 'minutes=10', ...fields })
      return { client, key }
    },
  }
}
