import type { SQL } from 'drizzle-orm'
import type * as z from 'zod'
import type { SecretRule, StatementRead } from '../db/client-statement.ts'
import type { GrantType } from '../db/schema.ts'
import type { ClientCredentials } from '../oauth/client-auth.ts'
import type { CheckFailed, ClientAnswer, ClientContext, RequestCheck } from '../oauth/client-request.ts'
import type { IssuedTokens } from '../tokens/issue.ts'

/** What a grant reads besides its request: the database, the clock, the keys (see `ClientContext`). */
export type GrantContext = ClientContext

/** What a successful grant answers with: the tokens and the scope they were issued for. */
export interface GrantResult {
  tokens: IssuedTokens
  scope: string
}

/** A grant's part of its one statement (src/db/client-statement.ts), after the checks every grant shares. */
export interface GrantStatement {
  reads?: StatementRead[]
  checks?: RequestCheck[]
  /** Names of its checks that count as a wrong secret of the client (a credentials grant's). */
  wrongSecret?: readonly string[]
  /** Its writes; `passed`: every check passed, the limits allow it and the DPoP proof's `jti` is fresh. */
  writes(passed: SQL): SQL[]
  columns: SQL[]
}

/** The statement's answer as a grant sees it: the client's bundle and its columns. */
export type GrantAnswer = ClientAnswer<Record<string, unknown>>

/**
 * One grant of the token endpoint, describing itself (node-oidc-provider's grant modules), in the three steps of
 * a request that consults the database: what it computes from the request alone (`prepare`: hashes, new token
 * values), the one statement that decides and writes (its part: `statement`), and what it makes of the answer
 * (`answer`: sign). `failed` does what a failed check leaves to do (revoke a family on replay: a failure may cost
 * one more statement, a success never); `precheck` is a check of the request that only JavaScript can make,
 * taken before the statement's own outcome (a redirect URI against a provider's regex entries).
 */
export interface Grant<P = unknown, S = unknown> {
  /** RFC 6749 §4 / RFC 8628 §3.4 `grant_type`. */
  grantType: string
  /** The provider's `grant_types` value that enables it. */
  allowedBy: GrantType
  /** The form parameters it reads (each at most once but `resource`, a list; empty ones omitted); others ignored. */
  parameters: z.ZodType<P>
  /** authentik §4.1: who checks the client's secret (see `ClientRequest`). */
  secret: SecretRule
  /** RFC 6749 §4.4: only confidential clients may use it (a public one is `unauthorized_client`). */
  confidentialOnly?: boolean
  prepare(ctx: GrantContext, params: P, client: ClientCredentials): Promise<S>
  statement(ctx: GrantContext, prepared: S): GrantStatement
  answer(ctx: GrantContext, answer: GrantAnswer, prepared: S): Promise<GrantResult>
  failed?(ctx: GrantContext, failure: CheckFailed<Record<string, unknown>>, prepared: S): Promise<void>
  /**
   * A second statement with what the first read (a client assertion, verified between them as a password is
   * between sign-in's two): the prepared state to run the statement again with, or null to answer the failure.
   */
  followUp?(ctx: GrantContext, failure: CheckFailed<Record<string, unknown>>, prepared: S): Promise<S | null>
  precheck?(ctx: GrantContext, answer: GrantAnswer, prepared: S): Promise<void>
}

/** Type a grant module's export, inferring its parameter and prepared types. */
export function defineGrant<P, S>(grant: Grant<P, S>): Grant<P, S> {
  return grant
}
