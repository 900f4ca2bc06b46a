import { sql, type SQL } from 'drizzle-orm'
import { accessTokens, instant as at, refreshTokens } from './schema.ts'

/**
 * The token rows a grant's one statement writes before anything is signed (the Worker signs after it): keyed by
 * what the request chose beforehand (the SHA-256 of the access token's `jti`, of the refresh token), copying the
 * grant (provider, user, family, scope, auth_time, session) from the row its statement won (a code consumed, a
 * refresh token rotated...), and storing the facts its ID token claims are made of. A row whose token is then not
 * sent (a later check in JS refused the request) is harmless: nobody holds its value.
 */

/** authentik's one `acr` value (§3.4). */
export const DEFAULT_ACR = 'goauthentik.io/providers/oauth2/default'

/**
 * What a token's ID token claims are made of besides its user and provider, as stored with it (`id_token`):
 * seconds since the epoch, the authentication's methods and the browser session's `sid`, the authorization's
 * `nonce`. Absent members are left out.
 */
export interface StoredFacts {
  iat: number
  exp: number
  auth_time: number
  acr: string
  amr?: string[]
  nonce?: string
  sid?: string
}

/** A new access token's values chosen before the statement. */
export interface NewAccess {
  /** SHA-256 of its `jti`. */
  hash: string
  /** RFC 8707: its resources, an SQL jsonb array or `null::jsonb` (the default audience). */
  audience: SQL
  /** RFC 9449 §6: the DPoP key it is bound to (null: a bearer token). */
  jkt: string | null
}

/**
 * The token rows a grant's statement may store, chosen before it: the access token (its audience is the
 * statement's to decide), the refresh token, and `proofJkt`, the key of the request's DPoP proof (RFC 9449 §5:
 * a public client's refresh token is bound to it; null: none sent).
 */
export interface GrantTokenRows {
  access: Omit<NewAccess, 'audience'>
  refresh: { id: string; hash: string }
  proofJkt: string | null
}

/**
 * A new refresh token's values chosen before the statement (its id too, so a rotation can name its successor);
 * `jkt`, RFC 9449 §5: the DPoP key it is bound to, an SQL text (a public client's only, which the statement knows).
 */
export interface NewRefresh {
  id: string
  hash: string
  jkt: SQL
}

const epoch = (value: SQL): SQL => sql`floor(extract(epoch from ${value}))::bigint`

/** The facts of a token expiring at `expires`, from the source row `s`; `nonce: false` leaves the nonce out. */
function factsJson(expires: SQL, now: Date, nonce: boolean): SQL {
  return sql`jsonb_strip_nulls(jsonb_build_object('iat', ${Math.floor(now.getTime() / 1000)}::bigint,
    'exp', ${epoch(expires)}, 'auth_time', ${epoch(sql`s.auth_time`)}, 'acr', ${DEFAULT_ACR}::text,
    'amr', case when jsonb_array_length(coalesce(s.amr, '[]'::jsonb)) > 0 then s.amr end,
    'nonce', ${nonce ? sql`s.nonce` : sql`null::text`}, 'sid', s.sid))`
}

/** The expiry `now + <provider column>` (milliseconds) of the statement's client. */
const expiresIn = (column: string, now: Date): SQL =>
  sql`${at(now)} + (select ${sql.identifier(column)} from provider) * interval '1 millisecond'`

/**
 * The insert of an access token copied from the CTE `source` (one row with `provider_id, user_id, grant_id,
 * scope, auth_time, session_id, resources` and the facts' sources `nonce` (text), `amr` (a jsonb array) and `sid`
 * (text), these three possibly null), expiring after the
 * provider's `access_token_validity`; `nonce`: whether its ID token claims carry the source's nonce (a refreshed
 * one has none). Returns `expires, id_token`.
 */
export function insertAccess(source: string, a: NewAccess, now: Date, nonce: boolean): SQL {
  const expires = expiresIn('access_token_validity_ms', now)
  return sql`insert into ${accessTokens} (token_hash, provider_id, user_id, grant_id, scope, auth_time, session_id,
      id_token, audience, created, expires, jkt)
    select ${a.hash}::text, s.provider_id, s.user_id, s.grant_id, s.scope, s.auth_time, s.session_id,
      ${factsJson(expires, now, nonce)}, ${a.audience}, ${at(now)}, ${expires}, ${a.jkt}::text
    from ${sql.identifier(source)} s returning expires, id_token`
}

/** The insert of a refresh token copied from `source`, expiring after `refresh_token_validity`; its facts keep the nonce. */
export function insertRefresh(source: string, r: NewRefresh, now: Date): SQL {
  const expires = expiresIn('refresh_token_validity_ms', now)
  return sql`insert into ${refreshTokens} (id, token_hash, provider_id, user_id, grant_id, scope, auth_time,
      session_id, resources, id_token, created, expires, jkt)
    select ${r.id}::uuid, ${r.hash}::text, s.provider_id, s.user_id, s.grant_id, s.scope, s.auth_time, s.session_id,
      s.resources, ${factsJson(expires, now, true)}, ${at(now)}, ${expires}, ${r.jkt}
    from ${sql.identifier(source)} s returning expires, id_token`
}

/** What the statement answers of the tokens it stored: `access` and `refresh` (null: not stored) as JSON. */
export const storedTokenColumns: SQL = sql`(select row_to_json(access) from access) as access,
  (select row_to_json(refresh) from refresh) as refresh`

/** A stored token as {@link storedTokenColumns} answers it. */
export interface StoredToken {
  expires: Date
  facts: StoredFacts
}

export function storedToken(json: unknown): StoredToken | null {
  if (json === null || json === undefined) return null
  const row = json as { expires: string; id_token: StoredFacts }
  return { expires: new Date(row.expires), facts: row.id_token }
}

/** `insertRefresh` of nothing, for a statement that stores no refresh token but answers `refresh`. */
export const NO_REFRESH: SQL = sql`refresh as (select null::timestamptz as expires, null::jsonb as id_token where false)`
