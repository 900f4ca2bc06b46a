import type { AppContext } from '../deps.ts'

/** A request whose parameters cannot be read: a malformed body, or text Postgres cannot store (NUL). */
export class UnreadableRequest extends Error {
  override name = 'UnreadableRequest'
}

/** NUL is valid in a URL or a form, but no field of ours can hold it (Postgres text cannot). */
export const hasNul = (value: string): boolean => value.includes('\u0000')

const URLENCODED = 'application/x-www-form-urlencoded'
// As the Fetch standard's formData() decodes a urlencoded body (undici's: a leading BOM is kept, as text).
const bodyText = new TextDecoder('utf-8', { ignoreBOM: true })

/**
 * The form body of a POST as name → value(s); file parts are dropped. Throws `UnreadableRequest` for a body
 * that does not parse or a value with NUL, which the app answers with 400, never 500.
 *
 * A urlencoded body (what every OAuth endpoint takes, RFC 6749 §4.1.3) is parsed here as `Request.formData()`
 * parses it, UTF-8 text through `URLSearchParams`: on Node, hono's `parseBody` through undici's `formData()` cost
 * about a tenth of a token request's CPU. Other bodies (multipart) still go through `parseBody`, and which ones
 * are forms is its rule (the media type of the Content-Type, in any case).
 */
export async function readForm(c: AppContext): Promise<Record<string, string | string[]>> {
  let entries: Iterable<[string, unknown]>
  try {
    entries = c.req.header('Content-Type')?.split(';')[0]!.trim().toLowerCase() === URLENCODED
      ? new URLSearchParams(bodyText.decode(await c.req.arrayBuffer()))
      : Object.entries(await c.req.parseBody({ all: true })).flatMap(([name, value]) => [value].flat()
        .map((v): [string, unknown] => [name, v]))
  } catch {
    throw new UnreadableRequest('the request body is not a form')
  }
  const values = new Map<string, string[]>()
  for (const [name, value] of entries) {
    if (hasNul(name)) throw new UnreadableRequest('the request contains NUL characters')
    if (typeof value !== 'string') continue
    if (hasNul(value)) throw new UnreadableRequest('the request contains NUL characters')
    const seen = values.get(name)
    if (seen) seen.push(value)
    else values.set(name, [value])
  }
  // fromEntries defines own properties: a field named `__proto__` is a field, not the object's prototype.
  return Object.fromEntries([...values].map(([name, texts]) => [name, texts.length === 1 ? texts[0]! : texts]))
}
