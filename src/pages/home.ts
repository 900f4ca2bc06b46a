import { html } from 'hono/html'
import { Layout, type Html } from './layout.ts'

/** The provider's own page: applications send their users to the authorization endpoint instead. */
export function HomePage(props: { username: string | null }): Html {
  const body = props.username === null
    ? html`<p>You are not signed in. Applications sign you in when they need to.</p><p><a href="/login">Sign in</a></p>`
    : html`<p>You are signed in as <strong>${props.username}</strong>.</p><p><a href="/logout">Sign out</a></p>`
  return Layout({ title: 'edge-oidc', children: html`<h1>edge-oidc</h1>${body}` })
}
