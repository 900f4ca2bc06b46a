import { html } from 'hono/html'
import { Layout, type Html } from './layout.ts'

/** A browser's 404: what happened and the way back. */
export function NotFoundPage(): Html {
  return Layout({ title: 'Page not found', children: html`<h1>Page not found</h1>\
<p>There is no page at this address.</p><p><a href="/">Go to the start page</a></p>` })
}
