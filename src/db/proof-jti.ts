import { sql, type SQL } from 'drizzle-orm'
import { instant as at, seenJtis } from './schema.ts'

/** A DPoP proof's one-time id as `seen_jtis` keeps it (`dpop:<jkt>:<jti>`) and when it may be forgotten. */
export interface ProofJtiRecord { key: string; expires: Date }

/** RFC 9449 §11.1: the statement found the proof's `jti` already recorded and live, so it wrote nothing. */
export class ProofReplayed extends Error {
  override name = 'ProofReplayed'
  constructor() {
    super('DPoP proof replayed')
  }
}

/**
 * The parts that let a statement record a proof's `jti` at no extra round trip: a CTE (`dpop_jti`) that inserts
 * it (a live record of the same key is a replay and inserts nothing), as the first of other CTEs (`cte`, with
 * its comma) or as a statement's whole WITH clause (`withClause`); the condition that gates the statement's own
 * writes on that insert; and a boolean column saying whether it happened. Without a proof: no CTE, a true gate
 * and a null column.
 */
export function proofJtiParts(jti: ProofJtiRecord | null | undefined, now: Date): ProofJtiParts {
  if (!jti) return { cte: sql``, withClause: sql``, gate: sql`true`, fresh: sql`null::boolean` }
  const j = seenJtis
  const insert = sql`dpop_jti as (insert into ${j} (key, created, expires, expiring)
      values (${jti.key}::text, ${at(now)}, ${at(jti.expires)}, true)
      on conflict (key) do update set created = excluded.created, expires = excluded.expires
        where ${j}.expiring and ${j}.expires <= ${at(now)}
      returning 1)`
  const seen = sql`exists (select 1 from dpop_jti)`
  return { cte: sql`${insert}, `, withClause: sql`with ${insert} `, gate: seen, fresh: seen }
}

export interface ProofJtiParts { cte: SQL; withClause: SQL; gate: SQL; fresh: SQL }

/** Throws {@link ProofReplayed} when a statement's `fresh` column says the proof was seen before. */
export function assertProofFresh(fresh: boolean | null | undefined): void {
  if (fresh === false) throw new ProofReplayed()
}
