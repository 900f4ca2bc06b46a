import { sql, type SQL } from 'drizzle-orm'
import { attemptCte, type Attempt } from './failure-counters.ts'
import { rowsOf, type Db } from './client.ts'
import { executeKept } from './kept-statements.ts'
import { bundleColumns, bundleOfRow, providerCte, type BundleRow } from './provider-row.ts'
import type { ProviderBundle } from './providers.ts'
import { providers } from './schema.ts'

/**
 * The one statement of a client-authenticated request (token, introspection, revocation, device authorization,
 * pushed authorization): the client's provider (`provider`, aliased `p` in the checks), what the request presents
 * (its reads), the checks in their order (client authentication first), the brute-force counters (src/db/
 * failure-counters.ts) and the request's writes, which happen only when every check passed and the limits allow
 * it. It answers the outcome (`ok`, or the first check that failed), whether the limits allowed an answer, the
 * provider bundle (for CORS and signing) and the request's own columns.
 */

/** One check, in the request's order; the first that fails is the outcome. */
export interface StatementCheck {
  /** The outcome when it is the first to fail (mapped to an error by the endpoint). */
  name: string
  /** An SQL boolean that holds when the check passes, over `p` (the provider) and the reads' aliases. */
  passes: SQL
  /** A failure here is a guess (a bad code, token, device code): counted against the address. */
  counted?: boolean
}

/** A CTE reading what the request presents: at most one row, joined into the checks as `alias`. */
export interface StatementRead {
  name: string
  alias: string
  query: SQL
}

/**
 * How the client proves itself (authentik §4.1): `required`, a confidential client must present its secret;
 * `grant`, the request's checks weigh it among other credentials (client_credentials and password), reading
 * `cs.matches`. `hash` is the keyed hash of the secret presented (null: none). A provider whose secret was stored
 * before keyed hashes has none: the outcome is then `secret_unverified` (when the secret matters), and the caller
 * checks it against the sealed value and runs the statement again with `verified`, which also fills the hash.
 */
export type SecretRule = 'required' | 'grant'

export interface ClientSecret {
  rule: SecretRule
  hash: string | null
  verified?: boolean | undefined
}

export interface ClientStatement {
  clientId: string
  secret: ClientSecret
  attempt: Attempt
  reads?: StatementRead[]
  /** Checks that come before the client's (a rate limit that refuses before anything is looked at). */
  preChecks?: StatementCheck[]
  checks?: StatementCheck[]
  /** Outcomes the request's checks count as a wrong secret of the client (a credentials grant's), by name. */
  wrongSecret?: readonly string[]
  /** The request's writes, as CTEs; `passed` is an SQL boolean: every check passed and the limits allow it. */
  writes?: (passed: SQL) => SQL[]
  /** The request's own select-list entries. */
  columns?: SQL[]
}

/** What the statement answered. */
export interface ClientStatementRow<R> {
  /** `ok`, `unknown_client`, `secret_unverified`, `wrong_secret`, or the name of the request's first failed check. */
  outcome: string
  /** False: the limits refused an answer (429), whatever the outcome. */
  allowed: boolean
  bundle: ProviderBundle | null
  row: R
}

/** The read `cs`: whether the presented secret is the client's (`cs.matches`). */
function secretRead(secret: ClientSecret): StatementRead {
  const matches = secret.verified !== undefined ? sql`${secret.verified}::boolean`
    : sql`coalesce((select client_secret_hash = ${secret.hash}::text from provider), false)`
  return { name: 'presented_secret', alias: 'cs', query: sql`select ${matches} as matches` }
}

/** RFC 6749 §2.3.1: a secret stored before keyed hashes, then (`required`) the secret of a confidential client. */
function secretChecks(secret: ClientSecret): StatementCheck[] {
  const confidential = sql`p.client_type = 'confidential'`
  const needed = secret.rule === 'required' ? confidential : sql`${secret.hash !== null}::boolean`
  const checks: StatementCheck[] = secret.verified !== undefined ? []
    : [{ name: 'secret_unverified', passes: sql`not (${needed} and p.client_secret_hash is null)` }]
  if (secret.rule === 'required') checks.push({ name: 'wrong_secret', passes: sql`(not ${confidential} or cs.matches)` })
  return checks
}

/** The CTE `gate`: the first failed check's name, or `ok`. */
function gateCte(reads: StatementRead[], checks: StatementCheck[]): SQL {
  const cases = checks.map((c) => sql`when not coalesce(${c.passes}, false) then ${c.name}::text`)
  const joins = reads.map((r) => sql` left join ${sql.identifier(r.name)} ${sql.identifier(r.alias)} on true`)
  return sql`gate as materialized (select case ${sql.join(cases, sql` `)} else 'ok' end as outcome
    from (select 1) as one left join provider p on true${sql.join(joins, sql``)})`
}

/**
 * The statement of `spec`, run (through its kept function when it has one), and its answer. The checks are the
 * client's (it exists, its secret) then the request's; the counters count an unknown client and a counted check
 * against the address, a wrong secret against the client and the address.
 */
export async function runClientStatement<R extends object>(db: Db, spec: ClientStatement):
  Promise<ClientStatementRow<R>> {
  const reads = [secretRead(spec.secret), ...spec.reads ?? []]
  const checks: StatementCheck[] = [...spec.preChecks ?? [],
    { name: 'unknown_client', passes: sql`p.id is not null`, counted: true },
    ...secretChecks(spec.secret), ...(spec.checks ?? [])]
  const secretOutcomes = ['wrong_secret', ...(spec.wrongSecret ?? [])]
  const counted = checks.filter((c) => c.counted).map((c) => c.name)
  const kind = sql`(select case when outcome in (${sql.join(secretOutcomes.map((n) => sql`${n}::text`), sql`, `)})
      then 'secret' when outcome in (${sql.join(counted.map((n) => sql`${n}::text`), sql`, `)}) then 'address'
      else 'pass' end from gate)`
  const passed = sql`((select outcome from gate) = 'ok' and (select allowed from attempt))`
  // A secret checked in JS against the sealed one, for a provider without a keyed hash yet: now it has one.
  const fill = spec.secret.verified && spec.secret.hash !== null
    ? [sql`secret_filled as (update ${providers} set client_secret_hash = ${spec.secret.hash}::text
        where id = (select id from provider) and client_secret_hash is null and ${passed})`] : []
  const ctes = [providerCte(spec.clientId), ...reads.map((r) => sql`${sql.identifier(r.name)} as (${r.query})`),
    gateCte(reads, checks), attemptCte(spec.attempt, kind), ...fill, ...(spec.writes?.(passed) ?? [])]
  const columns = [bundleColumns, sql`(select outcome from gate) as outcome`,
    sql`(select allowed from attempt) as allowed`, ...(spec.columns ?? [])]
  const stmt = sql`with ${sql.join(ctes, sql`, `)} select ${sql.join(columns, sql`, `)}`
  const [row] = rowsOf<BundleRow & { outcome: string; allowed: boolean } & R>(await executeKept(db, stmt))
  if (!row) throw new Error('the client statement returned no row')
  return { outcome: row.outcome, allowed: row.allowed === true, bundle: bundleOfRow(row), row }
}
