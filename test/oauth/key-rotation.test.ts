import { decodeJwt, type JSONWebKeySet } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../src/app.ts'
import { deriveSecrets } from '../../src/crypto/secret-box.ts'
import { loadProviderBySlug } from '../../src/db/providers.ts'
import { createMetadataCache } from '../../src/deps.ts'
import { verifyIdTokenHint } from '../../src/oauth/id-token-hint.ts'
import { createTestContext, START, type TestContext } from '../support/app.ts'
import { adminJson, createUser, generateKeyPair, json } from '../support/fixtures.ts'
import { ALL_GRANTS, appPassword } from '../routes/token/credentials-support.ts'
import { createClient, eventsOf, MINUTE, ok, tokenRequest } from '../routes/token/support.ts'
import { at, DAY, jwksPath, kids, LEAD, RelyingParty, rotationKit, SECOND, type ProviderOut } from './rotation-support.ts'

let t: TestContext
let k: ReturnType<typeof rotationKit>
/** A second isolate on the same database: its caches never hear of the admin API's changes. */
let other: ReturnType<typeof createApp>

beforeAll(async () => {
  t = await createTestContext()
  k = rotationKit(t)
  other = createApp({ ...t.deps, metadata: createMetadataCache(t.deps.config) })
}, 60_000)
afterAll(() => t.close())

