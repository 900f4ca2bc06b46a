import { compactDecrypt, decodeProtectedHeader, importPKCS8 } from 'jose'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sha256Hex } from '../../../src/crypto/hash.ts'
import { accessTokens, authenticatedSessions } from '../../../src/db/schema.ts'
import { createTestContext, START, type TestContext } from '../../support/app.ts'
import {
  createScopeMapping, createUserWithPassword, defaultMappingPks, EXPLICIT_CONSENT, generateKeyPair,
} from '../../support/fixtures.ts'
import type { TestAgent } from '../../support/browser-forms.ts'
import { privateKeyPem } from '../../e2e/fixtures.ts'
import { codesOf, eventsOf, signIn } from './helpers.ts'
import {
  createFrontChannelClient, fragmentOf, frontChannel, leftHalf, verified, type FrontChannelClient,
} from './front-channel.ts'
import { presentedTokenHash } from '../../../src/oauth/presented-jti.ts'

let t: TestContext
let agent: TestAgent
let alice: { pk: number }
let mappings: string[]
let rs: FrontChannelClient
const NOW = Math.floor(new Date(START).getTime() / 1000)
const JWS = /^[\w-]+\.[\w-]+\.[\w-]+$/

beforeAll(async () => {
  t = await createTestContext()
  const test = await createScopeMapping(t, { name: 'test', scope_name: 'test', expression: { sub: { value: 'foo' } } })
  mappings = [...await defaultMappingPks(t), test.pk]
  const rsa = await generateKeyPair(t, 'rs', { alg: 'rsa', key_size: 2048 })
  rs = await createFrontChannelClient(t, 'rs', { signing_key: rsa.pk, property_mappings: mappings })
  alice = await createUserWithPassword(t, 'alice')
  agent = await signIn(t, 'alice')
}, 120_000)
afterAll(() => t.close())

/** The stored access token of a returned value. */
async function accessRow(value: string) {
  const [row] = await t.db.select().from(accessTokens).where(eq(accessTokens.tokenHash, await presentedTokenHash(value)))
  return row
}

const userinfo = (token: string) => t.request('/application/o/userinfo/', { headers: { Authorization: `Bearer ${token}` } })

const exchange = (c: FrontChannelClient, code: string) => t.request('/application/o/token/', {
  method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({
    grant_type: 'authorization_code', code, redirect_uri: 'http://localhost', client_id: c.clientId,
    client_secret: c.clientSecret,
  }).toString(),
})

