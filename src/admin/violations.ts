import { isForeignKeyViolation, isUniqueViolation } from '../db/errors.ts'
import { fieldError, type AdminError } from './http.ts'

/** DRF's message for a reference to an object that does not exist. */
export const invalidPk = (value: unknown): string => `Invalid pk "${String(value)}" - object does not exist.`

/** The name of the constraint a failed statement violated (drivers put it on the error or its `cause`), or ''. */
export function violatedConstraint(err: unknown): string {
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const name = (e as { constraint?: unknown }).constraint
    if (typeof name === 'string' && name !== '') return name
  }
  return ''
}

/** The error a violation means, given the violated constraint's name; nothing means "not ours to word". */
export type Violation = (constraint: string) => AdminError | undefined | Promise<AdminError | undefined>

/**
 * Run a write; a unique or foreign-key violation becomes the field error its handler gives. Any other error, or a
 * violation with no handler or whose handler gives nothing, is thrown as it is.
 */
export async function withFieldErrors<T>(
  write: () => Promise<T>, on: { unique?: Violation; foreignKey?: Violation },
): Promise<T> {
  try {
    return await write()
  } catch (err) {
    const handler = isUniqueViolation(err) ? on.unique : isForeignKeyViolation(err) ? on.foreignKey : undefined
    throw (await handler?.(violatedConstraint(err))) ?? err
  }
}

/**
 * A foreign-key violation of a write that sets a list of references (`ids`, when given): DRF's error on `field`
 * for the first of them that names nothing, which `firstMissing` looks up.
 */
export function missingReference<K>(
  field: string, ids: readonly K[] | undefined, firstMissing: (ids: readonly K[]) => Promise<K | undefined>,
): Violation {
  return async () => (ids ? fieldError(field, invalidPk((await firstMissing(ids)) ?? '')) : undefined)
}
