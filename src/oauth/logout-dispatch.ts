import type { Db } from '../db/client.ts'
import { purgeExpired, type PurgeResult } from '../db/purge.ts'
import { origin, type AppContext, type Deps } from '../deps.ts'
import { describeError } from '../log.ts'
import { rotateSigningKeys, type RotationRunResult } from './key-rotation-run.ts'
import { deliverLogouts, type DeliveryOptions, type DeliveryResult, type LogoutSender } from './logout-delivery.ts'

/** The runtime's side of sending logout tokens. */
export function senderOf(deps: Deps): LogoutSender {
  return { fetch: deps.fetch, keys: deps.keys, log: deps.log, secretKey: deps.config.secretKey }
}

/**
 * Send the notifications a request just queued after its response (OIDC Back-Channel Logout 1.0 §2.7; the
 * user's answer never waits for an RP): in `waitUntil` on Workers, a promise that is not awaited on Node. On its
 * own database handle, since the request's closes with the response. Whatever fails stays for the scheduled run.
 */
export function sendLogoutsAfterResponse(c: AppContext, ids: readonly string[]): void {
  if (ids.length === 0) return
  const { deps } = c.var
  const from = origin(c)
  const task = (async () => {
    const handle = deps.database.open()
    try {
      await deliverLogouts(senderOf(deps), handle.db, deps.clock.now(), from, { ids })
    } finally {
      await handle.close()
    }
  })().catch((err) => deps.log.log('error', 'back-channel logout delivery failed', describeError(err)))
  try {
    c.executionCtx.waitUntil(task)
  } catch {
    // Node has no execution context: the promise runs on by itself.
  }
}

export interface ScheduledResult {
  purge: PurgeResult
  rotation: RotationRunResult
  logouts: DeliveryResult | null
}

/**
 * The scheduled run (Cron Trigger on Workers, a timer on Node): authentik's `clean_expired_models` (expired
 * sessions queue their logout calls as they go), automatic signing key rotation, then every due back-channel
 * logout notification.
 */
export async function runScheduled(deps: Deps, db: Db, now: Date, origin: string | undefined,
  options: Pick<DeliveryOptions, 'timeoutMs'> & { budgetMs?: number } = {}): Promise<ScheduledResult> {
  const purge = await purgeExpired(db, now, options.budgetMs === undefined ? {} : { budgetMs: options.budgetMs })
  const rotation = await rotateSigningKeys(deps, db, now)
  const logouts = await deliverLogouts(senderOf(deps), db, now, origin,
    options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs })
  return { purge, rotation, logouts }
}
