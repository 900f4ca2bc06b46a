/**
 * Brute-force limits that an attacker cannot turn against an account's real users (security.md; issue 9 §3),
 * shared by sign-in (accounts are users) and the client-authenticated endpoints (accounts are clients). Per
 * window (src/db/rate-limits.ts) three counts:
 * - per (account, address): failures for this account from this address;
 * - per address: failures from this address for any account;
 * - per account: failures for this account from any address, which only refuses addresses that have failed for
 *   this account themselves, so that guesses from elsewhere never lock out a user or client at a clean address.
 * A request from address X for account U is evaluated only while (U, X) < perAccountAddress, X < perAddress and,
 * when (U, X) > 0, U < perAccount. So per window an account sees at most perAccount + D - 1 guesses from D
 * addresses (and at most perAccountAddress from each), an address at most perAddress over all accounts.
 */
export interface AccountLimits {
  perAccountAddress: number
  perAddress: number
  perAccount: number
}

/** Distinct failing addresses of one account in a window that make a `suspicious_request` event. */
export const SUSPICIOUS_ADDRESSES = 10

/** The counter keys of one request: the account's name and the address's are prefixed by their kind. */
export interface AccountKeys {
  /** `<kind>-ip:<address>|<account>`; the address comes first since it never holds a `|`. */
  accountAddress: string
  /** Null without a known address. */
  address: string | null
  account: string
  /** Counts the distinct addresses that failed for the account, for the `suspicious_request` event. */
  addresses: string
}

/**
 * The keys of `account` (a username or client_id) from `ip`: `kind` names the account kind (`user`, `client`),
 * `addressKind` the per-address counter (`ip` for sign-in, `token-ip` for the client endpoints, apart so that
 * each keeps its own limit). Without a known address the request counts as from one unnamed address.
 */
export function accountKeys(kind: string, addressKind: string, account: string, ip: string | undefined): AccountKeys {
  return {
    accountAddress: `${kind}-ip:${ip ?? ''}|${account}`,
    address: ip ? `${addressKind}:${ip}` : null,
    account: `${kind}:${account}`,
    addresses: `${kind}-addrs:${account}`,
  }
}

/** Every key whose count a request checks, in a fixed order. */
export function checkedKeys(keys: AccountKeys): string[] {
  return [keys.accountAddress, ...(keys.address ? [keys.address] : []), keys.account]
}

/** Whether a request is refused, from the counts of its keys before it (a key without a count has none). */
export function overLimit(limits: AccountLimits, keys: AccountKeys, before: (key: string) => number): boolean {
  const pair = before(keys.accountAddress)
  return pair >= limits.perAccountAddress
    || (keys.address !== null && before(keys.address) >= limits.perAddress)
    || (pair > 0 && before(keys.account) >= limits.perAccount)
}
