import { eq } from 'drizzle-orm'
import { compactDecrypt, createLocalJWKSet, decodeJwt, decodeProtectedHeader, importPKCS8, jwtVerify, type JSONWebKeySet } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sha256Hex } from '../../src/crypto/hash.ts'
import { LOGOUT_LEASE_MS, claimLogouts } from '../../src/db/logout-outbox.ts'
import { endSession } from '../../src/db/sessions.ts'
import { accessTokens, authenticatedSessions, logoutNotifications } from '../../src/db/schema.ts'
import { runScheduled } from '../../src/oauth/logout-dispatch.ts'
import { createTestContext, type TestContext } from '../support/app.ts'
import { createProviderApp, createUserWithPassword, defaultMappingPks, generateKeyPair, json,
  type Provider, type User } from '../support/fixtures.ts'
import { TestAgent } from '../support/browser-forms.ts'
import { privateKeyPem } from '../e2e/fixtures.ts'
import { codeFlow, signIn, startReceiver, withExecutionContext, type Receiver } from '../support/logout.ts'
import { presentedTokenHash } from '../../src/oauth/presented-jti.ts'

const REDIRECT = 'http://rp.invalid/callback'
const EVENT = 'http://schemas.openid.net/event/backchannel-logout'
const MINUTE = 60_000
const ORIGIN = 'http://localhost'

let t: TestContext
let receiver: Receiver
let alice: User
let encryptionPk: string
const providers: Record<string, Provider> = {}

async function provider(slug: string, fields: Record<string, unknown>): Promise<void> {
  providers[slug] = await createProviderApp(t, slug, {
    redirect_uris: [{ matching_mode: 'strict', url: REDIRECT }], property_mappings: await defaultMappingPks(t), ...fields,
  })
}

type Row = typeof logoutNotifications.$inferSelect
const rowsOf = (providerSlug: string): Promise<Row[]> => t.db.select().from(logoutNotifications)
  .where(eq(logoutNotifications.providerId, providers[providerSlug]!.pk))

const scheduled = (timeoutMs?: number) => runScheduled(t.deps, t.db, t.clock.now(), ORIGIN,
  timeoutMs === undefined ? {} : { timeoutMs })

/** A signed-in browser (through an execution context) with tokens of each of `slugs`; its `sid`. */
async function sessionWith(slugs: string[], username = 'alice') {
  const bg = withExecutionContext(t)
  const agent = await signIn(bg.t, username, new TestAgent(bg.t))
  const tokens: Record<string, Record<string, string>> = {}
  for (const slug of slugs) tokens[slug] = await codeFlow(bg.t, agent, providers[slug]!, REDIRECT)
  const sid = await sha256Hex(agent.cookies.get('edge_oidc_session')!)
  return { bg, agent, tokens, sid }
}

beforeAll(async () => {
  t = await createTestContext()
  t.deps.fetch = (input, init) => fetch(input, init)
  receiver = await startReceiver()
  alice = await createUserWithPassword(t, 'alice')
  await createUserWithPassword(t, 'bob')
  const rsa = { alg: 'rsa', key_size: 2048 } as const
  const signing = await generateKeyPair(t, 'bc-signing', rsa)
  encryptionPk = (await generateKeyPair(t, 'bc-encryption', rsa)).pk
  const backchannel = (path: string) => ({ logout_method: 'backchannel', logout_uri: `${receiver.base}${path}` })
  await provider('bc-rs', { signing_key: signing.pk, ...backchannel('/rs') })
  await provider('bc-jwe', { signing_key: signing.pk, encryption_key: encryptionPk, ...backchannel('/jwe') })
  await provider('bc-hs', { signing_key: null, ...backchannel('/hs'), sub_mode: 'user_username' })
  await provider('bc-flaky', { signing_key: signing.pk, ...backchannel('/flaky') })
  await provider('bc-hang', { signing_key: signing.pk, ...backchannel('/hang') })
  await provider('bc-unused', { signing_key: signing.pk, ...backchannel('/unused') })
  await provider('no-uri', { signing_key: signing.pk, logout_method: 'backchannel', logout_uri: '' })
  await provider('front', { signing_key: signing.pk, logout_method: 'frontchannel', logout_uri: `${receiver.base}/front` })
  receiver.answers.set('/flaky', [500, 500, 200])
  receiver.answers.set('/hang', ['hang'])
}, 60_000)
afterAll(async () => {
  await receiver?.close()
  await t?.close()
})

