import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { logoutNotifications } from '../../src/db/schema.ts'
import { createTestContext, type TestContext } from '../support/app.ts'
import { createProvider, createUser, json } from '../support/fixtures.ts'

let t: TestContext
let ids: { pending: string; failed: string; expired: string }
const PATH = '/oauth2/logout_notifications/'

beforeAll(async () => {
  t = await createTestContext()
  const provider = await createProvider(t, { name: 'outbox', logout_uri: 'https://rp.example/bc' })
  const user = await createUser(t, 'olive')
  const now = t.clock.now()
  const later = new Date(now.getTime() + 3_600_000)
  const rows = await t.db.insert(logoutNotifications).values([
    { providerId: provider.pk, userId: user.pk, sid: 'sid-1', nextAttempt: now, created: now, expires: later },
    { providerId: provider.pk, userId: user.pk, sid: 'sid-2', status: 'failed', attempts: 5, lastError: 'HTTP 503',
      nextAttempt: now, created: new Date(now.getTime() - 1000), expires: later },
    { providerId: provider.pk, userId: user.pk, sid: 'sid-3', status: 'delivered', nextAttempt: now, created: now,
      expires: new Date(now.getTime() - 1) },
  ]).returning({ id: logoutNotifications.id })
  ids = { pending: rows[0]!.id, failed: rows[1]!.id, expired: rows[2]!.id }
})
afterAll(() => t.close())

describe('/api/v3/oauth2/logout_notifications/', () => {
  it('lists the outbox newest first without expired rows, filters by status, and retrieves one with its last error', async () => {
    const res = await t.admin('GET', PATH)
    expect(res.status).toBe(200)
    expect(res.headers.get('Cache-Control')).toBe('no-store')
    const page = await json<{ pagination: { count: number }; results: Array<{ pk: string }> }>(res)
    expect(page.pagination.count).toBe(2)
    expect(page.results.map((r) => r.pk)).toEqual([ids.pending, ids.failed])
    const failed = await json<{ results: unknown[] }>(t.admin('GET', `${PATH}?status=failed`))
    expect(failed.results).toEqual([expect.objectContaining({ pk: ids.failed, status: 'failed', attempts: 5,
      last_error: 'HTTP 503', next_attempt: null, user: expect.any(Number), sid: 'sid-2',
      provider: expect.objectContaining({ name: 'outbox' }) })])
    expect(await json(t.admin('GET', `${PATH}${ids.pending}/`))).toMatchObject({ pk: ids.pending, status: 'pending',
      attempts: 0, last_error: null, next_attempt: t.clock.now().toISOString(), delivered_at: null })
    expect((await t.admin('GET', `${PATH}${ids.expired}/`)).status).toBe(404)
  })

  it('is read-only, refuses an unknown status, and needs the admin token', async () => {
    expect((await t.admin('POST', PATH, {})).status).toBe(405)
    expect((await t.admin('DELETE', `${PATH}${ids.pending}/`)).status).toBe(405)
    const bad = await t.admin('GET', `${PATH}?status=lost`)
    expect(bad.status).toBe(400)
    expect(Object.keys(await json(bad))).toEqual(['status'])
    expect((await t.request(`/api/v3${PATH}`)).status).toBe(401)
  })
})
