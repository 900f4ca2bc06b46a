import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rowsOf } from '../../src/db/client.ts'
import { createTestContext, type TestContext } from '../support/app.ts'

let t: TestContext
const users: Record<string, number> = {}

async function json(res: Response): Promise<Record<string, any>> {
  return (await res.json()) as Record<string, any>
}

async function memberships(groupId: string): Promise<number[]> {
  const rows = rowsOf<{ user_id: number }>(await t.db.execute(
    sql`select user_id from group_memberships where group_id = ${groupId} order by user_id`))
  return rows.map((r) => r.user_id)
}

beforeAll(async () => {
  t = await createTestContext()
  for (const username of ['amy', 'ben', 'cat']) {
    const res = await t.admin('POST', '/core/users/', { username, name: username.toUpperCase() })
    users[username] = (await json(res)).pk as number
  }
})
afterAll(() => t.close())

describe('groups', () => {
  it('creates a group with its members and answers authentik fields', async () => {
    const res = await t.admin('POST', '/core/groups/', { name: 'admins', is_superuser: true,
      attributes: { team: 'ops' }, users: [users.ben, users.amy, users.amy] })
    expect(res.status).toBe(201)
    const body = await json(res)
    expect(body).toEqual({
      pk: expect.stringMatching(/^[0-9a-f-]{36}$/), num_pk: expect.any(Number), name: 'admins', is_superuser: true,
      attributes: { team: 'ops' }, users: [users.amy, users.ben],
      users_obj: [{ pk: users.amy, username: 'amy', name: 'AMY' }, { pk: users.ben, username: 'ben', name: 'BEN' }],
    })
    const digits = BigInt(`0x${(body.pk as string).replaceAll('-', '')}`).toString().slice(0, 5)
    expect(body.num_pk).toBe(Number(digits))
    expect(await json(await t.admin('GET', `/core/groups/${body.pk}/`))).toEqual(body)
    const amy = await json(await t.admin('GET', `/core/users/${users.amy}/`))
    expect(amy).toMatchObject({ groups: [body.pk], groups_obj: [{ pk: body.pk, name: 'admins' }], is_superuser: true })
  })

  it('replaces the member list on PATCH and PUT, and leaves it alone when `users` is omitted', async () => {
    const g = await json(await t.admin('POST', '/core/groups/', { name: 'staff', users: [users.amy] }))
    const patched = await json(await t.admin('PATCH', `/core/groups/${g.pk}/`, { users: [users.cat, users.ben] }))
    expect(patched.users).toEqual([users.ben, users.cat])
    expect(await memberships(g.pk)).toEqual([users.ben, users.cat].sort((a, b) => a! - b!))

    const renamed = await json(await t.admin('PATCH', `/core/groups/${g.pk}/`, { name: 'staff-2' }))
    expect(renamed).toMatchObject({ name: 'staff-2', users: [users.ben, users.cat] })

    const put = await t.admin('PUT', `/core/groups/${g.pk}/`, { name: 'staff', users: [] })
    expect(put.status).toBe(200)
    expect(await json(put)).toMatchObject({ name: 'staff', is_superuser: false, users: [], users_obj: [] })
    expect(await memberships(g.pk)).toEqual([])
  })

  it('rejects an unknown user without creating or changing anything', async () => {
    const res = await t.admin('POST', '/core/groups/', { name: 'ghosts', users: [users.amy, 999999] })
    expect(res.status).toBe(400)
    expect(await json(res)).toEqual({ users: ['Invalid pk "999999" - object does not exist.'] })
    expect((await json(await t.admin('GET', '/core/groups/?name=ghosts'))).pagination.count).toBe(0)

    const g = await json(await t.admin('POST', '/core/groups/', { name: 'readers', users: [users.cat] }))
    const patch = await t.admin('PATCH', `/core/groups/${g.pk}/`, { is_superuser: true, users: [424242] })
    expect(patch.status).toBe(400)
    expect(await json(patch)).toEqual({ users: ['Invalid pk "424242" - object does not exist.'] })
    expect(await json(await t.admin('GET', `/core/groups/${g.pk}/`))).toMatchObject({ is_superuser: false, users: [users.cat] })

    const bad = await t.admin('POST', '/core/groups/', { name: 'x', users: ['amy'] })
    expect(bad.status).toBe(400)
    expect(Object.keys(await json(bad))).toEqual(['users'])
  })

  it('validates the name', async () => {
    const missing = await t.admin('POST', '/core/groups/', {})
    expect(await json(missing)).toEqual({ name: ['This field is required.'] })
    const blank = await t.admin('POST', '/core/groups/', { name: ' ' })
    expect(await json(blank)).toEqual({ name: ['This field may not be blank.'] })
    const taken = await t.admin('POST', '/core/groups/', { name: 'admins' })
    expect(taken.status).toBe(400)
    expect(await json(taken)).toEqual({ name: ['Group with this name already exists.'] })
    const readers = await json(await t.admin('GET', '/core/groups/?name=readers'))
    const rename = await t.admin('PATCH', `/core/groups/${readers.results[0].pk}/`, { name: 'admins' })
    expect(rename.status).toBe(400)
    expect(await json(rename)).toEqual({ name: ['Group with this name already exists.'] })
  })

  it('lists by name, filters and searches', async () => {
    const all = await json(await t.admin('GET', '/core/groups/'))
    expect(all.results.map((g: { name: string }) => g.name)).toEqual(['admins', 'readers', 'staff'])
    const supers = await json(await t.admin('GET', '/core/groups/?is_superuser=true'))
    expect(supers.results.map((g: { name: string }) => g.name)).toEqual(['admins'])
    const search = await json(await t.admin('GET', '/core/groups/?search=EAD'))
    expect(search.results.map((g: { name: string }) => g.name)).toEqual(['readers'])
  })

  it('deletes a group, its memberships but not its users', async () => {
    const g = await json(await t.admin('GET', '/core/groups/?name=admins'))
    const pk = g.results[0].pk as string
    const res = await t.admin('DELETE', `/core/groups/${pk}/`)
    expect(res.status).toBe(204)
    expect(await memberships(pk)).toEqual([])
    expect((await t.admin('GET', `/core/groups/${pk}/`)).status).toBe(404)
    expect(await json(await t.admin('GET', `/core/users/${users.amy}/`))).toMatchObject({ groups: [] })
  })

  it('answers 404 for unknown or malformed pks and 401 without the admin token', async () => {
    for (const path of ['/core/groups/00000000-0000-4000-8000-000000000000/', '/core/groups/not-a-uuid/']) {
      const res = await t.admin('GET', path)
      expect(res.status).toBe(404)
      expect(await json(res)).toEqual({ detail: 'Not found.' })
    }
    expect((await t.admin('PATCH', '/core/groups/00000000-0000-4000-8000-000000000000/', { name: 'n' })).status).toBe(404)
    expect((await t.admin('DELETE', '/core/groups/00000000-0000-4000-8000-000000000000/')).status).toBe(404)
    const anon = await t.request('/api/v3/core/groups/', { method: 'POST', body: '{"name":"x"}' })
    expect(anon.status).toBe(401)
    expect(await json(anon)).toEqual({ detail: 'Authentication credentials were not provided.' })
  })
})
