import type { Context } from 'hono'
import * as z from 'zod'
import type { AppEnv } from '../deps.ts'

/** A failed admin request, in Django REST framework's shape: `{"field": ["message"]}` or `{"detail": ...}`. */
export class AdminError extends Error {
  override name = 'AdminError'
  constructor(readonly status: 400 | 401 | 403 | 404 | 405 | 409 | 413, readonly body: Record<string, unknown>) {
    super(JSON.stringify(body))
  }
}

/** DRF's answer for an unknown pk or slug. */
export function notFound(): AdminError {
  return new AdminError(404, { detail: 'Not found.' })
}

/** A validation error on one field. */
export function fieldError(field: string, message: string): AdminError {
  return new AdminError(400, { [field]: [message] })
}

const REQUIRED = 'This field is required.'
const NUL_MESSAGE = 'Null characters are not allowed.'

/** Postgres text cannot hold NUL; DRF refuses it with this message too. Walks keys and values, bounded. */
function containsNul(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('\u0000')
  if (value === null || typeof value !== 'object' || depth > 64) return false
  return Object.entries(value).some(([k, v]) => k.includes('\u0000') || containsNul(v, depth + 1))
}

/** zod issues as DRF field errors, with DRF's wording for the common cases. */
export function zodToFieldErrors(error: z.ZodError): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  for (const issue of error.issues) {
    const field = issue.path.length ? String(issue.path[0]) : 'non_field_errors'
    let message = issue.message
    if (issue.code === 'invalid_type' && issue.input === undefined) message = REQUIRED
    // A `z.enum` (DRF's `ChoiceField`): parseBody and parseQuery ask zod to report the input.
    else if (issue.code === 'invalid_value' && issue.values.length > 1) {
      message = issue.input === undefined ? REQUIRED : `"${String(issue.input)}" is not a valid choice.`
    }
    else if (issue.code === 'unrecognized_keys') continue
    ;(out[field] ??= []).push(message)
  }
  return out
}

/** Parse a JSON body with `schema`; anything malformed is a 400 that changes nothing. */
export async function parseBody<T extends z.ZodType>(c: Context<AppEnv>, schema: T): Promise<z.output<T>> {
  let raw: unknown
  try {
    const text = await c.req.text()
    raw = text.trim() === '' ? {} : JSON.parse(text)
  } catch {
    throw new AdminError(400, { detail: 'JSON parse error - request body is not valid JSON' })
  }
  if (containsNul(raw)) throw new AdminError(400, { non_field_errors: [NUL_MESSAGE] })
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new AdminError(400, { non_field_errors: ['Invalid data. Expected a dictionary.'] })
  }
  const result = await schema.safeParseAsync(raw, { reportInput: true })
  if (!result.success) throw new AdminError(400, zodToFieldErrors(result.error))
  return result.data
}

/** Parse the query string with `schema` (filters and paging). */
export function parseQuery<T extends z.ZodType>(c: Context<AppEnv>, schema: T): z.output<T> {
  if (containsNul(c.req.query())) throw new AdminError(400, { non_field_errors: [NUL_MESSAGE] })
  const result = schema.safeParse(c.req.query(), { reportInput: true })
  if (!result.success) throw new AdminError(400, zodToFieldErrors(result.error))
  return result.data
}
