import { and, eq, sql, type SQL } from 'drizzle-orm'
import { rowsOf, type Db } from './client.ts'
import { executeKept } from './kept-statements.ts'
import type { ArtefactQuery } from './client-load.ts'
import { eventValues, type NewEvent } from './events.ts'
import { rotationStateJson, type RotationState } from './rotation-state.ts'
import { assertProofFresh, proofJtiParts, type ProofJtiRecord } from './proof-jti.ts'
import {
  accessTokens, authenticatedSessions, authorizationCodes, events, instant as at, isLive, refreshTokens,
} from './schema.ts'
import { claimUserJson, type ClaimUser } from './user-claims.ts'

/** A live authorization code of the client, consumed or not (a consumed one is a replay). */
export interface CodeGrant {
  id: string
  grantId: string
  scope: string
  authTime: Date
  redirectUri: string
  nonce: string | null
  codeChallenge: string | null
  codeChallengeMethod: string | null
  consumed: boolean
  user: ClaimUser | null
  /** The browser session the code was issued in: its `amr` and `sid` (sessionKeyHash). */
  session: { amr: string[]; sid: string } | null
  /** RFC 8707 resources asked for at authorize (null: none). */
  resources: string[] | null
}

/** A live refresh token of the client, revoked or not (a revoked one is a replay). */
export interface RefreshGrant {
  id: string
  grantId: string
  scope: string
  authTime: Date
  expires: Date
  revoked: boolean
  /** RFC 9449 §5: the DPoP key thumbprint a public client's token is bound to (null: unbound). */
  jkt: string | null
  /** The ID token claims stored with it (`amr`, `nonce`). */
  idToken: Record<string, unknown>
  user: ClaimUser | null
  /** The sessionKeyHash of its browser session, while that session exists. */
  sid: string | null
  /** The retry window's view of its rotation (src/grants/refresh-retry.ts). */
  rotation: RotationState
  /** RFC 8707 resources of the grant, copied from its code (null: none). */
  resources: string[] | null
}

type Dated<T, K extends keyof T> = Omit<T, K> & { [P in K]: string }

/** RFC 6749 §4.1.3: the live code of the client's provider hashing to `codeHash`, with its user and session. */
export function codeArtefact(db: Db, codeHash: string, now: Date): ArtefactQuery<CodeGrant> {
  const c = authorizationCodes
  return {
    query: (providerId) => db.select({ grant: sql`json_build_object(
      'id', ${c.id}, 'grantId', ${c.grantId}, 'scope', ${c.scope}, 'authTime', ${c.authTime},
      'redirectUri', ${c.redirectUri}, 'nonce', ${c.nonce}, 'codeChallenge', ${c.codeChallenge},
      'codeChallengeMethod', ${c.codeChallengeMethod}, 'consumed', ${c.consumed} is not null,
      'resources', ${c.resources},
      'user', ${claimUserJson(sql`${c.userId}`)},
      'session', (select json_build_object('amr', s.amr, 'sid', s.session_key_hash)
        from ${authenticatedSessions} s where s.id = ${c.sessionId}))` })
      .from(c).where(and(eq(c.codeHash, codeHash), eq(c.providerId, providerId), isLive(c, now))),
    decode: (json) => {
      const found = json as Dated<CodeGrant, 'authTime'>
      return { ...found, authTime: new Date(found.authTime) }
    },
  }
}

