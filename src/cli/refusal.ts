/**
 * How a token endpoint refuses a grant (RFC 6749 §5.2): 400 with `invalid_grant` (a used, revoked or mismatched
 * code or refresh token, a wrong PKCE verifier: RFC 7636 §4.6) or `invalid_request`. Any other answer, such as
 * 401 `invalid_client` or a 500, says nothing about the grant, so a check that expects a refusal fails on it.
 */

const REFUSALS = ['invalid_grant', 'invalid_request']

export interface Answer { accepted: boolean; refused: boolean; text: string }

/** Reads a token endpoint's answer: `text` is "<status> <error>". */
export async function answerOf(res: Response): Promise<Answer> {
  const body = await res.json().catch(() => ({})) as { error?: unknown }
  const error = typeof body.error === 'string' ? body.error : '(no error member)'
  return { accepted: res.ok, refused: res.status === 400 && REFUSALS.includes(error), text: `${res.status} ${error}` }
}

/** The problem with an answer that should be a refusal: `accepted` when it succeeded, else how it was refused. */
export function refusalProblems(a: Answer, accepted: string, what: string): string[] {
  if (a.accepted) return [accepted]
  return a.refused ? [] : [`${what} answered ${a.text}, not 400 invalid_grant`]
}
