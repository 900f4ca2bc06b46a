import { expect } from 'vitest'
import { sha256Hex } from '../../../src/crypto/hash.ts'
import { randomId } from '../../../src/crypto/random.ts'
import { deviceTokens, type DeviceTokenStatus } from '../../../src/db/schema.ts'
import { newUserCode } from '../../../src/oauth/user-code.ts'
import type { TestContext } from '../../support/app.ts'
import { json } from '../../support/fixtures.ts'
import { AUTH_TIME, MINUTE, type Client, type RequestOptions } from '../token/support.ts'

export const DEVICE = '/application/o/device/'
export const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'
/** A displayed user code: two groups of four consonants (RFC 8628 §6.1). */
export const USER_CODE = /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/

/** A device authorization request (RFC 8628 §3.1), client_secret_post unless `options.basic`. */
export function deviceRequest(t: TestContext, params: Record<string, string>, options: RequestOptions = {}) {
  return t.request(DEVICE, {
    method: 'POST',
    headers: { ...(options.basic !== undefined && { Authorization: `Basic ${btoa(options.basic)}` }), ...options.headers },
    body: new URLSearchParams(params),
  })
}

export interface DeviceAnswer {
  device_code: string
  verification_uri: string
  verification_uri_complete: string
  user_code: string
  expires_in: number
  interval: number
}

/** A 200 device authorization answer, never cached. */
export async function authorized(res: Response): Promise<DeviceAnswer> {
  expect(res.status, await res.clone().text()).toBe(200)
  expect(res.headers.get('Cache-Control')).toBe('no-store')
  expect(res.headers.get('Pragma')).toBe('no-cache')
  return json<DeviceAnswer>(res)
}

export interface DeviceOptions {
  status?: DeviceTokenStatus
  userPk?: number | null
  scope?: string
  sessionId?: string | null
  expiresInMs?: number
  lastPolled?: Date | null
}

/** A device token as the endpoint and the page leave it: only the SHA-256 of the device code stored. */
export async function insertDevice(t: TestContext, client: Client, options: DeviceOptions = {}) {
  const deviceCode = randomId(128)
  const userCode = newUserCode()
  const now = t.clock.now()
  const approved = options.status === 'approved'
  const [row] = await t.db.insert(deviceTokens).values({
    deviceCodeHash: await sha256Hex(deviceCode), userCode, providerId: client.pk, userId: options.userPk ?? null,
    sessionId: options.sessionId ?? null, status: options.status ?? 'pending', authTime: approved ? AUTH_TIME : null,
    lastPolled: options.lastPolled ?? null, scope: options.scope ?? 'openid email profile',
    expires: new Date(now.getTime() + (options.expiresInMs ?? MINUTE)), created: now,
  }).returning({ id: deviceTokens.id, grantId: deviceTokens.grantId })
  return { deviceCode, userCode, id: row!.id, grantId: row!.grantId }
}

/** Form parameters of a device poll by a confidential client (client_secret_post). */
export function pollParams(client: Client, deviceCode: string, extra: Record<string, string> = {}) {
  return { grant_type: DEVICE_GRANT, device_code: deviceCode, client_id: client.client_id,
    client_secret: client.client_secret, ...extra }
}