/** RFC 6749 §6: the live refresh token of the client's provider hashing to `tokenHash`, with its user. */
export function refreshArtefact(db: Db, tokenHash: string, now: Date): ArtefactQuery<RefreshGrant> {
  const r = refreshTokens
  return {
    query: (providerId) => db.select({ grant: sql`json_build_object(
      'id', ${r.id}, 'grantId', ${r.grantId}, 'scope', ${r.scope}, 'authTime', ${r.authTime}, 'expires', ${r.expires},
      'revoked', ${r.revoked}, 'jkt', ${r.jkt}, 'idToken', ${r.idToken}, 'user', ${claimUserJson(sql`${r.userId}`)},
      'resources', ${r.resources},
      'sid', (select s.session_key_hash from ${authenticatedSessions} s where s.id = ${r.sessionId}),
      'rotation', ${rotationStateJson()})` })
      .from(r).where(and(eq(r.tokenHash, tokenHash), eq(r.providerId, providerId), isLive(r, now))),
    decode: (json) => {
      const found = json as Dated<RefreshGrant, 'authTime' | 'expires'>
      return { ...found, authTime: new Date(found.authTime), expires: new Date(found.expires) }
    },
  }
}

const jsonb = (value: unknown): SQL => sql`${JSON.stringify(value)}::jsonb`

/** What is stored of a new token: its hash, never the token. */
export interface NewAccessToken {
  hash: string; jti: string; expires: Date; idToken: Record<string, unknown>
  /** RFC 8707: its resources (null: the default audience). */
  audience?: readonly string[] | null
  /** RFC 9449 §6: the DPoP key it is bound to, and the proof's `jti` its statement records (src/db/proof-jti.ts). */
  jkt?: string | null; proofJti?: ProofJtiRecord | null
}
export interface NewRefreshToken { hash: string; expires: Date; idToken: Record<string, unknown>; jkt?: string | null }

// Each insert copies the grant (provider, user, family, scope, auth_time, session; a refresh token also its RFC 8707
// resources, never narrowed) from the row `source` returns, so nothing is inserted unless that row was won by this
// request.
export function insertAccess(source: SQL, t: NewAccessToken, now: Date): SQL {
  return sql`insert into ${accessTokens} (token_hash, jti, provider_id, user_id, grant_id, scope, auth_time, session_id,
      id_token, audience, created, expires, jkt)
    select ${t.hash}::text, ${t.jti}::text, provider_id, user_id, grant_id, scope, auth_time, session_id,
      ${jsonb(t.idToken)}, ${t.audience ? jsonb(t.audience) : sql`null::jsonb`}, ${at(now)}, ${at(t.expires)},
      ${t.jkt ?? null}::text
    from ${source} returning id`
}

export function insertRefresh(source: SQL, t: NewRefreshToken, now: Date): SQL {
  return sql`insert into ${refreshTokens} (token_hash, provider_id, user_id, grant_id, scope, auth_time, session_id,
      resources, id_token, created, expires, jkt)
    select ${t.hash}::text, provider_id, user_id, grant_id, scope, auth_time, session_id,
      resources, ${jsonb(t.idToken)}, ${at(now)}, ${at(t.expires)}, ${t.jkt ?? null}::text from ${source} returning id`
}

export const GRANT_COLUMNS = sql.raw('provider_id, user_id, grant_id, scope, auth_time, session_id, resources')

/** `, <cte>` to add a CTE that the caller brings (the rate-limit give-back, src/oauth/client-attempt.ts). */
export const also = (extra: SQL | null): SQL => (extra ? sql`, ${extra}` : sql``)

export async function issued(db: Db, statement: SQL): Promise<boolean> {
  const [row] = rowsOf<{ issued: boolean; fresh?: boolean | null }>(await executeKept(db, statement))
  assertProofFresh(row?.fresh)
  return row?.issued === true
}

/**
 * RFC 6749 §4.1.2 single use: consume the live, unconsumed code and store the tokens issued for it, in one
 * statement (with `extra`, a CTE of the caller's). False when another request consumed it first; then nothing
 * but `extra` was written.
 */