describe('back-channel logout (OIDC Back-Channel Logout 1.0)', () => {
  it('queues one notification per back-channel provider of the session in the logout, and sends verifiable logout tokens after it', async () => {
    const { bg, agent, tokens, sid } = await sessionWith(['bc-rs', 'bc-jwe', 'bc-hs', 'no-uri', 'front'])
    await bg.settle()
    const before = receiver.received.length
    const res = await agent.submit('/logout', { action: 'logout' })
    expect(res.status).toBe(200)
    for (const slug of ['bc-rs', 'bc-jwe', 'bc-hs']) {
      expect((await rowsOf(slug)).map((r) => ({ status: r.status, sid: r.sid, userId: r.userId })), slug)
        .toEqual([{ status: 'pending', sid, userId: alice.pk }])
    }
    for (const slug of ['no-uri', 'front', 'bc-unused']) expect(await rowsOf(slug), slug).toEqual([])

    await bg.settle()
    const got = receiver.received.slice(before)
    expect(got.map((r) => r.path).sort()).toEqual(['/hs', '/jwe', '/rs'])
    for (const r of got) {
      expect(r.method).toBe('POST')
      expect(r.contentType).toBe('application/x-www-form-urlencoded')
      expect(Object.keys(r.fields)).toEqual(['logout_token'])
    }
    const jwks = await json<JSONWebKeySet>(t.request('/application/o/bc-rs/jwks/'))
    const check = async (slug: string, jws: string, key: Parameters<typeof jwtVerify>[1]) => {
      const { payload, protectedHeader } = await jwtVerify(jws, key as never, { issuer: `${ORIGIN}/application/o/${slug}/`,
        audience: providers[slug]!.client_id, currentDate: t.clock.now(), typ: 'logout+jwt' })
      const idToken = slug === 'bc-jwe' ? null : decodeJwt(tokens[slug]!.id_token!)
      expect(protectedHeader.typ).toBe('logout+jwt')
      expect(payload).toEqual({ iss: `${ORIGIN}/application/o/${slug}/`, aud: providers[slug]!.client_id,
        iat: t.clock.now().getTime() / 1000, exp: t.clock.now().getTime() / 1000 + 120, jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
        events: { [EVENT]: {} }, sid, sub: slug === 'bc-hs' ? 'alice' : (idToken?.sub ?? expect.stringMatching(/^[0-9a-f]{64}$/)) })
      expect(payload).not.toHaveProperty('nonce')
      return payload
    }
    await check('bc-rs', got.find((r) => r.path === '/rs')!.fields.logout_token!, createLocalJWKSet(jwks))
    await check('bc-hs', got.find((r) => r.path === '/hs')!.fields.logout_token!,
      new TextEncoder().encode(providers['bc-hs']!.client_secret))
    const jwe = got.find((r) => r.path === '/jwe')!.fields.logout_token!
    expect(decodeProtectedHeader(jwe)).toMatchObject({ alg: 'RSA-OAEP-256', enc: 'A256CBC-HS512', typ: 'JWE' })
    const { plaintext } = await compactDecrypt(jwe, await importPKCS8(await privateKeyPem(t, encryptionPk), 'RSA-OAEP-256'))
    await check('bc-jwe', new TextDecoder().decode(plaintext), createLocalJWKSet(jwks))

    for (const slug of ['bc-rs', 'bc-jwe', 'bc-hs']) {
      expect((await rowsOf(slug)).map((r) => ({ status: r.status, attempts: r.attempts, deliveredAt: r.deliveredAt,
        lastError: r.lastError })), slug).toEqual([{ status: 'delivered', attempts: 1, deliveredAt: t.clock.now(), lastError: null }])
    }
  })

  it('retries a receiver that answers 500 twice with backoff on the scheduled runs, and delivers on the third attempt', async () => {
    const { bg, agent } = await sessionWith(['bc-flaky'])
    await agent.submit('/logout', { action: 'logout' })
    await bg.settle()
    let [row] = await rowsOf('bc-flaky')
    expect(row).toMatchObject({ status: 'pending', attempts: 1, lastError: 'HTTP 500',
      nextAttempt: new Date(t.clock.now().getTime() + MINUTE) })
    const page = await json<{ results: Array<Record<string, unknown>> }>(
      t.admin('GET', `/oauth2/logout_notifications/?status=pending&provider=${providers['bc-flaky']!.pk}`))
    expect(page.results).toEqual([expect.objectContaining({ pk: row!.id, status: 'pending', attempts: 1,
      last_error: 'HTTP 500', provider: expect.objectContaining({ client_id: providers['bc-flaky']!.client_id }) })])

    expect((await scheduled()).logouts).toEqual({ delivered: 0, failed: 0 })
    t.clock.advance(MINUTE)
    expect((await scheduled()).logouts).toEqual({ delivered: 0, failed: 1 })
    ;[row] = await rowsOf('bc-flaky')
    expect(row).toMatchObject({ status: 'pending', attempts: 2, nextAttempt: new Date(t.clock.now().getTime() + 2 * MINUTE) })
    t.clock.advance(2 * MINUTE)
    expect((await scheduled()).logouts).toEqual({ delivered: 1, failed: 0 })
    ;[row] = await rowsOf('bc-flaky')
    expect(row).toMatchObject({ status: 'delivered', attempts: 3, lastError: null, deliveredAt: t.clock.now() })
    expect(receiver.received.filter((r) => r.path === '/flaky')).toHaveLength(3)
    const one = await json(t.admin('GET', `/oauth2/logout_notifications/${row!.id}/`))
    expect(one).toMatchObject({ status: 'delivered', attempts: 3, delivered_at: t.clock.now().toISOString(), next_attempt: null })
  })

  it('does not delay the logout answer for a receiver that never answers, and marks it failed after 5 attempts', async () => {
    const { bg, agent } = await sessionWith(['bc-hang'])
    const res = await agent.submit('/logout', { action: 'logout' })
    expect(res.status).toBe(200)
    // The answer came before the first attempt ended: an ended attempt, even a failed one, counts itself.
    expect((await rowsOf('bc-hang'))[0]).toMatchObject({ status: 'pending', attempts: 0 })
    // The receiver still holds that attempt's request; ending it unanswered spares the wait for the 5 s timeout.
    await receiver.release('/hang')
    await bg.settle()
    expect((await rowsOf('bc-hang'))[0]).toMatchObject({ status: 'pending', attempts: 1 })
    for (let attempt = 2; attempt <= 5; attempt++) {
      t.clock.advance(10 * MINUTE)
      expect((await scheduled(100)).logouts, `attempt ${attempt}`).toEqual({ delivered: 0, failed: 1 })
    }
    const [row] = await rowsOf('bc-hang')
    expect(row).toMatchObject({ status: 'failed', attempts: 5, lastError: 'no answer within 100 ms' })
    t.clock.advance(10 * MINUTE)
    expect((await scheduled(100)).logouts).toEqual({ delivered: 0, failed: 0 })
    const page = await json<{ results: Array<Record<string, unknown>> }>(t.admin('GET', '/oauth2/logout_notifications/?status=failed'))
    expect(page.results).toEqual([expect.objectContaining({ pk: row!.id, attempts: 5, last_error: 'no answer within 100 ms' })])
    // Kept for the retention period after the final failure, then purged.
    t.clock.advance(7 * 24 * 60 * MINUTE)
    await scheduled(100)
    expect(await rowsOf('bc-hang')).toEqual([])
  })

  it('leaves a notification claimed by a run that was cut off pending, and the next run after the lease delivers it', async () => {
    const { sid } = await sessionWith(['bc-rs'])
    // The session ends, and the Worker is cut off before its after-response send ever starts.
    const [session] = await t.db.select().from(authenticatedSessions).where(eq(authenticatedSessions.sessionKeyHash, sid))
    const ended = await endSession(t.db, session!.id, t.clock.now())
    const queued = (await rowsOf('bc-rs')).find((r) => r.id === ended!.notifications[0])
    expect(queued).toMatchObject({ status: 'pending', attempts: 0 })
    // What the cut-off run did: claimed it, and never recorded an outcome.
    expect((await claimLogouts(t.db, t.clock.now())).map((r) => r.id)).toEqual([queued!.id])
    expect((await scheduled()).logouts).toEqual({ delivered: 0, failed: 0 })
    t.clock.advance(LOGOUT_LEASE_MS)
    expect((await scheduled()).logouts).toEqual({ delivered: 1, failed: 0 })
    expect((await rowsOf('bc-rs')).find((r) => r.id === queued!.id)).toMatchObject({ status: 'delivered', attempts: 1 })
  })
})

