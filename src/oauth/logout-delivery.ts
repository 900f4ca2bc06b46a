import type { KeyCache } from '../crypto/key-cache.ts'
import { deriveSecrets } from '../crypto/secret-box.ts'
import type { Db } from '../db/client.ts'
import { claimLogouts, recordLogoutAttempt, type ClaimedLogout } from '../db/logout-outbox.ts'
import { loadProvidersByIds, type ProviderBundle } from '../db/providers.ts'
import type { Logger } from '../log.ts'
import { subject } from '../tokens/claims.ts'
import { encodeLogoutToken } from '../tokens/logout-token.ts'
import { signingContext } from '../tokens/signing-context.ts'
import { issuerOf } from './issuer.ts'

/** How long one POST to a `logout_uri` may take. */
export const LOGOUT_TIMEOUT_MS = 5_000

/** What sending needs from the runtime. */
export interface LogoutSender {
  fetch: typeof fetch
  keys: KeyCache
  log: Logger
  secretKey: string
}

export interface DeliveryOptions {
  /** Only these notifications (those a request just queued); otherwise every due one. */
  ids?: readonly string[]
  timeoutMs?: number
}

export interface DeliveryResult {
  delivered: number
  failed: number
}

/** POST `logout_token` (OIDC Back-Channel Logout 1.0 §2.5); null on a 2xx, else why not. Redirects are not followed. */
async function post(sender: LogoutSender, uri: string, token: string, timeoutMs: number): Promise<string | null> {
  const controller = new AbortController()
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => {
      controller.abort()
      resolve(`no answer within ${timeoutMs} ms`)
    }, timeoutMs)
  })
  const send = (async () => {
    const res = await sender.fetch(uri, {
      method: 'POST', redirect: 'manual', signal: controller.signal,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: new URLSearchParams({ logout_token: token }).toString(),
    })
    await res.body?.cancel().catch(() => undefined)
    return res.status >= 200 && res.status < 300 ? null : `HTTP ${res.status}`
  })().catch((err: unknown) => (controller.signal.aborted ? `no answer within ${timeoutMs} ms`
    : `request failed: ${err instanceof Error ? err.message : String(err)}`))
  try {
    return await Promise.race([send, timeout])
  } finally {
    clearTimeout(timer)
  }
}

async function attempt(sender: LogoutSender, row: ClaimedLogout, bundle: ProviderBundle | undefined,
  origin: string | undefined, now: Date, timeoutMs: number): Promise<string | null> {
  const provider = bundle?.provider
  if (!bundle || !provider || provider.logoutMethod !== 'backchannel' || provider.logoutUri === '') {
    return 'the provider no longer has a back-channel logout URI'
  }
  // PUBLIC_URL when set, else the origin the session was signed in on (every session since 0004 has one).
  const from = origin ?? row.origin
  if (!from) return 'no origin to name the issuer: set PUBLIC_URL'
  const secrets = await deriveSecrets(sender.secretKey)
  const sub = row.user ? await subject(provider.subMode, row.user, secrets.installId) : null
  const token = await encodeLogoutToken(await signingContext(bundle, secrets),
    { issuer: issuerOf(bundle, from), clientId: provider.clientId, now, sub, sid: row.sid }, sender.keys)
  return post(sender, provider.logoutUri, token, timeoutMs)
}

/**
 * Send the due back-channel logout notifications (§2.5-§2.8): claim them (one statement), load their providers
 * (one), POST each logout token concurrently, and record each outcome (one statement each). `origin` builds the
 * issuer, as a request's origin does; unset, each notification's own (its session's origin).
 */
export async function deliverLogouts(sender: LogoutSender, db: Db, now: Date, origin: string | undefined,
  options: DeliveryOptions = {}): Promise<DeliveryResult> {
  if (options.ids && options.ids.length === 0) return { delivered: 0, failed: 0 }
  const rows = await claimLogouts(db, now, options.ids ? { ids: options.ids } : {})
  if (rows.length === 0) return { delivered: 0, failed: 0 }
  const bundles = await loadProvidersByIds(db, [...new Set(rows.map((r) => r.providerId))])
  const outcomes = await Promise.all(rows.map(async (row) => {
    let error: string | null
    try {
      error = await attempt(sender, row, bundles.get(row.providerId), origin, now, options.timeoutMs ?? LOGOUT_TIMEOUT_MS)
    } catch (err) {
      error = `could not build the logout token: ${err instanceof Error ? err.message : String(err)}`
    }
    await recordLogoutAttempt(db, row.id, now, error)
    if (error) sender.log.log('warn', 'back-channel logout failed', { notification: row.id, attempt: row.attempts + 1, error })
    return error === null
  }))
  const delivered = outcomes.filter(Boolean).length
  return { delivered, failed: outcomes.length - delivered }
}
