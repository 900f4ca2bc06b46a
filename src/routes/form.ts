import type { AppContext } from '../deps.ts'

/** A request whose parameters cannot be read: a malformed body, or text Postgres cannot store (NUL). */
export class UnreadableRequest extends Error {
  override name = 'UnreadableRequest'
}

/** NUL is valid in a URL or a form, but no field of ours can hold it (Postgres text cannot). */
export const hasNul = (value: string): boolean => value.includes('\u0000')

/**
 * The form body of a POST as name → value(s); file parts are dropped. Throws `UnreadableRequest` for a body
 * that does not parse or a value with NUL, which the app answers with 400, never 500.
 */
export async function readForm(c: AppContext): Promise<Record<string, string | string[]>> {
  let body: Record<string, unknown>
  try {
    body = await c.req.parseBody({ all: true })
  } catch {
    throw new UnreadableRequest('the request body is not a form')
  }
  const out: Record<string, string | string[]> = {}
  for (const [name, value] of Object.entries(body)) {
    const texts = [value].flat().filter((v): v is string => typeof v === 'string')
    if (hasNul(name) || texts.some(hasNul)) throw new UnreadableRequest('the request contains NUL characters')
    if (texts.length) out[name] = texts.length === 1 ? texts[0]! : texts
  }
  return out
}
