import type { Context } from 'hono'
import * as z from 'zod'
import { LONE_SURROGATE } from '../db/storable.ts'
import type { AppEnv } from '../deps.ts'

/** A failed admin request, in Django REST framework's shape: `{"field": ["message"]}` or `{"detail": ...}`. */
export class AdminError extends Error {
  override name = 'AdminError'
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 405 | 409 | 413 | 429,
    readonly body: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(JSON.stringify(body))
  }
}

/** Field errors, DRF's `{"field": ["message"]}`. */
export type FieldErrors = Record<string, string[]>

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
const SURROGATE_MESSAGE = 'Lone UTF-16 surrogates are not allowed: the text is not valid Unicode.'
// A plain object given this key gets a new prototype instead (zod's output too): the member would be lost.
const PROTOTYPE_KEY = '__proto__'
const PROTOTYPE_MESSAGE = '"__proto__" cannot be used as a key.'

/**
 * Why a JSON value cannot be stored as it was sent, or null: Postgres text holds neither NUL (DRF refuses it with
 * this message too) nor a lone surrogate (`"\ud800"` is valid JSON but no Unicode), and a `__proto__` member would
 * be dropped. Walks keys and values, bounded.
 */
function unstorable(value: unknown, depth = 0): string | null {
  if (typeof value === 'string') {
    return value.includes('\u0000') ? NUL_MESSAGE : LONE_SURROGATE.test(value) ? SURROGATE_MESSAGE : null
  }
  if (value === null || typeof value !== 'object' || depth > 64) return null
  for (const [k, v] of Object.entries(value)) {
    const problem = (k === PROTOTYPE_KEY ? PROTOTYPE_MESSAGE : unstorable(k)) ?? unstorable(v, depth + 1)
    if (problem) return problem
  }
  return null
}

/** The field errors of text that cannot be stored, on the field that holds it (on a key: `non_field_errors`). */
function textErrors(raw: Record<string, unknown>): FieldErrors {
  const errors: FieldErrors = {}
  for (const [field, value] of Object.entries(raw)) {
    const keyProblem = field === PROTOTYPE_KEY ? PROTOTYPE_MESSAGE : unstorable(field)
    const message = keyProblem ?? unstorable(value)
    if (message) (errors[keyProblem ? 'non_field_errors' : field] ??= []).push(message)
  }
  return errors
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

/** The JSON object of the body; anything else is a 400 that changes nothing. */
async function readJsonObject(c: Context<AppEnv>): Promise<Record<string, unknown>> {
  let raw: unknown
  try {
    const text = await c.req.text()
    raw = text.trim() === '' ? {} : JSON.parse(text)
  } catch {
    throw new AdminError(400, { detail: 'JSON parse error - request body is not valid JSON' })
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new AdminError(400, { non_field_errors: ['Invalid data. Expected a dictionary.'] })
  }
  return raw as Record<string, unknown>
}

/** `more` added to `errors`, except on the fields that already have one. */
function merged(errors: FieldErrors, more: FieldErrors): FieldErrors {
  for (const [field, messages] of Object.entries(more)) if (!(field in errors)) errors[field] = messages
  return errors
}

/**
 * The fields of `raw` that are valid on their own, parsed: what a check of the database can still look at when
 * other fields were refused, so that one answer carries every error.
 */
function validFields(schema: z.ZodObject, raw: Record<string, unknown>, errors: FieldErrors): Record<string, unknown> {
  const valid: Record<string, unknown> = {}
  for (const [field, fieldSchema] of Object.entries(schema.shape)) {
    if (!Object.hasOwn(raw, field) || field in errors) continue
    const result = (fieldSchema as z.ZodType).safeParse(raw[field])
    if (result.success && result.data !== undefined) valid[field] = result.data
  }
  return valid
}

/**
 * Parse a JSON body with `schema`; anything malformed is a 400 that changes nothing. When anything is refused, `check` (the rules that need the database:
 * references, names taken) still looks at the fields that are valid, and the 400 carries all their errors at
 * once, as DRF's serializer validation does.
 */
export async function parseBody<T extends z.ZodType>(
  c: Context<AppEnv>, schema: T, check?: (valid: Partial<z.output<T>>) => Promise<FieldErrors>,
): Promise<z.output<T>> {
  const raw = await readJsonObject(c)
  const errors = textErrors(raw)
  const result = await schema.safeParseAsync(raw, { reportInput: true })
  if (result.success && !Object.keys(errors).length) return result.data
  if (!result.success) merged(errors, zodToFieldErrors(result.error))
  if (check && schema instanceof z.ZodObject) {
    merged(errors, await check(validFields(schema, raw, errors) as Partial<z.output<T>>))
  }
  throw new AdminError(400, errors)
}

/** Parse the query string with `schema` (filters and paging). */
export function parseQuery<T extends z.ZodType>(c: Context<AppEnv>, schema: T): z.output<T> {
  const problem = unstorable(c.req.query())
  if (problem) throw new AdminError(400, { non_field_errors: [problem] })
  const result = schema.safeParse(c.req.query(), { reportInput: true })
  if (!result.success) throw new AdminError(400, zodToFieldErrors(result.error))
  return result.data
}
