import { sql, type SQL } from 'drizzle-orm'
import { accessTokens, refreshTokens } from './schema.ts'

/**
 * What statement 1 reads of a presented refresh token for the retry window: when it was rotated (null: never, or
 * revoked another way) and the state of the token that replaced it (null: none, or gone).
 */
export interface RotationState {
  /** ISO time of the rotation. */
  rotated: string | null
  successor: {
    id: string
    /** Not revoked, not rotated, and no access token issued from it after it was issued itself. */
    unused: boolean
  } | null
}

/**
 * The `RotationState` of the row of `refreshTokens` in the enclosing query, as JSON. Raw aliases inside: the
 * columns of `refreshTokens` here are the outer row's (the successor is aliased `s`).
 */
export function rotationStateJson(): SQL {
  const r = refreshTokens
  return sql`json_build_object('rotated', ${r.rotated}, 'successor', (select json_build_object('id', s.id,
      'unused', not s.revoked and s.rotated is null and not exists (select 1 from ${accessTokens} a
        where a.grant_id = s.grant_id and a.provider_id = s.provider_id and a.created > s.created))
    from ${refreshTokens} s
    where s.id = ${r.successorId} and s.provider_id = ${r.providerId} and s.grant_id = ${r.grantId}))`
}
