import type { JWK } from 'jose'
import type { TtlCache } from '../cache.ts'
import { constantTimeEqual } from '../crypto/hash.ts'
import type { DPoPNonces } from '../crypto/dpop-nonce.ts'
import {
  runClientStatement, type ClientStatement, type SecretRule, type StatementCheck, type StatementRead,
} from '../db/client-statement.ts'
import type { Db } from '../db/client.ts'
import { attemptWindow, secondsLeft } from '../db/failure-counters.ts'
import type { NewEvent } from '../db/events.ts'
import type { ProviderBundle } from '../db/providers.ts'
import type { IssueContext } from '../tokens/issue.ts'
import { invalidClient, type ClientCredentials } from './client-auth.ts'
import { clientSecretHash } from './client-secret.ts'
import { OAuthError } from './errors.ts'
import { CLIENT_LIMITS, clientKeys, SUSPICIOUS_ADDRESSES } from './limits.ts'

/**
 * Everything a client-authenticated endpoint (token, introspection, revocation, device authorization, pushed
 * authorization) reads besides its parameters, so that its protocol code never sees the HTTP framework.
 */
export interface ClientContext extends IssueContext {
  db: Db
  clientIp: string | undefined
  /** Outbound HTTP (JWKS URLs of assertion sources) and the per-isolate cache of what it fetched. */
  fetch: typeof fetch
  remoteJwks: TtlCache<string, JWK[]>
  /** Called as soon as the client's provider is known, so the answer (even an error) can carry its CORS headers. */
  onProvider(bundle: ProviderBundle): void
  /** RFC 9449 §8: the server nonces, at an endpoint that takes DPoP proofs (`dpop` of `IssueContext`). */
  dpopNonces?: DPoPNonces
}

/**
 * HTTP 429 (RFC 6585 §4) with `Retry-After` (seconds to the window's end); never cached, like every token error.
 * RFC 6749 §5.2 has no code for throttling (`temporarily_unavailable` belongs to the authorization endpoint and
 * `slow_down` tells a device-flow client to poll more slowly), so the code is the generic `invalid_request`
 * unless the endpoint names its own (device authorization answers `slow_down`, as authentik does).
 */
export class TooManyFailures extends OAuthError {
  constructor(readonly retryAfter: number, code: OAuthError['code'] = 'invalid_request',
    description = 'Too many failed requests; try again later.') {
    super(code, description, 429, 'rate limited')
  }
}

/** A check of the request's own, with the error it answers when it is the first to fail (given the columns). */
export interface RequestCheck extends StatementCheck {
  error(row: Record<string, unknown>): OAuthError
}

/** What an endpoint adds to the client's statement. */
export interface ClientRequest {
  /**
   * authentik §4.1: `required`, a confidential client presents its secret (compared as keyed hashes in the
   * statement); `grant`, the request's checks weigh it among other credentials (client_credentials, password),
   * reading `cs.matches` (src/db/client-statement.ts).
   */
  secret: SecretRule
  reads?: StatementRead[]
  /** Checks before the client's (see `ClientStatement`). */
  preChecks?: RequestCheck[]
  checks?: RequestCheck[]
  /** Names of the request's checks that count as a wrong secret of the client. */
  wrongSecret?: readonly string[]
  writes?: ClientStatement['writes']
  columns?: ClientStatement['columns']
}

/** The statement's answer once every check passed: the client's bundle and the request's columns. */
export interface ClientAnswer<R> {
  bundle: ProviderBundle
  row: R
}

/** A request that failed one of its own checks; `bundle` and `row` are what the statement read. */
export class CheckFailed<R> extends Error {
  override name = 'CheckFailed'
  constructor(readonly error: OAuthError, readonly outcome: string, readonly answer: ClientAnswer<R>) {
    super(error.message)
  }
}

/**
 * The one statement of a client-authenticated request (src/db/client-statement.ts) and what its outcome means:
 * 429 when the limits refused (src/oauth/limits.ts), `invalid_client` for an unknown client or a wrong secret,
 * else the first of the request's own checks to fail (thrown as `CheckFailed`, carrying what was read, for a
 * request that has more to do on a failure), else the answer. A secret stored before keyed hashes is checked
 * here against its sealed value and the statement runs again with the verdict (which fills the hash when right).
 */
export async function clientStatement<R extends object>(ctx: ClientContext, credentials: ClientCredentials,
  request: ClientRequest, verified?: boolean): Promise<ClientAnswer<R>> {
  if (credentials.clientId === '') throw invalidClient(credentials, 'no client_id')
  const keys = clientKeys(credentials.clientId, ctx.clientIp)
  const window = attemptWindow(ctx.now)
  const suspicious: NewEvent = { action: 'suspicious_request', clientId: credentials.clientId,
    ...(ctx.clientIp && { clientIp: ctx.clientIp }),
    context: { reason: 'wrong client secrets from many addresses', addresses: SUSPICIOUS_ADDRESSES } }
  const hash = credentials.clientSecret === '' ? null : await clientSecretHash(ctx.secrets, credentials.clientSecret)
  const checks = [...request.preChecks ?? [], ...request.checks ?? []]
  const answered = await runClientStatement<R>(ctx.db, {
    clientId: credentials.clientId,
    secret: { rule: request.secret, hash, verified },
    attempt: { keys, limits: CLIENT_LIMITS, window,
      suspicious: { event: suspicious, threshold: SUSPICIOUS_ADDRESSES, now: ctx.now } },
    reads: request.reads ?? [], preChecks: request.preChecks ?? [], checks: request.checks ?? [],
    wrongSecret: request.wrongSecret ?? [],
    ...(request.writes && { writes: request.writes }), ...(request.columns && { columns: request.columns }),
  })
  const { bundle, outcome, row } = answered
  if (bundle) ctx.onProvider(bundle)
  if (!answered.allowed) throw new TooManyFailures(secondsLeft(window, ctx.now))
  const before = request.preChecks?.find((c) => c.name === outcome)
  if (before) throw before.error(row as Record<string, unknown>)
  if (outcome === 'unknown_client' || !bundle) throw invalidClient(credentials, 'unknown client')
  if (outcome === 'secret_unverified') {
    const stored = await ctx.secrets.open(bundle.provider.clientSecretSealed)
    return clientStatement(ctx, credentials, request, constantTimeEqual(stored, credentials.clientSecret))
  }
  if (outcome === 'wrong_secret') throw invalidClient(credentials, 'wrong client secret')
  if (outcome === 'ok') return { bundle, row }
  const check = checks.find((c) => c.name === outcome)
  if (!check) throw new Error(`unknown outcome ${outcome}`)
  throw new CheckFailed(check.error(row as Record<string, unknown>), outcome, { bundle, row })
}
