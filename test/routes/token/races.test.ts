import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { accessTokens, refreshTokens } from '../../../src/db/schema.ts'
import { createTestContext, type TestContext } from '../../support/app.ts'
import { createUser, json, type User } from '../../support/fixtures.ts'
import {
  codeParams, createClient, insertCode, ok, refreshParams, refused, tokenRequest, type Client,
} from './support.ts'

let t: TestContext
let client: Client
let alice: User

beforeAll(async () => {
  t = await createTestContext()
  client = await createClient(t, 'racing')
  alice = await createUser(t, 'alice')
}, 60_000)
afterAll(() => t.close())

const statuses = (responses: Response[]) => responses.map((r) => r.status).sort()

// PGlite runs one statement at a time, and each redemption is one statement: here the losers find the code or
// token already used (a replay). The same statements race on a real PostgreSQL in test/worker/races.test.ts,
// where the conditional UPDATE settles them under row locks. Each request comes from its own address, so that
// the replays' failures (each counted against its address) are no limit's concern.
const apart = (i: number) => ({ headers: { 'X-Forwarded-For': `198.51.100.${i}` } })
const lostReasons = (reasons: string[]) => t.log.lines.filter((l) => reasons.includes(String(l.reason))).length
describe('races (RFC 6749 §4.1.2 single use, RFC 9700 §4.14.2 rotation)', () => {
  it('redeems a code 20 times in parallel exactly once', async () => {
    const { code } = await insertCode(t, client, alice, { scope: 'openid offline_access' })
    const responses = await Promise.all(Array.from({ length: 20 }, (_, i) =>
      tokenRequest(t, codeParams(client, code), apart(i))))
    expect(statuses(responses)).toEqual([200, ...Array(19).fill(400)])
    for (const res of responses.filter((r) => r.status === 400)) await refused(res, 400, 'invalid_grant')
    expect(lostReasons(['code replayed', 'code redeemed concurrently'])).toBe(19)
    // RFC 9700 §4.5: the replays revoked what the winner got.
    expect(await t.db.select().from(refreshTokens).where(eq(refreshTokens.revoked, false))).toEqual([])
  })

  it('rotates a refresh token 20 times in parallel once, and the replays revoke the family', async () => {
    const { code, grantId } = await insertCode(t, client, alice, { scope: 'openid offline_access' })
    const first = await ok(await tokenRequest(t, codeParams(client, code)))
    const responses = await Promise.all(Array.from({ length: 20 }, (_, i) =>
      tokenRequest(t, refreshParams(client, first.refresh_token!), apart(i))))
    expect(statuses(responses)).toEqual([200, ...Array(19).fill(400)])
    const winner = responses.find((r) => r.status === 200)!
    const { refresh_token: rotated } = await json<{ refresh_token: string }>(winner)
    for (const res of responses.filter((r) => r.status === 400)) await refused(res, 400, 'invalid_grant')
    const family = await t.db.select().from(refreshTokens).where(eq(refreshTokens.grantId, grantId))
    expect(family).toHaveLength(2)
    expect(family.every((r) => r.revoked)).toBe(true)
    expect(await t.db.select().from(accessTokens).where(eq(accessTokens.grantId, grantId))).toEqual([])
    await refused(await tokenRequest(t, refreshParams(client, rotated)), 400, 'invalid_grant')
    expect(lostReasons(['revoked refresh token', 'refresh token rotated concurrently'])).toBeGreaterThanOrEqual(19)
  })
})
