import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rowsOf } from '../../src/db/client.ts'
import { createTestContext, type TestContext } from '../support/app.ts'
import {
  adminJson, createGroup, createProviderApp, createScopeMapping, createUser, generateKeyPair,
} from '../support/fixtures.ts'

/**
 * Every admin resource and method, given the inputs that once answered 500 (issue 9 §1): each is answered
 * without a server error, and the database is exactly as it was.
 */
let t: TestContext
const UNKNOWN_UUID = '00000000-0000-4000-8000-000000000001'

/** A name no index entry can hold: 3,000 characters that do not compress (Postgres compresses repeated text). */
const LONG = Array.from({ length: 3000 }, (_, i) => String.fromCharCode(0x4e00 + ((i * 7919) % 20000))).join('')

/** Raw JSON text, so that lone surrogates and `__proto__` reach the server as a client could send them. */
const BODIES: Array<[string, string, 'items only'?]> = [
  ['an empty object', '{}'],
  ['a lone surrogate in a name', '{"name": "a\\ud800b", "username": "\\udc00", "common_name": "\\ud800"}'],
  ['a lone surrogate in attributes', '{"attributes": {"a": "\\ud800"}}'],
  ['a lone surrogate as an attribute key', '{"attributes": {"\\ud800": 1}}'],
  ['a lone surrogate in a mapping value', '{"expression": {"a": {"value": "\\ud800"}}}'],
  ['a lone surrogate as a field name', '{"\\ud800": 1}'],
  ['NUL in attributes', '{"attributes": {"a": "\\u0000"}}'],
  ['__proto__ in attributes', '{"attributes": {"__proto__": {"is_superuser": true}}}'],
  ['__proto__ as a field', '{"__proto__": {"name": "x"}}'],
  ['a mapping path constructor.x', '{"expression": {"a": {"path": "constructor.x"}}}'],
  ['a mapping path __proto__', '{"expression": {"a": {"path": "__proto__"}}}'],
  ['a mapping path toString', '{"expression": {"a": {"path": "user.toString"}}}'],
  ['a mapping claim __proto__', '{"expression": {"__proto__": {"value": 1}}}'],
  ['names longer than the index allows', JSON.stringify({ name: LONG, slug: `s${'a'.repeat(3000)}`, username: LONG,
    common_name: LONG, identifier: `i${'b'.repeat(3000)}`, scope_name: LONG })],
  ['a renamed token identifier', '{"identifier": "renamed", "user": 1, "intent": "app_password"}', 'items only'],
  ['a token given to another user', '{"identifier": "probe-token", "user": 2}', 'items only'],
  ['wrong types', '{"name": 5, "users": ["x"], "groups": [1], "attributes": [], "expression": [], "redirect_uris": {}}'],
  ['references to nothing', JSON.stringify({ provider: 2147483647, group: UNKNOWN_UUID, users: [2147483647],
    groups: [UNKNOWN_UUID], property_mappings: [UNKNOWN_UUID], signing_key: UNKNOWN_UUID, user: 2147483647 })],
  ['out-of-range numbers', '{"user": 1e400, "validity_days": 1e308, "key_size": -1, "provider": 99999999999}'],
  ['a JSON array', '[]'],
  ['JSON null', 'null'],
  ['not JSON', '{"name": '],
]

interface Route { path: string; methods: string[] }
let routes: Route[] = []

/** Every row of every table of ours, as text: what "changes nothing" is checked against. */
async function snapshot(): Promise<Record<string, string>> {
  const tables = rowsOf<{ name: string }>(await t.db.execute(sql`select table_name as name
    from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`))
  const out: Record<string, string> = {}
  for (const { name } of tables) {
    const [row] = rowsOf<{ rows: string | null }>(await t.db.execute(
      sql`select string_agg(r::text, E'\n' order by r::text) as rows from ${sql.identifier(name)} r`))
    out[name] = row?.rows ?? ''
  }
  return out
}

