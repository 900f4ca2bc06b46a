import { sql, type SQL } from 'drizzle-orm'
import { instant as at, seenJtis } from './schema.ts'

/** A DPoP proof's one-time id as `seen_jtis` keeps it (`dpop:<jkt>:<jti>`) and when it may be forgotten. */
export interface ProofJtiRecord { key: string; expires: Date }

/**
 * The parts that let a statement record a proof's `jti` at no extra round trip: a CTE (`dpop_jti`) that inserts
 * it when `when` holds (a live record of the same key is a replay and inserts nothing, RFC 9449 §11.1), alone
 * (`insert`) or as a statement's whole WITH clause (`withClause`); the condition that gates the statement's own
 * writes on that insert; and a boolean column saying whether it happened. Without a proof: no CTE, a true gate
 * and a null column.
 */
export function proofJtiParts(jti: ProofJtiRecord | null | undefined, now: Date, when: SQL = sql`true`): ProofJtiParts {
  if (!jti) return { insert: null, withClause: sql``, gate: sql`true`, fresh: sql`null::boolean` }
  const j = seenJtis
  const insert = sql`dpop_jti as (insert into ${j} (key, created, expires, expiring)
      select ${jti.key}::text, ${at(now)}, ${at(jti.expires)}, true where ${when}
      on conflict (key) do update set created = excluded.created, expires = excluded.expires
        where ${j}.expiring and ${j}.expires <= ${at(now)}
      returning 1)`
  const seen = sql`exists (select 1 from dpop_jti)`
  return { insert, withClause: sql`with ${insert} `, gate: seen, fresh: seen }
}

/** `insert`: the CTE alone (null without a proof). */
export interface ProofJtiParts { insert: SQL | null; withClause: SQL; gate: SQL; fresh: SQL }
