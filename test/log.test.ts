import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { describeError } from '../src/log.ts'
import { createTestContext, type TestContext } from './support/app.ts'

let t: TestContext
beforeAll(async () => { t = await createTestContext() }, 60_000)
afterAll(() => t.close())

describe('describeError', () => {
  it('logs a failed statement\'s text and the database\'s answer, never its bound values', async () => {
    const failed = await t.db.execute(sql`select ${'user-code-WDJB-MJHT'}::text as code, 1 / 0 as boom`)
      .then(() => null, (err: unknown) => err)
    expect(failed).toBeInstanceOf(Error)
    // drizzle's own message carries the values, which is why they must not reach a log line.
    expect((failed as Error).message).toContain('user-code-WDJB-MJHT')
    const described = describeError(failed)
    expect(JSON.stringify(described)).not.toContain('user-code-WDJB-MJHT')
    expect(described).toMatchObject({ error_message: 'division by zero',
      query: expect.stringContaining('as code, 1 / 0 as boom') })
  })

  it('describes other errors by name and message', () => {
    expect(describeError(new TypeError('bad'))).toMatchObject({ error: 'TypeError', error_message: 'bad' })
    expect(describeError('plain')).toEqual({ error: 'plain' })
  })
})