export async function redeemCode(
  db: Db, codeId: string, now: Date, access: NewAccessToken, refresh: NewRefreshToken | null, extra: SQL | null = null,
): Promise<boolean> {
  const c = authorizationCodes
  const source = sql.raw('consumed')
  const proof = proofJtiParts(access.proofJti, now)
  return issued(db, sql`with ${proof.cte}consumed as (
      update ${c} set consumed = ${at(now)}
      where ${c.id} = ${codeId}::uuid and ${c.consumed} is null and ${isLive(c, now)} and ${proof.gate}
      returning ${GRANT_COLUMNS}),
    access as (${insertAccess(source, access, now)})
    ${refresh ? sql`, refresh as (${insertRefresh(source, refresh, now)})` : sql``}${also(extra)}
    select exists (select 1 from access) as issued, ${proof.fresh} as fresh`)
}

/**
 * RFC 9700 §4.14.2 rotation: revoke the live, unrevoked refresh token (recording when, and its successor, for the
 * retry window) and store its successor and the new access token, in one statement (with `extra`). The row is
 * locked first, so that the update can name the successor inserted from it; a request that waited for the lock
 * finds it revoked and writes nothing. False when another request rotated it first; then nothing but `extra` was
 * written.
 */
export async function rotateRefreshToken(
  db: Db, tokenId: string, now: Date, access: NewAccessToken, refresh: NewRefreshToken, extra: SQL | null = null,
): Promise<boolean> {
  const r = refreshTokens
  const source = sql.raw('rotating')
  const proof = proofJtiParts(access.proofJti, now)
  return issued(db, sql`with ${proof.cte}rotating as (
      select id, ${GRANT_COLUMNS} from ${r}
      where ${r.id} = ${tokenId}::uuid and not ${r.revoked} and ${isLive(r, now)} and ${proof.gate} for update),
    access as (${insertAccess(source, access, now)}),
    refresh as (${insertRefresh(source, refresh, now)}),
    rotated as (update ${r} set revoked = true, rotated = ${at(now)}, successor_id = (select id from refresh)
      where ${r.id} in (select id from rotating))${also(extra)}
    select exists (select 1 from access) as issued, ${proof.fresh} as fresh`)
}

/** Within `refresh_token_threshold`: only a new access token, while the refresh token is still live and unrevoked. */
export async function issueFromRefreshToken(
  db: Db, tokenId: string, now: Date, access: NewAccessToken, extra: SQL | null = null,
): Promise<boolean> {
  const r = refreshTokens
  const proof = proofJtiParts(access.proofJti, now)
  return issued(db, sql`with ${proof.cte}current_token as (
      select ${GRANT_COLUMNS} from ${r} where ${r.id} = ${tokenId}::uuid and not ${r.revoked} and ${isLive(r, now)}
        and ${proof.gate}),
    access as (${insertAccess(sql.raw('current_token'), access, now)})${also(extra)}
    select exists (select 1 from access) as issued, ${proof.fresh} as fresh`)
}

/**
 * RFC 9700 §4.5 / §4.14.2: a replayed code or refresh token revokes its whole family (every access token deleted,
 * every refresh token revoked) and leaves a `suspicious_request` event with the counts, in one statement.
 */
export async function revokeFamily(
  db: Db, family: { providerId: number; grantId: string }, event: NewEvent, now: Date,
): Promise<void> {
  const e = eventValues(event, now)
  const where = sql`grant_id = ${family.grantId}::uuid and provider_id = ${family.providerId}::int`
  await db.execute(sql`with gone as (delete from ${accessTokens} where ${where} returning 1),
    revoked as (update ${refreshTokens} set revoked = true where ${where} and not revoked returning 1)
    insert into ${events} (action, "user", client_id, context, client_ip, created, expires)
    select ${e.action}::text, ${jsonb(e.user)}, ${e.clientId ?? null}::text,
      ${jsonb(e.context)} || jsonb_build_object('revoked_access_tokens', (select count(*) from gone),
        'revoked_refresh_tokens', (select count(*) from revoked)),
      ${e.clientIp ?? null}::text, ${at(now)}, ${e.expires ? at(e.expires) : sql`null`}`)
}
