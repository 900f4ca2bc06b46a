import type { AccountKeys, AccountLimits } from '../db/failure-counters.ts'

/**
 * Every brute-force limit of edge-oidc, in one place (security.md: sign-in and the token endpoints are limited per
 * account and per client address). The counts live in `login_attempts`, one row per key and fixed window; the one
 * function that checks and counts them is src/db/failure-counters.ts (`edge_attempt` in the database).
 *
 * Only failures are counted: a wrong client secret or password, an unknown client, a bad code, refresh token or
 * device code, a wrong user code or admin token. A request that succeeds writes nothing to the counters and holds
 * nothing while it runs, so an honest client is never refused however many requests it sends at once. A failure
 * is counted by the same statement that finds it, one after another under the counters' locks, and a request that
 * is no failure waits for the failures in flight before it reads them: so however many requests arrive at once,
 * no more failures are answered than the limits below allow, and once a limit is reached the right secret is
 * refused like a wrong one (429), so that a guesser cannot tell the two apart. Other addresses are never refused
 * for an address's failures.
 */

export { attemptWindow, secondsLeft, type AttemptWindow } from '../db/failure-counters.ts'

/**
 * Three counts per 15-minute window, for accounts (users at sign-in, clients at the client-authenticated endpoints)
 * that an attacker must not be able to lock out:
 * - per (account, address): failures for this account from this address;
 * - per address: failures from this address for any account (an office behind one NAT shares it);
 * - per account: failures for this account from any address, which only refuses addresses that have failed for
 *   this account themselves, so that guesses from elsewhere never lock out a user or client at a clean address.
 * So per window an account sees at most perAccount + D - 1 guesses from D addresses (at most perAccountAddress from
 * any one), and an address at most perAddress over all accounts.
 */

/** The token, introspection, revocation, device authorization and pushed authorization endpoints. */
export const CLIENT_LIMITS: AccountLimits = { perAccountAddress: 10, perAddress: 50, perAccount: 100 }

/** The sign-in form. */
export const SIGN_IN_LIMITS: AccountLimits = { perAccountAddress: 10, perAddress: 50, perAccount: 20 }

/** Distinct failing addresses of one account in a window that make a `suspicious_request` event. */
export const SUSPICIOUS_ADDRESSES = 10

/** Wrong user codes per address and window at the `/device` page (RFC 8628 §5.1). */
export const WRONG_USER_CODES = 10

/** Wrong admin tokens per address and window at the admin API. */
export const WRONG_ADMIN_TOKENS = 20

/** authentik's `throttle.providers.oauth2.device`: device authorization requests per address and hour. */
export const DEVICE_REQUESTS_PER_HOUR = 20

/**
 * The keys of `account` (a username or client_id; null for an unknown client, which counts against its address
 * only) from `ip`: `kind` names the account kind (`user`, `client`), `addressKind` the per-address counter (`ip`
 * for sign-in, `token-ip` for the client endpoints, apart so that each keeps its own limit). Without a known
 * address the request counts as from one unnamed address.
 */
export function accountKeys(kind: string, addressKind: string, account: string | null, ip: string | undefined):
  AccountKeys {
  return {
    accountAddress: account === null ? null : `${kind}-ip:${ip ?? ''}|${account}`,
    address: ip ? `${addressKind}:${ip}` : null,
    account: account === null ? null : `${kind}:${account}`,
    addresses: account === null ? null : `${kind}-addrs:${account}`,
  }
}

/** The keys of a client-authenticated request. */
export const clientKeys = (clientId: string | null, ip: string | undefined): AccountKeys =>
  accountKeys('client', 'token-ip', clientId, ip)

/** The keys of a sign-in (usernames are matched as given, but counted case-insensitively). */
export const signInKeys = (username: string, ip: string | undefined): AccountKeys =>
  accountKeys('user', 'ip', username.toLowerCase().slice(0, 256), ip)

/** A limit of one counter per address only (`WRONG_USER_CODES`, `WRONG_ADMIN_TOKENS`). */
export const addressKeys = (kind: string, ip: string | undefined): AccountKeys =>
  ({ accountAddress: null, address: ip ? `${kind}:${ip}` : null, account: null, addresses: null })
