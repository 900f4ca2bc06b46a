import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { isDatabaseUnavailable } from '../../src/db/errors.ts'
import { freePort } from './node-process.ts'

describe('node-postgres errors (npm start with DATABASE_URL)', () => {
  it('counts an unreachable database as unavailable (503 with Retry-After, not a 500)', async () => {
    const pool = new pg.Pool({ connectionString: `postgres://u:p@127.0.0.1:${await freePort()}/db` })
    const err = await pool.query('select 1').catch((e: unknown) => e)
    await pool.end()
    expect(isDatabaseUnavailable(err)).toBe(true)
    expect(isDatabaseUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true)
    expect(isDatabaseUnavailable(Object.assign(new Error('syntax'), { code: '42601' }))).toBe(false)
  })
})