describe('every way a session ends queues its notifications in the same statement', () => {
  const pendingOf = async (slug: string, sid: string) => (await rowsOf(slug)).filter((r) => r.sid === sid)

  it('an admin deleting the session through /api/v3/core/authenticated_sessions/ (4 statements with the send)', async () => {
    const { bg, sid } = await sessionWith(['bc-rs'])
    const [session] = await t.db.select().from(authenticatedSessions).where(eq(authenticatedSessions.sessionKeyHash, sid))
    const admin = (method: string, path: string) => bg.t.request(`/api/v3${path}`, { method,
      headers: { Authorization: `Bearer ${t.deps.config.adminToken}` } })
    t.counter.reset()
    expect((await admin('DELETE', `/core/authenticated_sessions/${session!.id}/`)).status).toBe(204)
    await bg.settle()
    // endSession (session, cascade and outbox: one statement), then the send: claim, providers, outcome.
    expect(t.counter.count).toBe(4)
    expect(await t.db.select().from(accessTokens).where(eq(accessTokens.sessionId, session!.id))).toEqual([])
    expect((await pendingOf('bc-rs', sid)).map((r) => r.status)).toEqual(['delivered'])
  })

  it('the purge of an expired session, whose notification the same scheduled run sends', async () => {
    const { bg, sid, agent } = await sessionWith(['bc-rs'])
    await bg.settle()
    await t.db.update(accessTokens).set({ expires: new Date(t.clock.now().getTime() + 48 * 60 * MINUTE) })
      .where(eq(accessTokens.tokenHash, await presentedTokenHash(((await codeFlow(bg.t, agent, providers['bc-rs']!, REDIRECT)).access_token)!)))
    t.clock.advance(25 * 60 * MINUTE)
    const result = await scheduled()
    expect(result.purge.deleted.authenticated_sessions).toBeGreaterThanOrEqual(1)
    expect((await pendingOf('bc-rs', sid)).map((r) => r.status)).toEqual(['delivered'])
  })

  it('without PUBLIC_URL, a scheduled run names the issuer by the origin the session was signed in on', async () => {
    const { bg, sid, agent } = await sessionWith(['bc-rs'])
    await bg.settle()
    await t.db.update(accessTokens).set({ expires: new Date(t.clock.now().getTime() + 48 * 60 * MINUTE) })
      .where(eq(accessTokens.tokenHash, await presentedTokenHash(((await codeFlow(bg.t, agent, providers['bc-rs']!, REDIRECT)).access_token)!)))
    t.clock.advance(25 * 60 * MINUTE)
    const before = receiver.received.length
    // Workers without PUBLIC_URL: the scheduled run has no request, so no origin of its own.
    await runScheduled(t.deps, t.db, t.clock.now(), undefined)
    expect((await pendingOf('bc-rs', sid)).map((r) => r.status)).toEqual(['delivered'])
    const [sent] = receiver.received.slice(before).filter((r) => r.path === '/rs')
    expect(decodeJwt(sent!.fields.logout_token!)).toMatchObject({ iss: `${ORIGIN}/application/o/bc-rs/`, sid })
  })

  it('signing in as another user in the same browser ends the old session; the same user signing in again does not', async () => {
    const { bg, agent, sid } = await sessionWith(['bc-rs'])
    await signIn(bg.t, 'alice', agent)
    await bg.settle()
    expect(await pendingOf('bc-rs', sid)).toEqual([])
    expect(await t.db.select().from(authenticatedSessions).where(eq(authenticatedSessions.sessionKeyHash, sid))).toHaveLength(1)

    const again = await sessionWith(['bc-rs'])
    await signIn(again.bg.t, 'bob', again.agent)
    await again.bg.settle()
    expect(await t.db.select().from(authenticatedSessions).where(eq(authenticatedSessions.sessionKeyHash, again.sid))).toEqual([])
    expect((await pendingOf('bc-rs', again.sid)).map((r) => r.status)).toEqual(['delivered'])
    const bobs = await t.db.select().from(authenticatedSessions)
      .where(eq(authenticatedSessions.sessionKeyHash, await sha256Hex(again.agent.cookies.get('edge_oidc_session')!)))
    expect(bobs).toHaveLength(1)
  })

  it('deactivating the user ends all its sessions and queues their notifications', async () => {
    const carol = await createUserWithPassword(t, 'carol')
    const { bg, sid } = await sessionWith(['bc-rs', 'bc-hs'], 'carol')
    const res = await bg.t.request(`/api/v3/core/users/${carol.pk}/`, { method: 'PATCH',
      headers: { Authorization: `Bearer ${t.deps.config.adminToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ is_active: false }) })
    expect(res.status).toBe(200)
    await bg.settle()
    expect(await t.db.select().from(authenticatedSessions).where(eq(authenticatedSessions.userId, carol.pk))).toEqual([])
    expect((await pendingOf('bc-rs', sid)).map((r) => r.status)).toEqual(['delivered'])
    expect((await pendingOf('bc-hs', sid)).map((r) => r.status)).toEqual(['delivered'])
  })
})
