/**
 * Every admin API operation of the OpenAPI document (`/api/v3/schema/`, so a new resource is fuzzed without
 * touching this file) under generated requests: valid-looking bodies with one field broken (lone surrogates,
 * NUL, huge text, prototype keys, wrong types), empty and non-JSON bodies, odd ids, filters and paging, and
 * wrong admin tokens. Every answer: no 5xx, no hang, no stack trace, no secret.
 */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_TOKEN, SECRET_KEY, createTestContext, type TestContext } from '../support/app.ts'
import { PASSWORD } from '../support/fixtures.ts'
import { address, headerSafe, junk, pathTrick } from './arbitraries.ts'
import { exchange, fuzz, SEED, stats, type Sent } from './check.ts'
import { createWorld, REDIRECT, type World } from './setup.ts'

let t: TestContext
let w: World
interface Operation { template: string; method: string; fields: string[] }
const operations: Operation[] = []
/** Known ids per lookup name (`pm_uuid`, `id`, `slug`, ...), from the lists and from what the fuzzing creates. */
const ids: Record<string, Set<string>> = {}
const passwords = new Set<string>()
const failures: Record<string, string> = {}

/** A body that would be accepted, per collection: the field to break is picked from the document's fields. */
function baseBodies(): Record<string, Record<string, unknown>> {
  return {
    '/propertymappings/provider/scope/': { name: 'fz-map', scope_name: 'fz', expression: { a: { path: 'user.email' } } },
    '/providers/oauth2/': { name: 'fz-provider', authorization_flow: 'default-provider-authorization-implicit-consent',
      redirect_uris: [{ matching_mode: 'strict', url: REDIRECT }], grant_types: ['authorization_code'] },
    '/core/applications/': { name: 'fz-app', slug: 'fz-app', provider: w.conf.pk },
    '/crypto/certificatekeypairs/': { name: 'fz-kp', certificate_data: certificate },
    '/crypto/certificatekeypairs/generate/': { common_name: 'fz', alg: 'ecdsa', key_size: 256, validity_days: 30 },
    '/sources/oauth/': { name: 'fz-source', slug: 'fz-source', enabled: true },
    '/core/users/': { username: 'fz-user', name: 'Fz', email: 'fz@example.com', attributes: { a: 1 }, groups: [] },
    '/core/groups/': { name: 'fz-group', attributes: { a: 1 }, users: [] },
    '/core/tokens/': { identifier: 'fz-token', user: 1, intent: 'app_password', description: 'd' },
    '/core/users/{id}/set_password/': { password: 'fz-password-0123456789-abcdef' },
  }
}
let certificate = ''

beforeAll(async () => {
  console.log(`admin fuzz: FUZZ_SEED=${SEED}`)
  t = await createTestContext()
  w = await createWorld(t)
  const doc = (await (await t.admin('GET', '/schema/')).json()) as { paths: Record<string, Record<string, {
    requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown> } }> } }>> }
  for (const [template, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const schema = op.requestBody?.content['application/json']?.schema
      operations.push({ template, method: method.toUpperCase(), fields: Object.keys(schema?.properties ?? {}) })
    }
  }
  for (const { template } of operations) {
    const m = /^(.*?\/)\{(\w+)\}\/$/.exec(template)
    if (!m) continue
    const set = (ids[m[2]!] ??= new Set())
    const page = (await (await t.admin('GET', `${m[1]}?page_size=20`)).json()) as { results?: Array<Record<string, unknown>> }
    for (const row of page.results ?? []) {
      for (const k of ['pk', 'slug', 'identifier', 'uuid']) if (row[k] !== undefined) set.add(String(row[k]))
    }
  }
  const kp = [...(ids.kp_uuid ?? [])][0]
  certificate = ((await (await t.admin('GET', `/crypto/certificatekeypairs/${kp}/view_certificate/`)).json()) as
    { data: string }).data
}, 60_000)
afterAll(async () => {
  console.log(`admin fuzz: ${stats.requests} requests over ${operations.length} operations`)
  await t.close()
})

/** JSON values to put in a field: hostile text, wrong types, deep or prototype-named structures. */
const jsonValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: junk },
  { weight: 2, arbitrary: fc.constantFrom(null, true, 0, -1, 1.5, 2 ** 53, 1e308, -2147483649, [], {}, [null], [''],
    ['\ud800'], { __proto__: 1 }, JSON.parse('{"__proto__": {"x": 1}}'), { constructor: { prototype: 1 } },
    { 'constructor.x': { path: 'constructor.x' } }, { a: { path: '__proto__' } }, { a: { value: '\ud800' } },
    [{ url: 'javascript:alert(1)', matching_mode: 'strict' }], [{ url: '(', matching_mode: 'regex' }],
    [{ url: '\u0000', matching_mode: 'strict' }], 'x'.repeat(300), '2026-06-01T12:00:00Z', '1999-01-01T00:00:00Z') },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.array(junk, { maxLength: 3 }) },
)

interface AdminDraft {
  op: number
  lookup: string | null
  trick: { path: string; exact: boolean }
  body: { kind: string; field: string; value: unknown }
  query: Array<[string, string]>
  auth: string
  address: string
  n: number
}