describe('implicit (OIDC Core §3.2)', () => {
  it('answers id_token in the fragment, with the mapping\'s sub and amr pwd, in one statement (test_full_implicit)',
    async () => {
      t.counter.reset()
      const res = await agent.get(frontChannel(rs, 'id_token', { scope: 'openid test' }))
      expect(t.counter.count).toBe(1)
      const params = fragmentOf(res)
      expect(params.map(([name]) => name)).toEqual(['id_token', 'token_type', 'expires_in', 'state', 'iss'])
      const idToken = params[0]![1]
      expect(res.headers.get('Location')).toBe(
        `http://localhost#id_token=${idToken}&token_type=Bearer&expires_in=3600&state=st&iss=${encodeURIComponent(rs.iss)}`)
      expect(decodeProtectedHeader(idToken)).toMatchObject({ alg: 'RS256', typ: 'JWT' })
      const claims = await verified(t, rs, idToken)
      expect(claims).toMatchObject({ sub: 'foo', amr: ['pwd'], nonce: 'nonce-1', exp: NOW + 3600, iat: NOW })
      expect(claims.at_hash).toBeUndefined()
      expect(claims.c_hash).toBeUndefined()
      const [session] = await t.db.select().from(authenticatedSessions).where(eq(authenticatedSessions.userId, alice.pk))
      expect(claims.sid).toBe(session!.sessionKeyHash)
      // No access token is returned, so none is stored (authentik stores one anyway).
      expect(await t.db.select().from(accessTokens).where(eq(accessTokens.providerId, rs.pk))).toEqual([])
      const [event] = (await eventsOf(t, 'authorize_application', rs.clientId)).slice(-1)
      expect(event!.context).toMatchObject({ scopes: 'openid test' })
    })

  it('answers id_token token with an access token bound to the session, at_hash in the ID token', async () => {
    t.counter.reset()
    const res = await agent.get(frontChannel(rs, 'id_token token', { scope: 'openid email offline_access' }))
    expect(t.counter.count).toBe(1)
    const params = fragmentOf(res)
    expect(params.map(([name]) => name)).toEqual(['access_token', 'id_token', 'token_type', 'expires_in', 'state', 'iss'])
    const { access_token: access, id_token: idToken, token_type, expires_in } = Object.fromEntries(params)
    expect([token_type, expires_in]).toEqual(['Bearer', '3600'])
    const claims = await verified(t, rs, idToken!)
    expect(claims.at_hash).toBe(await leftHalf(access!, 'RS256'))
    expect(claims.c_hash).toBeUndefined()
    const accessClaims = await verified(t, rs, access!)
    // offline_access needs a code (OIDC Core §11): silently removed (test_offline_access_invalid).
    expect(accessClaims).toMatchObject({ azp: rs.clientId, scope: 'openid email', nonce: 'nonce-1', amr: ['pwd'] })
    const row = await accessRow(access!)
    expect(row).toMatchObject({ scope: 'openid email', userId: alice.pk, tokenHash: await sha256Hex(String(accessClaims.jti)) })
    expect(row!.sessionId).not.toBeNull()
    expect(row!.expires!.toISOString()).toBe(new Date((NOW + 3600) * 1000).toISOString())
    const info = await userinfo(access!)
    expect(info.status).toBe(200)
    expect(await info.json()).toMatchObject({ email: expect.any(String) })
  })

  it('wraps both tokens in a JWE to the encryption key (test_full_implicit_enc)', async () => {
    const rsa = await generateKeyPair(t, 'enc-sig', { alg: 'rsa', key_size: 2048 })
    const enc = await generateKeyPair(t, 'enc', { alg: 'rsa', key_size: 2048 })
    const c = await createFrontChannelClient(t, 'enc', {
      signing_key: rsa.pk, encryption_key: enc.pk, property_mappings: mappings,
    })
    const res = await agent.get(frontChannel(c, 'id_token token', { scope: 'openid test' }))
    const { access_token: access, id_token: idToken } = Object.fromEntries(fragmentOf(res))
    const key = await importPKCS8(await privateKeyPem(t, enc.pk), 'RSA-OAEP-256')
    const open = async (jwe: string, header: Record<string, unknown> = {}) => {
      expect(jwe.split('.')).toHaveLength(5)
      const { plaintext, protectedHeader } = await compactDecrypt(jwe, key)
      expect(protectedHeader).toEqual({ alg: 'RSA-OAEP-256', enc: 'A256CBC-HS512', typ: 'JWE', kid: enc.kid, ...header })
      return verified(t, c, new TextDecoder().decode(plaintext))
    }
    expect(await open(idToken!)).toMatchObject({ sub: 'foo', amr: ['pwd'], at_hash: await leftHalf(access!, 'RS256') })
    // The access token's jti is replicated in its JWE header (RFC 7519 §5.3): it is found by it, never decrypted.
    const { jti } = decodeProtectedHeader(access!) as { jti?: string }
    expect(await open(access!, { jti })).toMatchObject({ sub: 'foo', scope: 'openid test', jti })
    expect(await accessRow(access!)).toBeDefined()
  })
})

