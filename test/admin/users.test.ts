import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verifyPassword } from '../../src/crypto/password.ts'
import { rowsOf } from '../../src/db/client.ts'
import { createTestContext, START, type TestContext } from '../support/app.ts'
import { createGroup } from '../support/fixtures.ts'

let t: TestContext

async function json(res: Response): Promise<Record<string, any>> {
  return (await res.json()) as Record<string, any>
}

const group = async (name: string) => (await createGroup(t, name)).pk

async function count(table: string, where: string): Promise<number> {
  return rowsOf<{ n: number }>(await t.db.execute(sql.raw(`select count(*)::int as n from ${table} where ${where}`)))[0]!.n
}

beforeAll(async () => {
  t = await createTestContext()
})
afterAll(() => t.close())

describe('users', () => {
  it('creates a user with defaults and answers every field except the password', async () => {
    const res = await t.admin('POST', '/core/users/', { username: 'alice', name: 'Alice A', email: 'alice@example.com' })
    expect(res.status).toBe(201)
    const body = await json(res)
    expect(body).toEqual({
      pk: expect.any(Number), username: 'alice', name: 'Alice A', is_active: true, last_login: null,
      date_joined: START, is_superuser: false, groups: [], groups_obj: [], email: 'alice@example.com', attributes: {},
      path: 'users', type: 'internal', uuid: expect.stringMatching(/^[0-9a-f-]{36}$/), password_change_date: null,
    })
    const get = await t.admin('GET', `/core/users/${body.pk}/`)
    expect(get.status).toBe(200)
    expect(await json(get)).toEqual(body)
  })

  it('keeps group memberships in sync with `groups` on create, PATCH and PUT', async () => {
    const [admins, staff] = [await group('admins'), await group('staff')]
    await t.admin('PATCH', `/core/groups/${admins}/`, { is_superuser: true })
    const res = await t.admin('POST', '/core/users/', { username: 'bob', groups: [staff, admins.toUpperCase()] })
    expect(res.status).toBe(201)
    const bob = await json(res)
    expect(bob.groups_obj).toEqual([{ pk: admins, name: 'admins' }, { pk: staff, name: 'staff' }])
    expect(bob.groups).toEqual([admins, staff])
    expect(bob.is_superuser).toBe(true)

    const patched = await json(await t.admin('PATCH', `/core/users/${bob.pk}/`, { groups: [staff] }))
    expect(patched.groups).toEqual([staff])
    expect(patched.is_superuser).toBe(false)
    expect(await count('group_memberships', `user_id = ${bob.pk}`)).toBe(1)

    const unchanged = await json(await t.admin('PATCH', `/core/users/${bob.pk}/`, { name: 'Bob' }))
    expect(unchanged).toMatchObject({ name: 'Bob', groups: [staff] })

    const put = await t.admin('PUT', `/core/users/${bob.pk}/`, { username: 'bob', groups: [] })
    expect(put.status).toBe(200)
    expect(await json(put)).toMatchObject({ username: 'bob', name: 'Bob', groups: [], groups_obj: [] })
    expect(await count('group_memberships', `user_id = ${bob.pk}`)).toBe(0)

    const groupView = await json(await t.admin('GET', `/core/groups/${staff}/`))
    expect(groupView.users).toEqual([])
  })

  it('rejects an unknown group without creating or changing anything', async () => {
    const missing = '00000000-0000-4000-8000-000000000000'
    const res = await t.admin('POST', '/core/users/', { username: 'carol', groups: [missing] })
    expect(res.status).toBe(400)
    expect(await json(res)).toEqual({ groups: [`Invalid pk "${missing}" - object does not exist.`] })
    expect(await count('users', `username = 'carol'`)).toBe(0)

    const staff = await group('carol-staff')
    const dave = await json(await t.admin('POST', '/core/users/', { username: 'dave', groups: [staff] }))
    const patch = await t.admin('PATCH', `/core/users/${dave.pk}/`, { name: 'Dave', groups: [missing] })
    expect(patch.status).toBe(400)
    expect(await json(patch)).toEqual({ groups: [`Invalid pk "${missing}" - object does not exist.`] })
    expect(await json(await t.admin('GET', `/core/users/${dave.pk}/`))).toMatchObject({ name: '', groups: [staff] })

    const bad = await t.admin('POST', '/core/users/', { username: 'erin', groups: ['nope'] })
    expect(bad.status).toBe(400)
    expect(Object.keys(await json(bad))).toEqual(['groups'])
  })

  it('validates username, email, path and type with DRF-style field errors', async () => {
    const cases: Array<[unknown, Record<string, string[]>]> = [
      [{}, { username: ['This field is required.'] }],
      [{ username: '  ' }, { username: ['This field may not be blank.'] }],
      [{ username: 'x'.repeat(151) }, { username: ['Ensure this field has no more than 150 characters.'] }],
      [{ username: 'alice' }, { username: ['A user with that username already exists.'] }],
      [{ username: 'u1', email: 'not-an-email' }, { email: ['Enter a valid email address.'] }],
      [{ username: 'u1', path: '/users' }, { path: ['No leading or trailing slashes allowed.'] }],
      [{ username: 'u1', path: 'a//b' }, { path: ['No empty segments in user path allowed.'] }],
      [{ username: 'u1', type: 'robot' }, { type: ['"robot" is not a valid choice.'] }],
    ]
    for (const [body, errors] of cases) {
      const res = await t.admin('POST', '/core/users/', body)
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(await json(res)).toEqual(errors)
    }
    const ok = await t.admin('POST', '/core/users/', { username: 'svc', email: '', type: 'service_account',
      path: 'goauthentik.io/apps/demo', attributes: { upn: 'svc@example.com' } })
    expect(ok.status).toBe(201)
    expect(await json(ok)).toMatchObject({ email: '', type: 'service_account', path: 'goauthentik.io/apps/demo',
      attributes: { upn: 'svc@example.com' } })
  })

  it('answers 400 on a username taken by a rename', async () => {
    const frank = await json(await t.admin('POST', '/core/users/', { username: 'frank' }))
    const res = await t.admin('PATCH', `/core/users/${frank.pk}/`, { username: 'alice' })
    expect(res.status).toBe(400)
    expect(await json(res)).toEqual({ username: ['A user with that username already exists.'] })
  })

  it('lists, filters and searches users by username order', async () => {
    const all = await json(await t.admin('GET', '/core/users/?page_size=2'))
    expect(all.pagination).toMatchObject({ count: 5, current: 1, next: 2, total_pages: 3 })
    expect(all.results.map((u: { username: string }) => u.username)).toEqual(['alice', 'bob'])
    const byName = await json(await t.admin('GET', '/core/users/?username=dave'))
    expect(byName.results.map((u: { username: string }) => u.username)).toEqual(['dave'])
    const byType = await json(await t.admin('GET', '/core/users/?type=service_account'))
    expect(byType.results.map((u: { username: string }) => u.username)).toEqual(['svc'])
    const search = await json(await t.admin('GET', '/core/users/?search=EXAMPLE.com'))
    expect(search.results.map((u: { username: string }) => u.username)).toEqual(['alice'])
    const inactive = await json(await t.admin('GET', '/core/users/?is_active=false'))
    expect(inactive.pagination.count).toBe(0)
    const email = await json(await t.admin('GET', '/core/users/?email=alice%40example.com'))
    expect(email.results).toHaveLength(1)
    const badBool = await t.admin('GET', '/core/users/?is_active=maybe')
    expect(badBool.status).toBe(400)
    expect(await json(badBool)).toEqual({ is_active: ['"maybe" is not a valid choice.'] })
  })

  it('sets a password as a Django PBKDF2 hash, answers 204 and never returns the hash', async () => {
    const user = await json(await t.admin('POST', '/core/users/', { username: 'grace' }))
    t.clock.advance(60_000)
    const res = await t.admin('POST', `/core/users/${user.pk}/set_password/`, { password: 'correct horse' })
    expect(res.status).toBe(204)
    expect(await res.text()).toBe('')
    const [row] = rowsOf<{ password_hash: string }>(
      await t.db.execute(sql`select password_hash from users where id = ${user.pk as number}`))
    expect(row!.password_hash).toMatch(/^pbkdf2_sha256\$10000\$[^$]+\$[A-Za-z0-9+/]+=*$/)
    expect(await verifyPassword('correct horse', row!.password_hash)).toBe(true)

    const get = await t.admin('GET', `/core/users/${user.pk}/`)
    const text = await get.text()
    expect(JSON.parse(text).password_change_date).toBe('2026-06-01T12:01:00.000Z')
    expect(text).not.toContain('pbkdf2')
    expect(await (await t.admin('GET', '/core/users/')).text()).not.toContain('pbkdf2')

    const events = rowsOf<{ user: unknown; context: unknown }>(
      await t.db.execute(sql`select "user", context from events where action = 'password_set'`))
    expect(events).toEqual([{ user: { pk: user.pk, username: 'grace' }, context: {} }])
  })

  it('rejects a blank or missing password, and an unknown user', async () => {
    const user = await json(await t.admin('GET', '/core/users/?username=grace'))
    const pk = user.results[0].pk as number
    const blank = await t.admin('POST', `/core/users/${pk}/set_password/`, { password: '' })
    expect(blank.status).toBe(400)
    expect(await json(blank)).toEqual({ password: ['This field may not be blank.'] })
    const missing = await t.admin('POST', `/core/users/${pk}/set_password/`, {})
    expect(await json(missing)).toEqual({ password: ['This field is required.'] })
    const unknown = await t.admin('POST', '/core/users/99999/set_password/', { password: 'x' })
    expect(unknown.status).toBe(404)
    expect(await json(unknown)).toEqual({ detail: 'Not found.' })
    expect((await t.admin('POST', '/core/users/abc/set_password/', { password: 'x' })).status).toBe(404)
  })

  it('deletes the access, refresh and device tokens of a user it deactivates (authentik §7.3)', async () => {
    const heidi = await json(await t.admin('POST', '/core/users/', { username: 'heidi' }))
    const ivan = await json(await t.admin('POST', '/core/users/', { username: 'ivan' }))
    await t.db.execute(sql`insert into oauth2_providers (id, name, authorization_flow, client_id, client_secret_sealed,
      grant_types) values (1, 'p', 'default-provider-authorization-implicit-consent', 'client', 'sealed', '[]')`)
    for (const [uid, tag] of [[heidi.pk, 'h'], [ivan.pk, 'i']] as const) {
      await t.db.execute(sql`insert into access_tokens (token_hash, provider_id, user_id, grant_id, auth_time,
        id_token, expires) values (${`a${tag}`}, 1, ${uid}, gen_random_uuid(), now(), '{}', now() + interval '1 hour')`)
      await t.db.execute(sql`insert into refresh_tokens (token_hash, provider_id, user_id, grant_id, auth_time,
        id_token, expires) values (${`r${tag}`}, 1, ${uid}, gen_random_uuid(), now(), '{}', now() + interval '1 day')`)
      await t.db.execute(sql`insert into device_tokens (device_code_hash, user_code, provider_id, user_id, expires)
        values (${`d${tag}`}, ${`CODE-${tag}`}, 1, ${uid}, now() + interval '10 minutes')`)
    }
    const tokens = async (uid: number) => (await count('access_tokens', `user_id = ${uid}`))
      + (await count('refresh_tokens', `user_id = ${uid}`)) + (await count('device_tokens', `user_id = ${uid}`))

    const renamed = await t.admin('PATCH', `/core/users/${heidi.pk}/`, { name: 'Heidi' })
    expect(renamed.status).toBe(200)
    expect(await tokens(heidi.pk)).toBe(3)

    const res = await t.admin('PUT', `/core/users/${heidi.pk}/`, { username: 'heidi', is_active: false })
    expect(res.status).toBe(200)
    expect(await json(res)).toMatchObject({ is_active: false, name: 'Heidi' })
    expect(await tokens(heidi.pk)).toBe(0)
    expect(await tokens(ivan.pk)).toBe(3)
  })

  it('deletes a user and its memberships', async () => {
    const staff = await group('judy-staff')
    const judy = await json(await t.admin('POST', '/core/users/', { username: 'judy', groups: [staff] }))
    const res = await t.admin('DELETE', `/core/users/${judy.pk}/`)
    expect(res.status).toBe(204)
    expect((await t.admin('GET', `/core/users/${judy.pk}/`)).status).toBe(404)
    expect((await t.admin('DELETE', `/core/users/${judy.pk}/`)).status).toBe(404)
    expect(await count('group_memberships', `group_id = '${staff}'`)).toBe(0)
  })

  it('answers 404 for an unknown or malformed pk and 401 without the admin token', async () => {
    for (const path of ['/core/users/424242/', '/core/users/abc/', '/core/users/-1/']) {
      const res = await t.admin('GET', path)
      expect(res.status).toBe(404)
      expect(await json(res)).toEqual({ detail: 'Not found.' })
    }
    expect((await t.admin('PATCH', '/core/users/424242/', { name: 'x' })).status).toBe(404)
    const anon = await t.request('/api/v3/core/users/')
    expect(anon.status).toBe(401)
    expect(anon.headers.get('WWW-Authenticate')).toBe('Bearer realm="api"')
    const wrong = await t.request('/api/v3/core/users/1/set_password/', {
      method: 'POST', headers: { Authorization: 'Bearer wrong-token-0000000000' }, body: '{"password":"x"}',
    })
    expect(wrong.status).toBe(401)
    expect(await json(wrong)).toEqual({ detail: 'Invalid token.' })
  })
})
