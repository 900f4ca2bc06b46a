import * as z from 'zod'
import type { JsonValue, ScopeExpression } from '../db/schema.ts'

/** What a path may start with, and the fields each root offers (`user.attributes.*` goes as deep as it likes). */
const ROOT_FIELDS: Record<string, readonly string[]> = {
  user: ['pk', 'uuid', 'username', 'name', 'email', 'is_active', 'type', 'groups', 'entitlements', 'attributes'],
  provider: ['pk', 'name', 'client_id'],
  application: ['pk', 'name', 'slug', 'meta_launch_url'],
}

/** The error of a bad path, or null when `path` names something a mapping may read. */
export function pathError(path: string): string | null {
  const [root, field, ...rest] = path.split('.')
  // Own keys only: `constructor` or `__proto__` name no root, whatever Object.prototype holds.
  const fields = root !== undefined && Object.hasOwn(ROOT_FIELDS, root) ? ROOT_FIELDS[root] : undefined
  if (!fields) return `Unknown root in "${path}": use one of ${Object.keys(ROOT_FIELDS).join(', ')}`
  if (field === undefined || !fields.includes(field)) {
    return `Unknown field in "${path}": ${root} has ${fields.join(', ')}`
  }
  if (rest.length && field !== 'attributes') return `"${path}" goes below ${root}.${field}, which has no fields`
  if (rest.some((p) => p === '')) return `Empty segment in "${path}"`
  return null
}

/**
 * Any JSON value, named so that the admin API's OpenAPI document refers to one `JSONValue` component (zod's own
 * `z.json()` is emitted as an anonymous recursive definition). An array's items are described as any value
 * (`{}`): a type generated from `items: JSONValue` (openapi-typescript) refers to itself and does not compile.
 */
export const JSONValueSchema: z.ZodType<JsonValue> = z.lazy(() => z.union([
  z.string(), z.number(), z.boolean(), z.null(), z.array(JSONValueSchema).meta({ items: {} }),
  z.record(z.string(), JSONValueSchema),
])).meta({ id: 'JSONValue' })

/** A claim name that, used as a plain object key, would set the claims object's prototype instead of a claim. */
const PROTOTYPE_KEY = '__proto__'

const ClaimSourceSchema = z.union([
  z.strictObject({ path: z.string().min(1).superRefine((p, ctx) => {
    const error = pathError(p)
    if (error) ctx.addIssue({ code: 'custom', message: error })
  }) }),
  z.strictObject({ value: JSONValueSchema }),
], { error: 'Each claim needs exactly one of {"path": "user.email"} or {"value": <JSON>}' })

/** A scope mapping expression: claim name to where its value comes from. Declarative, never evaluated as code. */
export const ScopeExpressionSchema = z.record(z.string().min(1, 'Claim names may not be empty')
  .refine((name) => name !== PROTOTYPE_KEY, `"${PROTOTYPE_KEY}" cannot be a claim name`), ClaimSourceSchema)

/** What a mapping is evaluated against: plain data, already loaded. */
export interface ClaimContext {
  user: Record<string, unknown> & { attributes: Record<string, unknown> }
  provider: Record<string, unknown>
  application: Record<string, unknown>
}

function read(context: ClaimContext, path: string): unknown {
  let here: unknown = context
  for (const segment of path.split('.')) {
    if (here === null || typeof here !== 'object' || !Object.hasOwn(here, segment)) return undefined
    here = (here as Record<string, unknown>)[segment]
  }
  return here
}

/** Evaluate one mapping; claims whose source is missing are left out (authentik drops `None`). */
export function evaluateExpression(expression: ScopeExpression, context: ClaimContext): Record<string, unknown> {
  const claims: Record<string, unknown> = {}
  for (const [claim, source] of Object.entries(expression)) {
    const value = 'path' in source ? read(context, source.path) : source.value
    if (value !== undefined) claims[claim] = value
  }
  return claims
}
