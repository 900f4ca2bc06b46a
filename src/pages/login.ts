import { html } from 'hono/html'
import { hidden, Layout, type Html } from './layout.ts'

export interface LoginPageProps {
  /** The application the user is signing in to, when the sign-in serves an authorization request. */
  appName: string | null
  username: string
  /** A safe relative URL to return to, or '' for none. */
  next: string
  csrfToken: string
  error?: string | undefined
}

/** The sign-in form (stable selectors: `username`, `password`, one submit button; DESIGN.md). */
export function LoginPage(props: LoginPageProps): Html {
  const title = props.appName ? `Sign in to ${props.appName}` : 'Sign in'
  const focusUser = props.username ? '' : ' autofocus'
  const focusPassword = props.username ? ' autofocus' : ''
  return Layout({ title, children: html`<h1>${title}</h1>\
${props.error && html`<p class="error" role="alert">${props.error}</p>`}\
<form method="post" action="/login">${hidden('csrf_token', props.csrfToken)}${props.next && hidden('next', props.next)}\
<label for="username">Username</label><input id="username" name="username" type="text" autocomplete="username" \
autocapitalize="none" spellcheck="false" required${focusUser} value="${props.username}">\
<label for="password">Password</label><input id="password" name="password" type="password" \
autocomplete="current-password" required${focusPassword}><button type="submit">Sign in</button></form>` })
}
