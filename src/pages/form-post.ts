import { html, raw } from 'hono/html'
import { hidden, Layout, type Html } from './layout.ts'

/**
 * OAuth 2.0 Form Post Response Mode §2: the response parameters as hidden fields, posted to the client by a
 * one-line script (allowed by the page's CSP nonce) or, without JavaScript, by the visible button.
 */
export function FormPostPage(props: { application: string; action: string; fields: Array<[string, string]>; nonce: string }):
  Html {
  return Layout({ title: `Redirecting to ${props.application}...`, children: html`\
<h1>Redirecting to ${props.application}...</h1><form method="post" action="${props.action}">\
${props.fields.map(([name, value]) => hidden(name, value))}<button type="submit">Continue</button></form>\
<script nonce="${props.nonce}">${raw('document.forms[0].submit()')}</script>` })
}
