import { html } from 'hono/html'
import { hidden, Layout, type Html } from './layout.ts'

/** What the `openid` scope gives an application (OIDC Core §3.1.2.1 / §2: the ID token's `sub` and sign-in time). */
export const OPENID_MEANS = 'Your identity: an identifier for your account, and when you signed in'

/** The consent form's fields that are not part of the authorization request. */
export const CONSENT_FIELDS = { action: 'action', user: 'consent_user', endpoint: 'consent_endpoint' } as const

/**
 * The consent page (DESIGN.md selectors: `name="action"` buttons `allow` / `deny`). It posts the original
 * authorization request back in hidden fields; `/consent` validates all of it again.
 */
export function ConsentPage(props: {
  application: string
  username: string
  /** The requested scope mappings' descriptions, empty ones left out. */
  permissions: string[]
  /** Whether `openid` is among the granted scopes (its meaning is listed first). */
  openid: boolean
  /** The request's parameters, then the CSRF token, the user the page was shown to and the endpoint used. */
  hidden: Array<[string, string]>
  /** Where the answer goes: `/consent`, or `/device` for a device's authorization. */
  action?: string
  /** RFC 8628 §5.4: a device asks, with this user code: the page says so, so that a lured user can tell. */
  device?: { code: string }
}): Html {
  const permissions = [...(props.openid ? [OPENID_MEANS] : []), ...props.permissions]
  const asking = permissions.length > 0
    ? html`<p>${props.application} is asking for:</p><ul>${permissions.map((p) => html`<li>${p}</li>`)}</ul>`
    : html`<p>${props.application} is asking for access to your account.</p>`
  const heading = props.device
    ? html`<h1>A device wants to sign in to ${props.application}.</h1>\
<p>Allow only if you started this on your own device and it shows the code <strong>${props.device.code}</strong>.</p>`
    : html`<h1>You&#39;re about to sign in to ${props.application}.</h1>`
  return Layout({ title: `Authorize ${props.application}`, children: html`\
${heading}<p class="muted">Signed in as ${props.username}.</p>${asking}\
<form method="post" action="${props.action ?? '/consent'}">${props.hidden.map(([name, value]) => hidden(name, value))}\
<div class="actions"><button type="submit" name="${CONSENT_FIELDS.action}" value="allow">Allow</button>\
<button type="submit" name="${CONSENT_FIELDS.action}" value="deny" class="secondary">Deny</button></div></form>` })
}