const draft: fc.Arbitrary<AdminDraft> = fc.record({
  op: fc.nat(),
  lookup: fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 2, arbitrary: junk },
    { weight: 1, arbitrary: fc.constantFrom('0', '-1', '99999999999999999999', '00000000-0000-0000-0000-000000000000',
      '1.5', '1e3', '%00', '%2e%2e', 'a%2fb') }),
  trick: pathTrick('{p}'),
  body: fc.record({ kind: fc.constantFrom('one-broken', 'one-broken', 'one-broken', 'valid', 'dropped', 'empty',
    'extra', 'not-json', 'array', 'text-plain'), field: fc.string({ maxLength: 3 }), value: jsonValue }),
  query: fc.array(fc.tuple(fc.constantFrom('page', 'page_size', 'search', 'ordering', 'name', 'username', 'user',
    'provider', 'managed', 'is_active', 'client_id', 'action', 'slug', 'status', 'has_key', 'x'), junk), { maxLength: 4 }),
  auth: fc.oneof({ weight: 12, arbitrary: fc.constant(`Bearer ${ADMIN_TOKEN}`) }, { weight: 1, arbitrary: fc.constantFrom(
    '', 'Bearer', `Bearer ${ADMIN_TOKEN}x`, `Bearer ${ADMIN_TOKEN.slice(0, -1)}`, `Basic ${btoa(`admin:${ADMIN_TOKEN}`)}`,
    `Token ${ADMIN_TOKEN}`, `Bearer ${ADMIN_TOKEN} extra`, 'Bearer \u00e9\u00e9', `Bearer ${'a'.repeat(10_000)}`) }),
  address,
  n: fc.nat(),
})

/** The request a draft describes, against the ids known now. */
function concrete(d: AdminDraft): Sent {
  const op = operations[d.op % operations.length]!
  const path = op.template.replace(/\{(\w+)\}/, (_, name: string) => {
    if (d.lookup !== null) return encodeURIComponent(d.lookup.replace(/[\ud800-\udfff]/g, '\ufffd'))
    const known = [...(ids[name] ?? [])]
    return known.length ? encodeURIComponent(known[d.n % known.length]!) : '1'
  })
  const query = d.query.map(([k, v]) => `${k}=${encodeURIComponent(v.replace(/[\ud800-\udfff]/g, '\ufffd'))}`).join('&')
  const full = `/api/v3${d.trick.exact ? path : d.trick.path.replace('{p}', path)}${query && op.method === 'GET' ? `?${query}` : ''}`
  const headers: Record<string, string> = { Authorization: headerSafe(d.auth), 'CF-Connecting-IP': d.address }
  if (op.method === 'GET' || op.method === 'DELETE') return { method: op.method, path: full, headers, body: null }
  const collection = op.template.replace(/\{\w+\}\/$/, '')
  const base = { ...(baseBodies()[op.template] ?? baseBodies()[collection] ?? {}) }
  const fields = op.fields.length ? op.fields : Object.keys(base)
  const field = fields.length ? fields[d.n % fields.length]! : 'x'
  // Unique names stay unique, so a valid-looking body gets past the uniqueness checks now and then.
  for (const k of ['name', 'slug', 'username', 'identifier', 'password']) if (typeof base[k] === 'string') base[k] += `-${d.n % 1000}`
  let body: string
  headers['Content-Type'] = 'application/json'
  switch (d.body.kind) {
    case 'valid': body = JSON.stringify(base); break
    case 'dropped': delete base[field]; body = JSON.stringify(base); break
    case 'empty': body = '{}'; break
    case 'extra': body = JSON.stringify({ ...base, [d.body.field]: d.body.value }); break
    case 'not-json': body = '{"name": "a",'; break
    case 'array': body = JSON.stringify([base]); break
    case 'text-plain': headers['Content-Type'] = 'text/plain'; body = JSON.stringify(base); break
    default: body = JSON.stringify({ ...base, [field]: d.body.value })
  }
  if (op.template.endsWith('/set_password/') && d.body.kind !== 'not-json') {
    const password = (JSON.parse(body) as { password?: unknown }).password
    // Only the set-up passwords of this file count: a fuzzed one ('x', 'null') would be everywhere.
    if (typeof password === 'string' && /^fz-password-[\w-]+$/.test(password)) passwords.add(password)
  }
  return { method: op.method, path: full, headers, body }
}

describe('admin API under generated requests', () => {
  it('every operation of the OpenAPI document', async () => {
    expect(operations.length).toBeGreaterThan(30)
    await fuzz('admin', 7, draft, async (d) => {
      const req = concrete(d)
      const op = operations[d.op % operations.length]!
      // The client secrets and a key pair's private key are the admin's to read; these never are.
      const secrets = [ADMIN_TOKEN, SECRET_KEY, PASSWORD, w.appKey, ...passwords,
        ...(d.auth === `Bearer ${ADMIN_TOKEN}` ? [] : w.secrets)]
      let a
      try {
        a = await exchange(t, req, secrets)
      } catch (err) {
        // Keep going, so one run names every failing kind of input; the test fails at the end with all of them.
        const kind = `${op.method} ${op.template} ${d.body.kind}${d.lookup === null ? '' : ' (odd id)'}`
        failures[kind] ??= (err as Error).message
        return
      }
      const item = operations.find((o) => o.template.startsWith(op.template) && /^\{\w+\}\/$/.test(o.template.slice(op.template.length)))
      const name = item && /\{(\w+)\}\/$/.exec(item.template)?.[1]
      if (a.status === 201 && name) {
        const row = JSON.parse(a.text) as Record<string, unknown>
        for (const k of ['pk', 'slug', 'identifier']) if (row[k] !== undefined) ids[name]?.add(String(row[k]))
      }
    })
    const found = Object.entries(failures).map(([kind, why]) => `${kind}\n  ${why.replace(/\n/g, '\n  ')}`)
    expect(found.length, `FUZZ_SEED=${SEED}: ${found.length} kinds of input failed:\n${found.join('\n')}`).toBe(0)
  })
})