describe('hybrid (OIDC Core §3.3)', () => {
  it('answers code id_token with c_hash, and the code exchanges at the token endpoint', async () => {
    t.counter.reset()
    const res = await agent.get(frontChannel(rs, 'code id_token', { scope: 'openid offline_access' }))
    expect(t.counter.count).toBe(1)
    const params = fragmentOf(res)
    expect(params.map(([name]) => name)).toEqual(['id_token', 'code', 'token_type', 'expires_in', 'state', 'iss'])
    const { id_token: idToken, code } = Object.fromEntries(params)
    expect(code).toMatch(/^[A-Za-z0-9]{48}$/)
    const claims = await verified(t, rs, idToken!)
    expect(claims.c_hash).toBe(await leftHalf(code!, 'RS256'))
    expect(claims.at_hash).toBeUndefined()
    expect(claims.nonce).toBe('nonce-1')
    // With a code, offline_access is kept: the exchange returns a refresh token.
    const codeHash = await sha256Hex(code!)
    expect((await codesOf(t, rs.pk)).find((r) => r.codeHash === codeHash)?.scope).toBe('openid offline_access')
    const exchanged = await exchange(rs, code!)
    expect(exchanged.status).toBe(200)
    const body = await exchanged.json() as Record<string, string>
    expect(body.refresh_token).toMatch(/^[A-Za-z0-9]{128}$/)
    expect((await verified(t, rs, body.id_token!)).nonce).toBe('nonce-1')
  })

  it('answers code token with the access token and the code, no ID token', async () => {
    const res = await agent.get(frontChannel(rs, 'code token', { nonce: '' }))
    const params = fragmentOf(res)
    expect(params.map(([name]) => name)).toEqual(['access_token', 'code', 'token_type', 'expires_in', 'state', 'iss'])
    const { access_token: access } = Object.fromEntries(params)
    expect(await accessRow(access!)).toMatchObject({ scope: 'openid' })
  })

  it('revokes the front-channel access token when the hybrid code is replayed (RFC 9700 §4.5)', async () => {
    const res = await agent.get(frontChannel(rs, 'code id_token token'))
    const params = fragmentOf(res)
    expect(params.map(([name]) => name))
      .toEqual(['access_token', 'id_token', 'code', 'token_type', 'expires_in', 'state', 'iss'])
    const { access_token: access, id_token: idToken, code } = Object.fromEntries(params)
    const claims = await verified(t, rs, idToken!)
    expect(claims.c_hash).toBe(await leftHalf(code!, 'RS256'))
    expect(claims.at_hash).toBe(await leftHalf(access!, 'RS256'))
    const row = await accessRow(access!)
    const codeRow = (await codesOf(t, rs.pk)).find((r) => r.grantId === row!.grantId)
    expect(codeRow?.codeHash).toBe(await sha256Hex(code!))

    expect((await exchange(rs, code!)).status).toBe(200)
    expect((await userinfo(access!)).status).toBe(200)
    const replay = await exchange(rs, code!)
    expect(replay.status).toBe(400)
    expect(await replay.json()).toMatchObject({ error: 'invalid_grant' })
    expect(replay.headers.get('Cache-Control')).toBe('no-store')
    const after = await userinfo(access!)
    expect(after.status).toBe(401)
    expect(after.headers.get('WWW-Authenticate')).toMatch(/error="invalid_token"/)
    expect(await accessRow(access!)).toBeUndefined()
  })

  it.each([['ES384', 384, 32], ['ES512', 521, 43]] as const)(
    'hashes c_hash and at_hash with the SHA-2 of %s', async (alg, size, length) => {
      const key = await generateKeyPair(t, `ec${size}`, { alg: 'ecdsa', key_size: size })
      const c = await createFrontChannelClient(t, `ec${size}`, { signing_key: key.pk, property_mappings: mappings })
      const res = await agent.get(frontChannel(c, 'code id_token token'))
      const { access_token: access, id_token: idToken, code } = Object.fromEntries(fragmentOf(res))
      expect(decodeProtectedHeader(idToken!).alg).toBe(alg)
      const claims = await verified(t, c, idToken!)
      expect(claims.c_hash).toBe(await leftHalf(code!, alg))
      expect(claims.at_hash).toBe(await leftHalf(access!, alg))
      expect(String(claims.at_hash)).toHaveLength(length)
    })

  it('hashes with SHA-256 under HS256 (no signing key)', async () => {
    const c = await createFrontChannelClient(t, 'hs', { property_mappings: mappings })
    const res = await agent.get(frontChannel(c, 'code id_token token'))
    const { access_token: access, id_token: idToken, code } = Object.fromEntries(fragmentOf(res))
    expect(decodeProtectedHeader(idToken!).alg).toBe('HS256')
    const claims = await verified(t, c, idToken!)
    expect(claims.c_hash).toBe(await leftHalf(code!, 'HS256'))
    expect(claims.at_hash).toBe(await leftHalf(access!, 'HS256'))
    expect(String(claims.at_hash)).toHaveLength(22)
  })
})

