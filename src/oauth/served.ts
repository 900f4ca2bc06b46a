import type { GrantType } from '../db/schema.ts'
import { SERVED_GRANTS } from '../grants/index.ts'
import { SERVED_RESPONSE_TYPES } from './authorize-request.ts'

/**
 * The provider `grant_types` values something actually serves: a token endpoint grant, or a response type of the
 * authorization endpoint (implicit, hybrid). Discovery and the admin API's defaults read this, never a list of
 * their own.
 */
export const SERVED_GRANT_TYPES: ReadonlySet<GrantType> = new Set([
  ...SERVED_GRANTS.map((g) => g.allowedBy),
  ...SERVED_RESPONSE_TYPES.map(([, grant]) => grant),
])
