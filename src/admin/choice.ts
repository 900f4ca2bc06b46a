import * as z from 'zod'

/**
 * A DRF `ChoiceField`: one of `values`, else `"<input>" is not a valid choice.` The message is built here
 * because zod 4 leaves the rejected input out of its issues.
 */
export function choice<const T extends readonly [string, ...string[]]>(values: T) {
  return z.unknown()
    .superRefine((v, ctx) => {
      if (v === undefined) ctx.addIssue({ code: 'custom', message: 'This field is required.' })
      else if (typeof v !== 'string' || !values.includes(v)) {
        ctx.addIssue({ code: 'custom', message: `"${String(v)}" is not a valid choice.` })
      }
    })
    .transform((v) => v as T[number])
    .meta({ type: 'string', enum: [...values] })
}

/** A boolean query filter (`?is_active=true`). */
export function queryBool() {
  return choice(['true', 'false']).transform((v) => v === 'true')
}
