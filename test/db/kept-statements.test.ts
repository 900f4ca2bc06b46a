import { sql, type SQL } from 'drizzle-orm'
import { PgDialect } from 'drizzle-orm/pg-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rowsOf } from '../../src/db/client.ts'
import { configureKeptStatements, keptCallKey, keptFunctionName, statementKey } from '../../src/db/kept-statements.ts'
import { KEPT_STATEMENTS } from '../../src/db/kept-statements.table.ts'
import { renderFast } from '../../src/db/render.ts'
import { keptFunctionBody, keptFunctions, recordKeptTexts } from '../../scripts/kept-statements.ts'
import { createTestContext, type TestContext } from '../support/app.ts'
import { runKeptFlows } from '../support/kept-flows.ts'

// src/db/kept-statements.ts: the hot statements run as PL/pgSQL functions whose bodies are their exact texts.
let t: TestContext
/** The texts the hot requests offer for keeping that can be functions, by key. */
let recorded: Map<string, string>
/** Every statement the hot requests offered for keeping, as built. */
const offered: SQL[] = []

beforeAll(async () => {
  const texts = await recordKeptTexts(offered)
  const keys = new Set((await keptFunctions(texts)).keys())
  recorded = new Map([...texts].filter(([key]) => keys.has(key)))
  t = await createTestContext()
}, 60_000)
afterAll(() => t.close())

describe('the table and the migration', () => {
  it('has a function for every statement the hot requests offer, and no other (else run npm run db:kept)', () => {
    expect(recorded.size).toBeGreaterThanOrEqual(8)
    expect([...KEPT_STATEMENTS].sort()).toEqual([...recorded.keys()].sort())
  })

  it('renders every statement offered as drizzle does, without drizzle\'s render (the keys hash that text)', () => {
    expect(offered.length).toBeGreaterThanOrEqual(recorded.size)
    const dialect = new PgDialect()
    for (const query of offered) {
      const { sql: text, params } = dialect.sqlToQuery(query)
      expect(renderFast(query)).toEqual({ sql: text, params })
    }
  })

  it('each function, as migrated, runs exactly the statement its key names', async () => {
    for (const [key, text] of recorded) {
      expect(statementKey(text)).toBe(key)
      const rows = rowsOf<{ body: string }>(await t.db.execute(sql`select prosrc as body from pg_proc
        where proname = ${keptFunctionName(key)}`))
      expect(rows).toHaveLength(1)
      expect(rows[0]!.body).toBe(keptFunctionBody(text))
    }
  })
})

describe('at run time', () => {
  it('sends the hot requests\' first statements as calls of their functions, with the same answers', async () => {
    t.counter.reset()
    await runKeptFlows(t) // throws on any answer but 200
    const calls = t.counter.statements.map(keptCallKey).filter((k) => k !== null)
    expect(new Set(calls)).toEqual(KEPT_STATEMENTS)
    expect(t.counter.statements.filter((s) => s.startsWith('with provider as'))).toEqual([])
  })

  it('runs the statement itself when the database lacks the function (deployed before the migration)', async () => {
    const [victim] = [...KEPT_STATEMENTS]
    const text = recorded.get(victim!)!
    const types = rowsOf<{ args: string }>(await t.db.execute(sql`select pg_get_function_identity_arguments(oid) as args
      from pg_proc where proname = ${keptFunctionName(victim!)}`))[0]!.args
    await t.db.execute(sql.raw(`alter function "${keptFunctionName(victim!)}"(${types}) rename to edge_kept_parked`))
    try {
      t.counter.reset()
      await runKeptFlows(t, 'kept-missing')
      const i = t.counter.statements.findIndex((s) => keptCallKey(s) === victim)
      expect(i).toBeGreaterThanOrEqual(0)
      expect(t.counter.statements[i + 1]).toBe(text) // the refused call, then the statement itself
    } finally {
      await t.db.execute(sql.raw(`alter function edge_kept_parked(${types}) rename to "${keptFunctionName(victim!)}"`))
    }
  })

  it('runs every statement as itself when no key is kept', async () => {
    configureKeptStatements({ keys: new Set() })
    try {
      t.counter.reset()
      await runKeptFlows(t, 'kept-none')
      expect(t.counter.statements.some((s) => keptCallKey(s) !== null)).toBe(false)
    } finally {
      configureKeptStatements('reset')
    }
  })
})
