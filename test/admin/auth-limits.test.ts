import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { WRONG_ADMIN_TOKENS as MAX_ADMIN_TOKEN_FAILURES } from '../../src/oauth/limits.ts'
import { ADMIN_TOKEN, createTestContext, START, type TestContext } from '../support/app.ts'

let t: TestContext
beforeAll(async () => {
  t = await createTestContext()
})
afterAll(async () => t.close())
beforeEach(() => t.clock.set(START))

/** START is 12:00:00, the start of a 15-minute window: 900 seconds are left in it. */
const WINDOW_SECONDS = 900

const call = (address: string, token: string) => t.request('/api/v3/core/groups/', {
  headers: { Authorization: `Bearer ${token}`, 'X-Forwarded-For': address },
})

async function expectThrottled(res: Response, seconds: number): Promise<void> {
  expect(res.status).toBe(429)
  expect(res.headers.get('Retry-After')).toBe(String(seconds))
  expect(res.headers.get('Cache-Control')).toBe('no-store')
  expect(await res.json()).toEqual({ detail: `Request was throttled. Expected available in ${seconds} seconds.` })
}

describe('wrong admin tokens from one address', () => {
  it(`are answered 401 ${MAX_ADMIN_TOKEN_FAILURES} times, then 429 with Retry-After, the right token too`, async () => {
    const address = '198.51.100.1'
    for (let i = 0; i < MAX_ADMIN_TOKEN_FAILURES; i++) {
      const res = await call(address, `wrong-${i}`)
      expect(res.status).toBe(401)
      expect(res.headers.get('WWW-Authenticate')).toBe('Bearer realm="api"')
      expect(await res.json()).toEqual({ detail: 'Invalid token.' })
    }
    t.clock.advance(60_000)
    await expectThrottled(await call(address, 'wrong-again'), WINDOW_SECONDS - 60)
    // A right guess looks like a wrong one: the guesser learns nothing more this window.
    await expectThrottled(await call(address, ADMIN_TOKEN), WINDOW_SECONDS - 60)
  })

  it('never refuse the right token from another address', async () => {
    const res = await call('198.51.100.2', ADMIN_TOKEN)
    expect(res.status).toBe(200)
    expect(res.headers.get('Cache-Control')).toBe('no-store')
  })

  it('are forgiven when the window ends', async () => {
    t.clock.advance(WINDOW_SECONDS * 1000)
    expect((await call('198.51.100.1', ADMIN_TOKEN)).status).toBe(200)
  })

  it('are counted and checked in one step, so a parallel burst gets no more than the limit', async () => {
    const address = '198.51.100.3'
    const burst = await Promise.all(Array.from({ length: 2 * MAX_ADMIN_TOKEN_FAILURES },
      (_, i) => call(address, `burst-${i}`)))
    const statuses = burst.map((r) => r.status)
    expect(statuses.filter((s) => s === 401)).toHaveLength(MAX_ADMIN_TOKEN_FAILURES)
    expect(statuses.filter((s) => s === 429)).toHaveLength(MAX_ADMIN_TOKEN_FAILURES)
  })

  it('do not count a request without credentials, which presents nothing to guess', async () => {
    const address = '198.51.100.4'
    for (let i = 0; i < MAX_ADMIN_TOKEN_FAILURES + 5; i++) {
      const res = await t.request('/api/v3/core/groups/', { headers: { 'X-Forwarded-For': address } })
      expect(res.status).toBe(401)
    }
    expect((await call(address, ADMIN_TOKEN)).status).toBe(200)
  })

  it('cost one statement each: the count of a wrong token, the limit read of a right one', async () => {
    t.counter.reset()
    expect((await call('198.51.100.5', 'wrong')).status).toBe(401)
    expect(t.counter.count).toBe(1)
    t.counter.reset()
    const res = await t.request('/api/v3/core/groups/00000000-0000-4000-8000-000000000001/', {
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'X-Forwarded-For': '198.51.100.5' },
    })
    expect(res.status).toBe(404)
    expect(t.counter.count).toBe(2)
  })
})
