import { and, eq, gt, sql, type SQL } from 'drizzle-orm'
import { PgDialect, pgEnum, pgTable, QueryBuilder, text, timestamp } from 'drizzle-orm/pg-core'
import { describe, expect, it } from 'vitest'
import { renderFast, renderQuery } from '../../src/db/render.ts'
import { applications, loginAttempts, providers } from '../../src/db/schema.ts'

// src/db/render.ts: drizzle's text and parameters, or null (then drizzle renders) for what it leaves to drizzle.
const dialect = new PgDialect()
const drizzle = (query: SQL) => {
  const { sql: text, params } = dialect.sqlToQuery(query)
  return { sql: text, params }
}
const when = new Date('2026-12-02T12:00:00Z')
const things = pgTable('things', { id: text('id').primaryKey(), at: timestamp('at', { withTimezone: true }) })
const mood = pgEnum('mood', ['happy', 'sad'])
const selectThing = new QueryBuilder().select({ id: things.id }).from(things)
  .where(and(eq(things.id, 'x'), gt(things.at, when)))

describe('renderFast', () => {
  it.each<[string, SQL]>([
    ['plain values, nested sql and undefined',
      sql`select ${1}, ${'a'}::text, ${null}, ${true} ${sql`and ${2}`}${undefined}`],
    ['tables and columns', sql`select ${providers.clientId} from ${providers}
      join ${applications} a on a.provider_id = ${providers.id} where ${loginAttempts.count} < ${3}`],
    ['names and raw text', sql`select 1 as ${sql.identifier('we"ird')} from ${sql.raw('x')} where ${sql.raw('1 = 1')}`],
    ['joined fragments', sql`values ${sql.join([sql`(${'a'}, ${1})`, sql`(${'b'}, ${2})`], sql`, `)}`],
    ['a Date as a value', sql`select ${when}`],
    ['params through a column encoder', sql`select ${sql.param(when, things.at)}, ${sql.param(null, things.at)}`],
    ['a query builder\'s statement', sql`with x as (${selectThing.getSQL()}) select * from x`],
    ['a query builder in parentheses', sql`select exists ${selectThing}`],
    ['an array: a list', sql`select ${'x'} in ${[1, 'a', sql`${2}::int`]}`],
  ])('%s: as drizzle renders it', (_, query) => {
    const fast = renderFast(query)
    expect(fast).not.toBeNull()
    expect(fast).toEqual(drizzle(query))
  })

  it.each<[string, SQL]>([
    ['inlined params', sql`select ${'a'}`.inlineParams()],
    ['an alias', sql`select ${sql`1`.as('one')}`],
    ['an enum', sql`select null::${mood}`],
    ['a placeholder', sql`select ${sql.placeholder('x')}`],
    ['a subquery', sql`select * from ${new QueryBuilder().select().from(things).as('t')}`],
  ])('%s: left to drizzle, whose render renderQuery gives', (_, query) => {
    expect(renderFast(query)).toBeNull()
    expect(renderQuery(query)).toEqual(expect.objectContaining(drizzle(query)))
  })
})
