import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { COUNTERS_ONLY_COMMIT } from '../../src/db/async-commit.ts'
import { rowsOf } from '../../src/db/client.ts'
import { keptCallKey, keptFunctionName } from '../../src/db/kept-statements.ts'
import { createTestContext, type TestContext } from '../support/app.ts'
import { TestAgent } from '../support/browser-forms.ts'
import { createUserWithPassword, PASSWORD, type User } from '../support/fixtures.ts'
import {
  codeParams, createClient, insertCode, ok, refreshParams, tokenRequest, type Client,
} from '../routes/token/support.ts'

// Which statements commit without waiting for their WAL (src/db/async-commit.ts): those whose only writes are the
// brute-force counters, and never one that issues, consumes or revokes anything.
let t: TestContext
let client: Client
let alice: User
const MARK = "set_config('synchronous_commit', 'off', true)"

beforeAll(async () => {
  t = await createTestContext()
  client = await createClient(t, 'commit', { grant_types: ['authorization_code', 'refresh_token', 'client_credentials'] })
  alice = await createUserWithPassword(t, 'alice')
})
afterAll(() => t.close())

const setting = async () =>
  rowsOf<{ s: string }>(await t.db.execute(sql`select current_setting('synchronous_commit') as s`))[0]!.s

describe('the mechanism', () => {
  it('turns synchronous_commit off for the statement\'s own transaction only', async () => {
    expect(await setting()).toBe('on')
    const inside = await t.db.transaction(async (tx) => {
      await tx.execute(sql`select ${COUNTERS_ONLY_COMMIT}`)
      return rowsOf<{ s: string }>(await tx.execute(sql`select current_setting('synchronous_commit') as s`))[0]!.s
    })
    expect(inside).toBe('off') // what the commit of that transaction goes by
    expect(await setting()).toBe('on') // the next statement, its own transaction, is durable again
    await t.db.execute(sql`select ${COUNTERS_ONLY_COMMIT}`) // a statement alone: an implicit transaction
    expect(await setting()).toBe('on')
  })
})

/**
 * The statements `run` sent after its last `t.counter.reset()`, in order; a call of a kept function
 * (src/db/kept-statements.ts) as the function's body, the statement it runs.
 */
async function statementsOf(run: () => Promise<unknown>): Promise<{ statements: string[]; kept: number }> {
  await run()
  const sent = [...t.counter.statements]
  const kept = sent.filter((s) => keptCallKey(s) !== null).length
  return { kept, statements: await Promise.all(sent.map(async (s) => {
    const key = keptCallKey(s)
    if (key === null) return s
    return rowsOf<{ body: string }>(await t.db.execute(sql`select prosrc as body from pg_proc
      where proname = ${keptFunctionName(key)}`))[0]!.body
  })) }
}

// From a known address, as at the edge: the statements of the hot path, kept ones included.
const FROM = { headers: { 'CF-Connecting-IP': '192.0.2.9' } }

/** The tables a statement writes (insert, update, delete), lower case. */
function writesOf(statement: string): string[] {
  // `on conflict ... do update set` updates the row the insert named.
  const tables = [...statement.matchAll(/\b(?:insert\s+into|(?<!do\s+)update|delete\s+from)\s+"?([a-z_0-9]+)"?/gi)]
    .map((m) => m[1]!.toLowerCase())
  return [...new Set(tables)]
}

describe('the statements of the hot requests', () => {
  const requests: Record<string, () => Promise<unknown>> = {
    'sign-in': async () => {
      const agent = new TestAgent(t)
      const fields = agent.formFields(await (await agent.get('/login')).text())
      t.counter.reset()
      const res = await agent.post('/login', { ...fields, username: 'alice', password: PASSWORD })
      expect(res.status).toBe(303)
    },
    'code exchange': async () => {
      const { code } = await insertCode(t, client, alice, { scope: 'openid offline_access' })
      t.counter.reset()
      return ok(await tokenRequest(t, codeParams(client, code), FROM))
    },
    'refresh': async () => {
      const { code } = await insertCode(t, client, alice, { scope: 'openid offline_access' })
      const { refresh_token } = await ok(await tokenRequest(t, codeParams(client, code), FROM))
      t.counter.reset() // only the refresh's own statements
      return ok(await tokenRequest(t, refreshParams(client, refresh_token!), FROM))
    },
    'client credentials': async () => {
      t.counter.reset()
      return ok(await tokenRequest(t, { grant_type: 'client_credentials', client_id: client.client_id,
        client_secret: client.client_secret, scope: 'openid' }, FROM))
    },
    'introspection': async () => {
      const { code } = await insertCode(t, client, alice)
      const { access_token } = await ok(await tokenRequest(t, codeParams(client, code), FROM))
      t.counter.reset()
      const res = await t.request('/application/o/introspect/', { method: 'POST',
        headers: { ...FROM.headers, Authorization: `Basic ${btoa(`${client.client_id}:${client.client_secret}`)}` },
        body: new URLSearchParams({ token: access_token }) })
      expect(await res.json()).toMatchObject({ active: true })
    },
  }

  for (const [name, run] of Object.entries(requests)) {
    it(`${name}: the first statement, which only counts the attempt, commits asynchronously; no other write does`,
      async () => {
        const { statements, kept } = await statementsOf(run)
        if (name !== 'sign-in') expect(kept).toBeGreaterThan(0) // kept ones too: their bodies are what is checked below
        expect(statements.length).toBeGreaterThanOrEqual(2)
        expect(statements[0]).toContain(MARK)
        expect(writesOf(statements[0]!)).toEqual(['login_attempts'])
        for (const statement of statements.slice(1)) {
          if (!statement.includes(MARK)) continue
          // Only the give-back after an introspection's answer may carry it: a counter, nothing else.
          expect(statement.startsWith('with given_back')).toBe(true)
          expect(writesOf(statement)).toEqual(['login_attempts'])
        }
        // And the statement that issues or consumes does not.
        const durable = statements.filter((s) => writesOf(s).some((table) => table !== 'login_attempts'))
        if (name !== 'introspection') expect(durable.length).toBeGreaterThan(0)
        for (const statement of durable) expect(statement).not.toContain(MARK)
      })
  }
})
