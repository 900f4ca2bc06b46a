import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestContext, type TestContext } from './support/app.ts'
import { createProviderApp } from './support/fixtures.ts'

let t: TestContext
let clientId = ''
beforeAll(async () => {
  t = await createTestContext()
  clientId = (await createProviderApp(t, 'p', {
    redirect_uris: [{ matching_mode: 'regex', url: 'https://app\\.example/.*' }],
  })).client_id
}, 60_000)
afterAll(() => t.close())

const form = (fields: Record<string, string>) => ({
  method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields),
})
const long = 'x'.repeat(100_000)

/** Requests a careless or hostile client may send. None of them may end in a 500. */
const cases: Array<[string, string, () => RequestInit]> = [
  ['authorize: percent garbage', '/application/o/authorize/?client_id=%E0%A4%A&redirect_uri=%zz', () => ({})],
  ['authorize: huge parameters', `/application/o/authorize/?client_id=${long}&state=${long}`, () => ({})],
  ['authorize: repeated parameters', '/application/o/authorize/?client_id=a&client_id=b&scope=x&scope=y', () => ({})],
  ['authorize: NUL bytes', `/application/o/authorize/?client_id=%00&redirect_uri=%00&scope=%00`, () => ({})],
  ['authorize: JSON body', '/application/o/authorize/', () => ({
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"client_id": [1, {"a": null}]}' })],
  ['authorize: multipart garbage', '/application/o/authorize/', () => ({
    method: 'POST', headers: { 'Content-Type': 'multipart/form-data; boundary=x' }, body: '--x\r\nbroken' })],
  ['token: no body', '/application/o/token/', () => ({ method: 'POST' })],
  ['token: JSON body', '/application/o/token/', () => ({
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"grant_type": "authorization_code"}' })],
  ['token: broken Basic', '/application/o/token/', () => ({
    method: 'POST', headers: { Authorization: 'Basic %%%not-base64', 'Content-Type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=authorization_code&code=x' })],
  ['token: Basic with bad percent-encoding', '/application/o/token/', () => ({
    method: 'POST', headers: { Authorization: `Basic ${btoa('%E0%A4%A:%zz')}` }, body: new URLSearchParams({
      grant_type: 'refresh_token', refresh_token: 'x' }) })],
  ['token: Basic that is not UTF-8', '/application/o/token/', () => ({
    method: 'POST', headers: { Authorization: `Basic ${btoa('\xff\xfe:\xc3')}` }, body: new URLSearchParams({
      grant_type: 'refresh_token', refresh_token: 'x' }) })],
  ['token: NUL in code', '/application/o/token/', () => form({ grant_type: 'authorization_code', client_id: '\u0000',
    code: '\u0000', redirect_uri: '\u0000', code_verifier: '\u0000' })],
  ['token: huge values', '/application/o/token/', () => form({ grant_type: 'refresh_token', client_id: long,
    refresh_token: long })],
  ['userinfo: huge bearer', '/application/o/userinfo/', () => ({ headers: { Authorization: `Bearer ${long}` } })],
  ['userinfo: NUL bearer', '/application/o/userinfo/', () => ({ headers: { Authorization: 'Bearer \u0001\u0002' } })],
  ['login: no body', '/login', () => ({ method: 'POST', headers: { Origin: 'http://localhost' } })],
  ['login: multipart garbage', '/login', () => ({ method: 'POST', headers: { Origin: 'http://localhost',
    'Content-Type': 'multipart/form-data; boundary=x' }, body: '--x\r\nbroken' })],
  ['login: JSON body', '/login', () => ({ method: 'POST', headers: { Origin: 'http://localhost',
    'Content-Type': 'application/json' }, body: '[]' })],
  ['consent: no body', '/consent', () => ({ method: 'POST', headers: { Origin: 'http://localhost' } })],
  ['logout: garbage', '/logout', () => ({ method: 'POST', headers: { Origin: 'http://localhost',
    'Content-Type': 'application/x-www-form-urlencoded' }, body: '%%%=%%%' })],
  ['discovery: odd slug', '/application/o/%E0%A4%A/.well-known/openid-configuration', () => ({})],
  ['jwks: huge slug', `/application/o/${long}/jwks/`, () => ({})],
  ['admin: deep JSON', '/api/v3/propertymappings/provider/scope/', () => ({ method: 'POST',
    headers: { Authorization: 'Bearer test-admin-token-0123456789', 'Content-Type': 'application/json' },
    body: `{"name": "a", "scope_name": "a", "expression": ${'['.repeat(5000)}${']'.repeat(5000)}}` })],
  ['admin: huge page number', '/api/v3/core/users/?page=1e309&page_size=-1', () => ({
    headers: { Authorization: 'Bearer test-admin-token-0123456789' } })],
  ['admin: out-of-range pk', '/api/v3/core/users/99999999999999999999/', () => ({
    headers: { Authorization: 'Bearer test-admin-token-0123456789' } })],
  ['admin: NUL in a name', '/api/v3/core/groups/', () => ({ method: 'POST',
    headers: { Authorization: 'Bearer test-admin-token-0123456789', 'Content-Type': 'application/json' },
    body: '{"name": "a\\u0000b"}' })],
  ['admin: NUL in a filter', '/api/v3/core/users/?username=%00&search=%00', () => ({
    headers: { Authorization: 'Bearer test-admin-token-0123456789' } })],
]

describe('hostile input', () => {
  it.each(cases)('%s is answered without a server error', async (_name, path, init) => {
    const res = await t.request(path, init())
    expect(res.status, `${res.status} ${(await res.clone().text()).slice(0, 200)}`).toBeLessThan(500)
  })

  it('answers a regex-redirect authorization with the client it names', async () => {
    const res = await t.request(`/application/o/authorize/?client_id=${clientId}&redirect_uri=${encodeURIComponent(
      'https://app.example/cb')}&response_type=code&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256`)
    expect(res.status).toBe(302)
  })
})

describe('hostile input, answered in each family\'s shape', () => {
  it('refuses NUL in the admin API with a DRF-style error', async () => {
    const res = await t.admin('POST', '/core/groups/', { name: 'a\u0000b' })
    expect(res.status).toBe(400)
    expect(await res.json()).toEqual({ name: ['Null characters are not allowed.'] })
  })

  it('refuses NUL at the token endpoint with invalid_request', async () => {
    const res = await t.request('/application/o/token/', form({ grant_type: 'authorization_code', code: '\u0000' }))
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({ error: 'invalid_request' })
  })

  it('refuses an unreadable authorization request with 400', async () => {
    const res = await t.request('/application/o/authorize/?client_id=%00')
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({ error: 'invalid_request' })
  })
})