beforeAll(async () => {
  t = await createTestContext()
  const mapping = await createScopeMapping(t, { name: 'probe-mapping', scope_name: 'probe', expression: {} })
  const provider = await createProviderApp(t, 'probe-app')
  const key = await generateKeyPair(t, 'probe-key', { alg: 'ecdsa', key_size: 256 })
  await adminJson(t, 'POST', '/sources/oauth/', { name: 'probe-source', slug: 'probe-source' }, 201)
  const user = await createUser(t, 'probe-user')
  await createUser(t, 'probe-other')
  const group = await createGroup(t, 'probe-group', { users: [user.pk] })
  await adminJson(t, 'POST', '/core/tokens/', { identifier: 'probe-token', user: user.pk }, 201)
  const item = (base: string, ...keys: Array<string | number>) =>
    keys.map((k) => ({ path: `${base}${k}/`, methods: ['PUT', 'PATCH'] }))
  const collection = (path: string) => ({ path, methods: ['POST'] })
  const gone = (base: string, key: string | number) => ({ path: `${base}${key}/`, methods: ['PUT', 'PATCH', 'DELETE'] })
  routes = [
    collection('/propertymappings/provider/scope/'),
    ...item('/propertymappings/provider/scope/', mapping.pk), gone('/propertymappings/provider/scope/', UNKNOWN_UUID),
    collection('/providers/oauth2/'), ...item('/providers/oauth2/', provider.pk), gone('/providers/oauth2/', 999999),
    collection('/core/applications/'), ...item('/core/applications/', 'probe-app'),
    gone('/core/applications/', 'no-such-app'), gone('/core/applications/', '%ED%A0%80'),
    collection('/crypto/certificatekeypairs/'), collection('/crypto/certificatekeypairs/generate/'),
    ...item('/crypto/certificatekeypairs/', key.pk), gone('/crypto/certificatekeypairs/', UNKNOWN_UUID),
    collection('/sources/oauth/'), ...item('/sources/oauth/', 'probe-source'), gone('/sources/oauth/', 'no-such-source'),
    collection('/core/users/'), ...item('/core/users/', user.pk), gone('/core/users/', 999999),
    { path: `/core/users/${user.pk}/set_password/`, methods: ['POST'] },
    collection('/core/groups/'), ...item('/core/groups/', group.pk), gone('/core/groups/', UNKNOWN_UUID),
    collection('/core/tokens/'), ...item('/core/tokens/', 'probe-token'), gone('/core/tokens/', 'no-such-token'),
    // The read-only resources answer 405 to writes, whatever the body.
    ...['/oauth2/access_tokens/', '/oauth2/refresh_tokens/', '/oauth2/authorization_codes/',
      '/core/authenticated_sessions/', '/events/events/'].flatMap((p) => [collection(p), gone(p, UNKNOWN_UUID)]),
  ]
}, 60_000)
afterAll(async () => t.close())

describe('hostile input to every admin resource and method', () => {
  it('is answered without a server error and changes nothing', async () => {
    const before = await snapshot()
    const seen: string[] = []
    const failures: string[] = []
    for (const route of routes) {
      for (const method of route.methods) {
        for (const [what, body, only] of BODIES) {
          if (only && method === 'POST') continue
          const res = await t.request(`/api/v3${route.path}`, {
            method, body,
            headers: { Authorization: 'Bearer test-admin-token-0123456789', 'Content-Type': 'application/json' },
          })
          const text = await res.text()
          seen.push(`${res.status}`)
          // A 400 is a DRF error object; nothing is created (201) or deleted (204), and nothing fails (5xx).
          const drfError = res.status !== 400 || (() => { try { return typeof JSON.parse(text) === 'object' } catch { return false } })()
          if (![200, 400, 404, 405].includes(res.status) || !drfError) {
            failures.push(`${method} ${route.path} with ${what}: ${res.status} ${text.slice(0, 120)}`)
          }
        }
      }
    }
    expect(failures).toEqual([])
    expect(seen.length).toBeGreaterThan(1000)
    expect(await snapshot()).toEqual(before)
  }, 120_000)

  it('answers PATCH {} with the object unchanged, and 404 for an unknown one', async () => {
    for (const path of ['/propertymappings/provider/scope/', '/sources/oauth/', '/core/tokens/']) {
      const list = await adminJson<{ results: Array<Record<string, unknown>> }>(t, 'GET', path, undefined, 200)
      const first = list.results.find((r) => r.name === 'probe-mapping' || r.slug === 'probe-source'
        || r.identifier === 'probe-token')!
      const key = first.slug ?? first.identifier ?? first.pk
      const res = await t.admin('PATCH', `${path}${String(key)}/`, {})
      expect(res.status, path).toBe(200)
      expect(await res.json()).toEqual(first)
    }
    for (const path of [`/propertymappings/provider/scope/${UNKNOWN_UUID}/`, '/sources/oauth/nope/', '/core/tokens/nope/']) {
      const res = await t.admin('PATCH', path, {})
      expect(res.status, path).toBe(404)
      expect(await res.json()).toEqual({ detail: 'Not found.' })
    }
  })
})
