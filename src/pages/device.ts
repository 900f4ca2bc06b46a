import { html } from 'hono/html'
import { hidden, Layout, type Html } from './layout.ts'

/** The device page's fields (DESIGN.md selectors: input `name="code"`, one submit button). */
export const DEVICE_FIELDS = { code: 'code' } as const

/** RFC 8628 §3.3: where the user enters the code their device shows (`?code=` pre-fills it). */
export function DeviceEntryPage(props: { username: string; code: string; csrfToken: string; error?: string | undefined }):
  Html {
  return Layout({ title: 'Connect a device', children: html`<h1>Connect a device</h1>\
${props.error && html`<p class="error" role="alert">${props.error}</p>`}\
<p class="muted">Signed in as ${props.username}. Enter the code your device shows.</p>\
<form method="post" action="/device">${hidden('csrf_token', props.csrfToken)}<label for="code">Code</label>\
<input id="code" name="${DEVICE_FIELDS.code}" type="text" autocomplete="off" autocapitalize="characters" \
spellcheck="false" required autofocus value="${props.code}"><button type="submit">Continue</button></form>` })
}

/** After the user answered: the device picks its tokens up (or its refusal) on its next poll. */
export function DeviceDonePage(props: { application: string; approved: boolean }): Html {
  const title = props.approved ? 'Device connected' : 'Device not connected'
  const message = props.approved
    ? `You have signed in to ${props.application}. You may return to your device.`
    : `You refused access to ${props.application}. You may return to your device.`
  return Layout({ title, children: html`<h1>${title}</h1><p>${message}</p>` })
}
