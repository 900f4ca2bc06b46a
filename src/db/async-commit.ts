import { sql } from 'drizzle-orm'

/**
 * A select-list entry for a statement whose only writes are the brute-force counters (`login_attempts`): its
 * commit does not wait for the WAL to be flushed (`synchronous_commit` off for its own transaction, which is what
 * decides a commit's durability; the next statement starts with the setting back on). Every single-statement
 * request is its own transaction over Neon's HTTP endpoint, and on Neon a synchronous commit waits for the
 * safekeepers' quorum: about a millisecond locally (a WAL fsync) and a network round trip inside the region there,
 * on the first statement of every client-authenticated request and sign-in.
 *
 * What it risks: after a crash of the database, the counts of the last fraction of a second may be gone, as if
 * those attempts had not been made (no inconsistency: PostgreSQL's asynchronous commit loses whole transactions
 * only). A counter exists to slow guessing, and an attacker who could crash the database at will gains a few
 * attempts. It changes nothing for other sessions, which see the counts at once, so the limits hold under
 * concurrency as before. Never in a statement that issues, consumes or revokes anything: those stay durable.
 */
export const COUNTERS_ONLY_COMMIT = sql`set_config('synchronous_commit', 'off', true) as counters_only_commit`
