import { html } from 'hono/html'
import { hidden, Layout, type Html } from './layout.ts'

/**
 * Asks before ending the session (stable selector: the button `name="action" value="logout"`; DESIGN.md). `action`
 * and `fields` let the end-session endpoint carry its parameters through the confirmation.
 */
export function LogoutConfirmPage(props: { username: string; csrfToken: string; action?: string; appName?: string
  fields?: Record<string, string> }): Html {
  return Layout({ title: 'Sign out of edge-oidc?', children: html`<h1>Sign out of edge-oidc?</h1>\
<p>You are signed in as <strong>${props.username}</strong>.</p>\
${props.appName && html`<p><strong>${props.appName}</strong> asks to sign you out.</p>`}\
<form method="post" action="${props.action ?? '/logout'}">${hidden('csrf_token', props.csrfToken)}\
${Object.entries(props.fields ?? {}).map(([name, value]) => hidden(name, value))}\
<div class="actions"><button type="submit" name="action" value="logout">Sign out</button></div></form>` })
}

/** How long the front-channel page waits for its iframes before it goes on (OIDC Front-Channel Logout 1.0 §3). */
export const FRONTCHANNEL_WAIT_SECONDS = 2

/**
 * Shown after signing out, and to visitors without a session. `frames`: the front-channel logout URLs, loaded in
 * hidden iframes; `continueTo`: the accepted post-logout redirect, followed after a bounded wait (no script needed).
 */
export function SignedOutPage(props: { frames?: readonly string[]; continueTo?: string | null } = {}): Html {
  const frames = props.frames ?? []
  const next = props.continueTo ?? null
  const refresh = frames.length > 0 && next
    ? html`<meta http-equiv="refresh" content="${`${FRONTCHANNEL_WAIT_SECONDS};url=${next}`}"/>` : undefined
  return Layout({ title: 'Signed out', head: refresh, children: html`<h1>You are signed out.</h1>\
${next ? html`<p><a href="${next}">Continue</a></p>` : html`<p class="muted">You can close this window.</p>`}\
${frames.map((src) => html`<iframe src="${src}" hidden="" title="Signing out of an application"></iframe>`)}` })
}
