import { eq } from 'drizzle-orm'
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../src/app.ts'
import { deriveSecrets } from '../../src/crypto/secret-box.ts'
import { loadProviderBySlug } from '../../src/db/providers.ts'
import { keyPairs } from '../../src/db/schema.ts'
import { createMetadataCache } from '../../src/deps.ts'
import { verifyIdTokenHint } from '../../src/oauth/id-token-hint.ts'
import { rotateSigningKeys } from '../../src/oauth/key-rotation-run.ts'
import { runScheduled } from '../../src/oauth/logout-dispatch.ts'
import { createTestContext, START, type TestContext } from '../support/app.ts'
import { adminJson, createUser, generateKeyPair, json, type GeneratedKeyPair } from '../support/fixtures.ts'
import { ALL_GRANTS, appPassword } from '../routes/token/credentials-support.ts'
import { createClient, eventsOf, MINUTE, ok, tokenRequest, type Client } from '../routes/token/support.ts'

const SECOND = 1000
const DAY = 1440 * MINUTE
/** METADATA_CACHE_SECONDS is 60 (the default): a next key must be published 120 s before it signs. */
const LEAD = 120 * SECOND

let t: TestContext
/** A second isolate on the same database: its caches never hear of the admin API's changes. */
let other: ReturnType<typeof createApp>

interface ProviderOut {
  pk: number; signing_key: string | null; next_signing_key: string | null; previous_signing_key: string | null
  previous_signing_key_expires: string | null; signing_key_rotated: string | null; signing_key_rotation: string | null
}

beforeAll(async () => {
  t = await createTestContext()
  other = createApp({ ...t.deps, metadata: createMetadataCache(t.deps.config) })
}, 60_000)
afterAll(() => t.close())

const at = (ms: number) => new Date(new Date(START).getTime() + ms)
const jwksPath = (client: Client) => `/application/o/${client.slug}/jwks/`
const rotate = (client: Client) => t.admin('POST', `/providers/oauth2/${client.pk}/rotate_signing_key/`)
const provider = (client: Client) => adminJson<ProviderOut>(t, 'GET', `/providers/oauth2/${client.pk}/`, undefined, 200)
const kids = (set: JSONWebKeySet) => set.keys.map((k) => k.kid)

/** A relying party that keeps the key set for the answer's `max-age`, as an HTTP cache would. */
class RelyingParty {
  #set: JSONWebKeySet | null = null
  #until = 0
  constructor(readonly fetchJwks: () => Response | Promise<Response>) {}

