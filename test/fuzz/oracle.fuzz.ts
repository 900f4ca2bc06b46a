/** The fuzz suite's own rules, held to what they must catch: a suite that cannot fail proves nothing. */
import { describe, expect, it } from 'vitest'
import { ADMIN_TOKEN } from '../support/app.ts'
import { checkAnswer, checkOAuthError, type Answer } from './check.ts'

const answer = (status: number, text: string, headers: Record<string, string> = {}): Answer =>
  ({ status, text, headers: new Headers(headers) })

describe('the fuzz oracle', () => {
  it('refuses a 5xx, but a 503 with Retry-After', () => {
    expect(() => checkAnswer(answer(500, '{"error":"server_error"}'), [])).toThrow(/status 500/)
    expect(() => checkAnswer(answer(503, '{}'), [])).toThrow(/status 503/)
    expect(() => checkAnswer(answer(503, '{}', { 'Retry-After': '5' }), [])).not.toThrow()
  })

  it('refuses stack frames and source paths in the body or the headers', () => {
    for (const text of ['Error: x\n    at handler (/srv/app/src/routes/token.ts:12:5)', 'at async Promise.all (index 0)',
      'see file:///srv/app/dist/worker.js:1:200', 'TypeError: Cannot read properties of undefined', 'node_modules/hono/x']) {
      expect(() => checkAnswer(answer(400, text), []), text).toThrow(/stack trace/)
    }
    expect(() => checkAnswer(answer(400, '', { 'X-Debug': '/app/src/db/client.ts:40' }), [])).toThrow(/headers/)
    expect(() => checkAnswer(answer(200, '<p>Sign in at your organisation (example)</p>'), [])).not.toThrow()
  })

  it('refuses a secret anywhere in the answer', () => {
    expect(() => checkAnswer(answer(400, `{"detail":"${ADMIN_TOKEN}"}`), [ADMIN_TOKEN])).toThrow(/secret/)
    expect(() => checkAnswer(answer(302, '', { Location: `x?t=${ADMIN_TOKEN}` }), [ADMIN_TOKEN])).toThrow(/headers/)
  })

  it('accepts only spec-shaped OAuth errors or a bearer challenge', () => {
    expect(() => checkOAuthError(answer(400, '{"error":"invalid_request","error_description":"x"}'))).not.toThrow()
    expect(() => checkOAuthError(answer(401, '', { 'WWW-Authenticate': 'Bearer realm="x"' }))).not.toThrow()
    expect(() => checkOAuthError(answer(400, '{"error":"bad_thing","error_description":"x"}'))).toThrow(/error code/)
    expect(() => checkOAuthError(answer(400, '{"error":"invalid_request"}'))).toThrow(/error_description/)
    expect(() => checkOAuthError(answer(400, '<html>'))).toThrow(/not JSON/)
    expect(() => checkOAuthError(answer(404, '{"detail":"Not found."}'))).toThrow(/error code/)
  })
})
