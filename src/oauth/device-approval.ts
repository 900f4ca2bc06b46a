import type { Db } from '../db/client.ts'
import type { ConsentClause } from '../db/codes.ts'
import { approveDevice, denyDevice, type PendingDevice } from '../db/device-approval.ts'
import type { ActiveSession } from '../db/sessions.ts'
import { IMPLICIT_CONSENT } from './authorize-flow.ts'

/** What the user pressed on the device consent page, if that page was shown. */
export type ConsentAnswer = 'allow' | 'deny' | null

/** Where the device's authorization stands once the user has entered its code. */
export type DeviceOutcome =
  /** The application is bound to a group the user is not in: "Permission denied". */
  | 'forbidden'
  /** The user has not pressed Allow yet: show the confirmation (the consent page, naming the device). */
  | 'consent'
  | 'approved'
  | 'denied'
  /** No longer pending (approved or refused meanwhile, or expired): as an invalid code. */
  | 'gone'

/**
 * authentik §4.6, the user side after the code: the application's group check, then the confirmation. Safer than
 * authentik, whose implicit-consent flow (and a remembered consent) approves as soon as the code is entered: the
 * user always sees which application asks, and that it is a device, and presses Allow before anything is granted
 * (RFC 8628 §5.4, a `verification_uri_complete` link is otherwise a one-click phishing lure). An allow is then
 * remembered per user, application and scope set for an explicit-consent provider, as in the code flow.
 */
export async function decideDevice(db: Db, options: {
  device: PendingDevice; session: ActiveSession; answer: ConsentAnswer; now: Date; clientIp: string | null
}): Promise<DeviceOutcome> {
  const { device, session, answer, now } = options
  const { application } = device
  if (application.groupId !== null && !session.user.groups.some((g) => g.id === application.groupId)) return 'forbidden'
  if (answer === 'deny') return (await denyDevice(db, device.id, session.user.id, now)) ? 'denied' : 'gone'
  if (answer !== 'allow') return 'consent'

  const implicit = device.authorizationFlow === IMPLICIT_CONSENT
  const subject = { userId: session.user.id, applicationId: application.id, scopes: device.scopes }
  const consent: ConsentClause = implicit ? { kind: 'none' } : { kind: 'grant', subject, expires: null }
  const approved = await approveDevice(db, {
    tokenId: device.id, userId: session.user.id, sessionId: session.id, authTime: session.loginTime, consent, now,
    event: {
      action: 'authorize_application',
      user: { pk: session.user.id, username: session.user.username },
      clientId: device.clientId,
      context: {
        authorized_application: { pk: application.id, name: application.name, slug: application.slug },
        scopes: device.scopes.join(' '), flow: 'device',
      },
      ...(options.clientIp !== null && { clientIp: options.clientIp }),
    },
  })
  return approved ? 'approved' : 'gone'
}