describe('form_post (OAuth 2.0 Form Post Response Mode)', () => {
  async function formPost(res: Response): Promise<Record<string, string>> {
    expect(res.status).toBe(200)
    expect(res.headers.get('Location')).toBeNull()
    expect(res.headers.get('Cache-Control')).toBe('no-store')
    expect(res.headers.get('Content-Security-Policy')).toContain('form-action http://localhost')
    const html = await res.text()
    expect(html).toContain('<title>Redirecting to App rs...</title>')
    expect(html).toContain('<form method="post" action="http://localhost">')
    return agent.formFields(html)
  }

  it('posts id_token, token_type, expires_in and state (test_full_form_post_id_token)', async () => {
    const fields = await formPost(await agent.get(frontChannel(rs, 'id_token', { response_mode: 'form_post' })))
    expect(fields).toEqual({
      id_token: expect.stringMatching(JWS), token_type: 'Bearer', expires_in: '3600', state: 'st', iss: rs.iss,
    })
    expect((await verified(t, rs, fields.id_token!)).nonce).toBe('nonce-1')
  })

  it('posts code and state (test_full_form_post_code)', async () => {
    const res = await agent.get(frontChannel(rs, 'code', { response_mode: 'form_post', nonce: '' }))
    expect(await formPost(res)).toEqual({ code: expect.stringMatching(/^[A-Za-z0-9]{48}$/), state: 'st', iss: rs.iss })
  })

  it('posts the hybrid response in the reference order', async () => {
    const res = await agent.get(frontChannel(rs, 'code id_token token', { response_mode: 'form_post' }))
    expect(Object.keys(await formPost(res)))
      .toEqual(['access_token', 'id_token', 'code', 'token_type', 'expires_in', 'state', 'iss'])
  })
})

describe('consent', () => {
  it('issues the tokens after the consent page, and nothing before', async () => {
    const c = await createFrontChannelClient(t, 'explicit', {
      authorization_flow: EXPLICIT_CONSENT, property_mappings: mappings,
    })
    const page = await agent.get(frontChannel(c, 'id_token token'))
    expect(page.status).toBe(200)
    expect(await t.db.select().from(accessTokens).where(eq(accessTokens.providerId, c.pk))).toEqual([])
    const allowed = await agent.post('/consent', { ...agent.formFields(await page.text(), '/consent'), action: 'allow' })
    expect(allowed.status).toBe(303)
    const { access_token: access, id_token: idToken } = Object.fromEntries(
      new URLSearchParams(new URL(allowed.headers.get('Location')!).hash.slice(1)))
    expect((await verified(t, c, idToken!)).at_hash).toBe(await leftHalf(access!, 'RS256'))
    expect(await accessRow(access!)).toBeDefined()
    // Remembered: the next request answers at once; other scopes under prompt=none fail in the fragment.
    const silent = fragmentOf(await agent.get(frontChannel(c, 'id_token', { scope: 'openid test', prompt: 'none' })))
    expect(Object.fromEntries(silent)).toEqual({
      error: 'consent_required', error_description: 'The Authorization Server requires End-User consent', state: 'st',
      iss: c.iss,
    })
    expect(fragmentOf(await agent.get(frontChannel(c, 'id_token token'))).map(([n]) => n)[0]).toBe('access_token')
  })
})