describe('manual rotation (POST .../rotate_signing_key/)', () => {
  it('counts the lead time from when the next key was set, not from when its key pair was made', async () => {
    t.clock.set(START)
    const old = await generateKeyPair(t, 'rot-old-pair', { alg: 'rsa', key_size: 2048 })
    const { client } = await k.rsaClient('rot-late')
    t.clock.set(at(DAY))
    const set = await adminJson<ProviderOut>(t, 'PATCH', `/providers/oauth2/${client.pk}/`, { next_signing_key: old.pk }, 200)
    expect(set.next_signing_key_published).toBe(at(DAY).toISOString())
    // Naming the same next key again keeps the time; the key pair is a day old, yet JWKS showed it only now.
    t.clock.set(at(DAY + 60 * SECOND))
    await adminJson(t, 'PATCH', `/providers/oauth2/${client.pk}/`, { next_signing_key: old.pk }, 200)
    const early = await k.rotate(client)
    expect(early.status).toBe(400)
    expect(await early.json()).toEqual({ next_signing_key: ['The next signing key must be published for 120 seconds '
      + `before it signs (twice METADATA_CACHE_SECONDS); rotate at ${at(DAY + 120 * SECOND).toISOString()} or later.`] })
    t.clock.set(at(DAY + 120 * SECOND))
    const rotated = await adminJson<ProviderOut>(t, 'POST', `/providers/oauth2/${client.pk}/rotate_signing_key/`,
      undefined, 200)
    expect(rotated).toMatchObject({ signing_key: old.pk, next_signing_key: null, next_signing_key_published: null })
  })

  it('never shows a caching relying party an unknown kid: tokens before, during and after verify', async () => {
    t.clock.set(START)
    const { client, key: a } = await k.rsaClient('rot')
    const fresh = () => new RelyingParty(t, () => t.request(jwksPath(client)))
    const viaOther = new RelyingParty(t, () => other.request(jwksPath(client)))
    const early = fresh()
    expect(kids(await early.keys())).toEqual([a.kid])
    expect(kids(await viaOther.keys())).toEqual([a.kid])
    const before = await k.issue(client)
    expect(before.kid).toBe(a.kid)

    // T1: the next key is set, and published at once by this isolate (the other one still serves its cache).
    t.clock.set(at(30 * SECOND))
    const b = await generateKeyPair(t, 'rot-b', { alg: 'rsa', key_size: 2048 })
    await adminJson(t, 'PATCH', `/providers/oauth2/${client.pk}/`, { next_signing_key: b.pk }, 200)
    expect(kids(await fresh().keys())).toEqual([a.kid, b.kid])
    // Worst case: the other isolate's cache (from START) answered just before it expires; that RP keeps it 60 s.
    t.clock.set(at(59 * SECOND))
    const stale = new RelyingParty(t, () => other.request(jwksPath(client)))
    expect(kids(await stale.keys())).toEqual([a.kid])
    const during = await k.issue(client)
    expect(during.kid).toBe(a.kid)

    // Too early: until T1 + 120 s some relying party may hold a key set without the next key.
    t.clock.set(at(149 * SECOND))
    const res = await k.rotate(client)
    expect(res.status).toBe(400)
    expect(await res.json()).toEqual({ next_signing_key: ['The next signing key must be published for 120 seconds '
      + `before it signs (twice METADATA_CACHE_SECONDS); rotate at ${at(150 * SECOND).toISOString()} or later.`] })
    const justBefore = new RelyingParty(t, () => other.request(jwksPath(client)))
    expect(kids(await justBefore.keys())).toEqual([a.kid, b.kid])

    t.clock.set(at(150 * SECOND))
    const rotated = await adminJson<ProviderOut>(t, 'POST', `/providers/oauth2/${client.pk}/rotate_signing_key/`,
      undefined, 200)
    expect(rotated).toMatchObject({ signing_key: b.pk, next_signing_key: null, previous_signing_key: a.pk,
      previous_signing_key_expires: at(150 * SECOND + 10 * MINUTE).toISOString(),
      signing_key_rotated: at(150 * SECOND).toISOString() })
    const after = await k.issue(client)
    expect(after.kid).toBe(b.kid)

    // Every relying party, whatever it cached (or refetches now), verifies every live token.
    const parties = [early, viaOther, stale, justBefore, fresh(), new RelyingParty(t, () => other.request(jwksPath(client)))]
    for (const rp of parties) {
      const set = await rp.keys()
      for (const token of [before, during, after]) {
        expect((await k.verify(client, token.access, set)).azp).toBe(client.client_id)
        await k.verify(client, token.id, set)
      }
    }
    expect(kids(await fresh().keys())).toEqual([b.kid, a.kid])

    // The previous key leaves JWKS when every token it signed has expired.
    t.clock.set(at(150 * SECOND + 10 * MINUTE - SECOND))
    expect(kids(await fresh().keys())).toEqual([b.kid, a.kid])
    t.clock.set(at(150 * SECOND + 10 * MINUTE))
    const newIsolate = createApp({ ...t.deps, metadata: createMetadataCache(t.deps.config) })
    expect(kids(await new RelyingParty(t, () => newIsolate.request(jwksPath(client))).keys())).toEqual([b.kid])
    // An isolate that cached the set a second earlier drops it when its cache expires.
    t.clock.set(at(150 * SECOND + 11 * MINUTE))
    expect(kids(await fresh().keys())).toEqual([b.kid])
    await k.verify(client, (await k.issue(client)).access, await fresh().keys())

    const [event] = await eventsOf(t, 'secret_rotate', client)
    expect(event?.context).toMatchObject({ automatic: false, signing_key: b.pk, previous_signing_key: a.pk,
      previous_signing_key_expires: rotated.previous_signing_key_expires,
      model: { app: 'authentik_providers_oauth2', model_name: 'oauth2provider', pk: client.pk, name: 'rot' } })
  })

  it('still accepts an id_token_hint signed with the previous key, even after it left JWKS', async () => {
    t.clock.set(START)
    const { client } = await k.rsaClient('rot-hint')
    const hint = (await k.issue(client)).id
    const b = await generateKeyPair(t, 'rot-hint-b', { alg: 'rsa', key_size: 2048 })
    await adminJson(t, 'PATCH', `/providers/oauth2/${client.pk}/`, { next_signing_key: b.pk }, 200)
    t.clock.set(at(LEAD))
    expect((await k.rotate(client)).status).toBe(200)
    t.clock.set(at(LEAD + DAY))
    const bundle = await loadProviderBySlug(t.db, client.slug)
    const secrets = await deriveSecrets(t.deps.config.secretKey)
    expect(await verifyIdTokenHint(hint, bundle!, 'http://localhost', secrets, t.deps.keys)).toMatchObject({ sid: null })
    expect(await verifyIdTokenHint(`${hint}x`, bundle!, 'http://localhost', secrets, t.deps.keys)).toBeNull()
  })

  it("keeps a federated provider's access token, signed before its rotation, usable as an assertion", async () => {
    t.clock.set(START)
    const { client: issuer } = await k.rsaClient('rot-fed-issuer', { grant_types: ALL_GRANTS })
    const federating = await createClient(t, 'rot-fed', { grant_types: ALL_GRANTS, jwt_federation_providers: [issuer.pk] })
    const user = await createUser(t, 'rot-fed-user')
    const body = await ok(await tokenRequest(t, { grant_type: 'client_credentials', scope: 'openid profile',
      client_id: issuer.client_id, username: user.username, password: await appPassword(t, user.pk, 'rot-fed-key') }))
    const b = await generateKeyPair(t, 'rot-fed-b', { alg: 'rsa', key_size: 2048 })
    await adminJson(t, 'PATCH', `/providers/oauth2/${issuer.pk}/`, { next_signing_key: b.pk }, 200)
    t.clock.advance(LEAD)
    expect((await k.rotate(issuer)).status).toBe(200)
    const res = await tokenRequest(t, { grant_type: 'client_credentials', scope: 'openid profile',
      client_id: federating.client_id, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: body.access_token })
    const { access_token: access } = await ok(res)
    expect(decodeJwt(access)).toMatchObject({ preferred_username: 'rot-fed-user', aud: federating.client_id })
  })

  it('refuses without a next key (400 field error), changing nothing', async () => {
    const { client, key } = await k.rsaClient('rot-none')
    const res = await k.rotate(client)
    expect(res.status).toBe(400)
    expect(await res.json()).toEqual({ next_signing_key: ['This provider has no next signing key to rotate to.'] })
    expect(await k.provider(client)).toMatchObject({ signing_key: key.pk, previous_signing_key: null, signing_key_rotated: null })
    expect(await eventsOf(t, 'secret_rotate', client)).toEqual([])
    await adminJson(t, 'PATCH', `/providers/oauth2/${client.pk}/`, { next_signing_key: key.pk }, 200)
    t.clock.advance(DAY)
    const same = await k.rotate(client)
    expect(same.status).toBe(400)
    expect(await same.json()).toEqual({ next_signing_key: ['The next signing key is the active one.'] })
  })

  it('refuses a next key of another algorithm, and a provider that signs with HS256', async () => {
    t.clock.set(START)
    const ec = await generateKeyPair(t, 'rot-ec', { alg: 'ecdsa', key_size: 256 })
    const { client } = await k.rsaClient('rot-alg', { next_signing_key: ec.pk })
    const hs = await createClient(t, 'rot-hs', { next_signing_key: ec.pk })
    t.clock.set(at(DAY))
    for (const [c, active] of [[client, 'RS256'], [hs, 'HS256']] as const) {
      const res = await k.rotate(c)
      expect(res.status).toBe(400)
      expect(await res.json()).toEqual({ next_signing_key: [`The next signing key signs with ES256, the active one with `
        + `${active}: change the algorithm by setting signing_key instead.`] })
    }
  })

  it('refuses a second rotation while the previous key is still published', async () => {
    t.clock.set(START)
    const { client } = await k.rsaClient('rot-twice')
    for (const name of ['rot-twice-b', 'rot-twice-c']) {
      const next = await generateKeyPair(t, name, { alg: 'rsa', key_size: 2048 })
      await adminJson(t, 'PATCH', `/providers/oauth2/${client.pk}/`, { next_signing_key: next.pk }, 200)
      t.clock.advance(LEAD)
      if (name === 'rot-twice-b') expect((await k.rotate(client)).status).toBe(200)
    }
    const { previous_signing_key_expires: until } = await k.provider(client)
    const res = await k.rotate(client)
    expect(res.status).toBe(400)
    expect(await res.json()).toEqual({ previous_signing_key: [`The previous signing key is published until ${until}, `
      + 'while tokens it signed are valid; rotate again after that.'] })
    t.clock.set(new Date(until!))
    expect((await k.rotate(client)).status).toBe(200)
  })

  it('answers 404 for a provider that does not exist', async () => {
    expect((await t.admin('POST', '/providers/oauth2/999999/rotate_signing_key/')).status).toBe(404)
    expect((await t.admin('POST', '/providers/oauth2/abc/rotate_signing_key/')).status).toBe(404)
  })

  it('serves JWKS with the next and the previous key in one statement cold and none warm', async () => {
    t.clock.set(START)
    const { client } = await k.rsaClient('rot-count')
    const b = await generateKeyPair(t, 'rot-count-b', { alg: 'rsa', key_size: 2048 })
    const c = await generateKeyPair(t, 'rot-count-c', { alg: 'rsa', key_size: 2048 })
    await adminJson(t, 'PATCH', `/providers/oauth2/${client.pk}/`, { next_signing_key: b.pk }, 200)
    t.clock.advance(LEAD)
    expect((await k.rotate(client)).status).toBe(200)
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