  async keys(): Promise<JSONWebKeySet> {
    if (this.#set && t.clock.now().getTime() < this.#until) return this.#set
    const res = await this.fetchJwks()
    expect(res.status).toBe(200)
    const maxAge = Number(/max-age=(\d+)/.exec(res.headers.get('Cache-Control') ?? '')?.[1])
    expect(maxAge).toBe(60)
    this.#set = await res.json() as JSONWebKeySet
    this.#until = t.clock.now().getTime() + maxAge * SECOND
    return this.#set
  }
}

/** `token` verified with `set` now (never an unknown kid: `createLocalJWKSet` throws on one). */
async function verify(client: Client, token: string, set: JSONWebKeySet) {
  return (await jwtVerify(token, createLocalJWKSet(set), { audience: client.client_id, currentDate: t.clock.now(),
    issuer: `http://localhost/application/o/${client.slug}/` })).payload
}

async function issue(client: Client): Promise<{ access: string; id: string; kid: string }> {
  const body = await ok(await tokenRequest(t, { grant_type: 'client_credentials', scope: 'openid',
    client_id: client.client_id, client_secret: client.client_secret }))
  return { access: body.access_token, id: body.id_token, kid: String(decodeProtectedHeader(body.access_token).kid) }
}

async function rsaClient(slug: string, fields: Record<string, unknown> = {}): Promise<{ client: Client; key: GeneratedKeyPair }> {
  const key = await generateKeyPair(t, `${slug}-a`, { alg: 'rsa', key_size: 2048 })
  const client = await createClient(t, slug, { signing_key: key.pk, access_token_validity: 'minutes=10', ...fields })
  return { client, key }
}

describe('manual rotation (POST .../rotate_signing_key/)', () => {
  it('never shows a caching relying party an unknown kid: tokens before, during and after verify', async () => {
    t.clock.set(START)
    const { client, key: a } = await rsaClient('rot')
    const fresh = () => new RelyingParty(() => t.request(jwksPath(client)))
    const viaOther = new RelyingParty(() => other.request(jwksPath(client)))
    const early = fresh()
    expect(kids(await early.keys())).toEqual([a.kid])
    expect(kids(await viaOther.keys())).toEqual([a.kid])
    const before = await issue(client)
    expect(before.kid).toBe(a.kid)

    // T1: the next key is set, and published at once by this isolate (the other one still serves its cache).
    t.clock.set(at(30 * SECOND))
    const b = await generateKeyPair(t, 'rot-b', { alg: 'rsa', key_size: 2048 })
    await adminJson(t, 'PATCH', `/providers/oauth2/${client.pk}/`, { next_signing_key: b.pk }, 200)
    expect(kids(await fresh().keys())).toEqual([a.kid, b.kid])
    // Worst case: the other isolate's cache (from START) answered just before it expires; that RP keeps it 60 s.
    t.clock.set(at(59 * SECOND))
    const stale = new RelyingParty(() => other.request(jwksPath(client)))
    expect(kids(await stale.keys())).toEqual([a.kid])
    const during = await issue(client)
    expect(during.kid).toBe(a.kid)

    // Too early: until T1 + 120 s some relying party may hold a key set without the next key.
    t.clock.set(at(149 * SECOND))
    const res = await rotate(client)
    expect(res.status).toBe(400)
    expect(await res.json()).toEqual({ next_signing_key: ['The next signing key must be published for 120 seconds '
      + `before it signs (twice METADATA_CACHE_SECONDS); rotate at ${at(150 * SECOND).toISOString()} or later.`] })
    const justBefore = new RelyingParty(() => other.request(jwksPath(client)))
    expect(kids(await justBefore.keys())).toEqual([a.kid, b.kid])

    t.clock.set(at(150 * SECOND))
    const rotated = await adminJson<ProviderOut>(t, 'POST', `/providers/oauth2/${client.pk}/rotate_signing_key/`,
      undefined, 200)
    expect(rotated).toMatchObject({ signing_key: b.pk, next_signing_key: null, previous_signing_key: a.pk,
      previous_signing_key_expires: at(150 * SECOND + 10 * MINUTE).toISOString(),
      signing_key_rotated: at(150 * SECOND).toISOString() })
    const after = await issue(client)
    expect(after.kid).toBe(b.kid)

    // Every relying party, whatever it cached (or refetches now), verifies every live token.
    const parties = [early, viaOther, stale, justBefore, fresh(), new RelyingParty(() => other.request(jwksPath(client)))]
    for (const rp of parties) {
      const set = await rp.keys()
      for (const token of [before, during, after]) {
        expect((await verify(client, token.access, set)).azp).toBe(client.client_id)
        await verify(client, token.id, set)
      }
    }
    expect(kids(await fresh().keys())).toEqual([b.kid, a.kid])

    // The previous key leaves JWKS when every token it signed has expired.
    t.clock.set(at(150 * SECOND + 10 * MINUTE - SECOND))
    expect(kids(await fresh().keys())).toEqual([b.kid, a.kid])
    t.clock.set(at(150 * SECOND + 10 * MINUTE))
    const newIsolate = createApp({ ...t.deps, metadata: createMetadataCache(t.deps.config) })
    expect(kids(await new RelyingParty(() => newIsolate.request(jwksPath(client))).keys())).toEqual([b.kid])
    // An isolate that cached the set a second earlier drops it when its cache expires.
    t.clock.set(at(150 * SECOND + 11 * MINUTE))
    expect(kids(await fresh().keys())).toEqual([b.kid])
    await verify(client, (await issue(client)).access, await fresh().keys())

    const [event] = await eventsOf(t, 'secret_rotate', client)
    expect(event?.context).toMatchObject({ automatic: false, signing_key: b.pk, previous_signing_key: a.pk,
      previous_signing_key_expires: rotated.previous_signing_key_expires,
      model: { app: 'authentik_providers_oauth2', model_name: 'oauth2provider', pk: client.pk, name: 'rot' } })
  })

  it('still accepts an id_token_hint signed with the previous key, even after it left JWKS', async () => {
    t.clock.set(START)
    const { client } = await rsaClient('rot-hint')
    const hint = (await issue(client)).id
    const b = await generateKeyPair(t, 'rot-hint-b', { alg: 'rsa', key_size: 2048 })
    await adminJson(t, 'PATCH', `/providers/oauth2/${client.pk}/`, { next_signing_key: b.pk }, 200)
    t.clock.set(at(LEAD))
    expect((await rotate(client)).status).toBe(200)
    t.clock.set(at(LEAD + DAY))
    const bundle = await loadProviderBySlug(t.db, client.slug)
    const secrets = await deriveSecrets(t.deps.config.secretKey)
    expect(await verifyIdTokenHint(hint, bundle!, 'http://localhost', secrets, t.deps.keys)).toMatchObject({ sid: null })
    expect(await verifyIdTokenHint(`${hint}x`, bundle!, 'http://localhost', secrets, t.deps.keys)).toBeNull()
  })

  it("keeps a federated provider's access token, signed before its rotation, usable as an assertion", async () => {
    t.clock.set(START)
    const { client: issuer } = await rsaClient('rot-fed-issuer', { grant_types: ALL_GRANTS })
    const federating = await createClient(t, 'rot-fed', { grant_types: ALL_GRANTS, jwt_federation_providers: [issuer.pk] })
    const user = await createUser(t, 'rot-fed-user')
    const body = await ok(await tokenRequest(t, { grant_type: 'client_credentials', scope: 'openid profile',
      client_id: issuer.client_id, username: user.username, password: await appPassword(t, user.pk, 'rot-fed-key') }))
    const b = await generateKeyPair(t, 'rot-fed-b', { alg: 'rsa', key_size: 2048 })
    await adminJson(t, 'PATCH', `/providers/oauth2/${issuer.pk}/`, { next_signing_key: b.pk }, 200)
    t.clock.advance(LEAD)
    expect((await rotate(issuer)).status).toBe(200)
    const res = await tokenRequest(t, { grant_type: 'client_credentials', scope: 'openid profile',
      client_id: federating.client_id, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: body.access_token })
    const { access_token: access } = await ok(res)
    expect(decodeJwt(access)).toMatchObject({ preferred_username: 'rot-fed-user', aud: federating.client_id })
  })

  it('refuses without a next key (400 field error), changing nothing', async () => {
    const { client, key } = await rsaClient('rot-none')
    const res = await rotate(client)
    expect(res.status).toBe(400)
    expect(await res.json()).toEqual({ next_signing_key: ['This provider has no next signing key to rotate to.'] })
    expect(await provider(client)).toMatchObject({ signing_key: key.pk, previous_signing_key: null, signing_key_rotated: null })
    expect(await eventsOf(t, 'secret_rotate', client)).toEqual([])
  })

  it('refuses a next key of another algorithm, and a provider that signs with HS256', async () => {
    t.clock.set(START)
    const ec = await generateKeyPair(t, 'rot-ec', { alg: 'ecdsa', key_size: 256 })
    const { client } = await rsaClient('rot-alg', { next_signing_key: ec.pk })
    const hs = await createClient(t, 'rot-hs', { next_signing_key: ec.pk })
    t.clock.set(at(DAY))
    for (const [c, active] of [[client, 'RS256'], [hs, 'HS256']] as const) {
      const res = await rotate(c)
      expect(res.status).toBe(400)
      expect(await res.json()).toEqual({ next_signing_key: [`The next signing key signs with ES256, the active one with `
        + `${active}: change the algorithm by setting signing_key instead.`] })
    }
  })

  it('refuses a second rotation while the previous key is still published', async () => {
    t.clock.set(START)
    const { client } = await rsaClient('rot-twice')
    for (const name of ['rot-twice-b', 'rot-twice-c']) {
      const next = await generateKeyPair(t, name, { alg: 'rsa', key_size: 2048 })
      await adminJson(t, 'PATCH', `/providers/oauth2/${client.pk}/`, { next_signing_key: next.pk }, 200)
      t.clock.advance(LEAD)
      if (name === 'rot-twice-b') expect((await rotate(client)).status).toBe(200)
    }
    const { previous_signing_key_expires: until } = await provider(client)
    const res = await rotate(client)
    expect(res.status).toBe(400)
    expect(await res.json()).toEqual({ previous_signing_key: [`The previous signing key is published until ${until}, `
      + 'while tokens it signed are valid; rotate again after that.'] })
    t.clock.set(new Date(until!))
    expect((await rotate(client)).status).toBe(200)
  })

  it('answers 404 for a provider that does not exist', async () => {
    expect((await t.admin('POST', '/providers/oauth2/999999/rotate_signing_key/')).status).toBe(404)
    expect((await t.admin('POST', '/providers/oauth2/abc/rotate_signing_key/')).status).toBe(404)
  })

  it('serves JWKS with the next and the previous key in one statement cold and none warm', async () => {
    t.clock.set(START)
    const { client } = await rsaClient('rot-count')
    const b = await generateKeyPair(t, 'rot-count-b', { alg: 'rsa', key_size: 2048 })
    const c = await generateKeyPair(t, 'rot-count-c', { alg: 'rsa', key_size: 2048 })
    await adminJson(t, 'PATCH', `/providers/oauth2/${client.pk}/`, { next_signing_key: b.pk }, 200)
    t.clock.advance(LEAD)
    expect((await rotate(client)).status).toBe(200)
    await adminJson(t, 'PATCH', `/providers/oauth2/${client.pk}/`, { next_signing_key: c.pk }, 200)
    t.counter.reset()
    const set = await json<JSONWebKeySet>(t.request(jwksPath(client)))
    expect(t.counter.count).toBe(1)
    expect(set.keys).toHaveLength(3)
    t.counter.reset()
    await t.request(jwksPath(client))
    await t.request(`/application/o/${client.slug}/.well-known/openid-configuration`)
    expect(t.counter.count).toBe(0)
  })
})

describe('automatic rotation (signing_key_rotation, the scheduled run)', () => {
  it('generates the next key, rotates once the period has passed, and records both', async () => {
    t.clock.set(START)
    const { client, key: a } = await rsaClient('auto', { signing_key_rotation: 'days=1' })
    const run = () => rotateSigningKeys(t.deps, t.db, t.clock.now())
    expect(await run()).toMatchObject({ generated: 1, rotated: 0, failed: 0 })
    const { next_signing_key: next } = await provider(client)
    const [generated] = await t.db.select().from(keyPairs).where(eq(keyPairs.id, next!))
    expect(generated).toMatchObject({ keyType: 'rsa', keySize: 2048, created: t.clock.now() })
    expect(generated!.keyDataSealed).not.toBeNull()
    expect(kids(await json<JSONWebKeySet>(t.request(jwksPath(client))))).toEqual([a.kid, generated!.kid])
    const [created] = await eventsOf(t, 'model_created', client)
    expect(created?.context).toMatchObject({ model: { app: 'authentik_crypto', model_name: 'certificatekeypair',
      pk: next, name: `auto signing key ${START}` }, provider: { pk: client.pk, name: 'auto' } })

    // Not due yet: nothing happens, however often the run comes.
    t.clock.set(at(DAY - SECOND))
    expect(await run()).toMatchObject({ generated: 0, rotated: 0 })
    expect(await provider(client)).toMatchObject({ signing_key: a.pk, next_signing_key: next })

    // Due (a day after the provider was created): rotated by the handler's own function, runScheduled.
    t.clock.set(at(DAY))
    expect((await runScheduled(t.deps, t.db, t.clock.now(), undefined)).rotation)
      .toMatchObject({ generated: 0, rotated: 1, failed: 0 })
    expect(await provider(client)).toMatchObject({ signing_key: next, previous_signing_key: a.pk,
      next_signing_key: null, signing_key_rotated: at(DAY).toISOString(),
      previous_signing_key_expires: at(DAY + 10 * MINUTE).toISOString() })
    expect((await issue(client)).kid).toBe(generated!.kid)
    const [rotatedEvent] = await eventsOf(t, 'secret_rotate', client)
    expect(rotatedEvent?.context).toMatchObject({ automatic: true, signing_key: next, previous_signing_key: a.pk })

    // The next run publishes a new next key at once; the one after the next period rotates again.
    t.clock.set(at(DAY + 5 * MINUTE))
    expect(await run()).toMatchObject({ generated: 1, rotated: 0 })
    const { next_signing_key: third } = await provider(client)
    expect(third).not.toBeNull()
    expect(third).not.toBe(next)
    t.clock.set(at(2 * DAY))
    expect(await run()).toMatchObject({ generated: 0, rotated: 1 })
    expect(await provider(client)).toMatchObject({ signing_key: third, previous_signing_key: next })
  })

  it('waits for a next key an operator set until it has been published long enough', async () => {
    t.clock.set(START)
    const { client } = await rsaClient('auto-manual', { signing_key_rotation: 'hours=1' })
    t.clock.set(at(2 * DAY))
    const b = await generateKeyPair(t, 'auto-manual-b', { alg: 'rsa', key_size: 2048 })
    await adminJson(t, 'PATCH', `/providers/oauth2/${client.pk}/`, { next_signing_key: b.pk }, 200)
    const run = () => rotateSigningKeys(t.deps, t.db, t.clock.now(), { generate: 0 })
    expect(await run()).toMatchObject({ generated: 0, rotated: 0 })
    t.clock.advance(LEAD)
    expect(await run()).toMatchObject({ generated: 0, rotated: 1 })
    expect(await provider(client)).toMatchObject({ signing_key: b.pk })
  })

  it('does bounded work per run and leaves providers without automatic rotation alone', async () => {
    t.clock.set(at(10 * DAY))
    const manual = await rsaClient('auto-off')
    const auto = await Promise.all(['auto-1', 'auto-2'].map((s) => rsaClient(s, { signing_key_rotation: 'days=30' })))
    // At most one key per run here: earlier providers of this file that lack a next key get theirs first.
    let runs = 0
    while ((await rotateSigningKeys(t.deps, t.db, t.clock.now(), { generate: 1, rotate: 0 })).generated === 1) {
      runs++
      if (runs > 10) throw new Error('generation does not end')
    }
    expect(runs).toBeGreaterThanOrEqual(2)
    for (const { client } of auto) expect((await provider(client)).next_signing_key).not.toBeNull()
    expect(await provider(manual.client)).toMatchObject({ next_signing_key: null, signing_key_rotation: null })
    t.counter.reset()
    expect(await rotateSigningKeys(t.deps, t.db, t.clock.now())).toMatchObject({ generated: 0, rotated: 0 })
    expect(t.counter.count).toBe(1)
  })
})
