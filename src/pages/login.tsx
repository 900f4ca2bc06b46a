import { Layout } from './layout.tsx'

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
export function LoginPage(props: LoginPageProps) {
  const title = props.appName ? `Sign in to ${props.appName}` : 'Sign in'
  return (
    <Layout title={title}>
      <h1>{title}</h1>
      {props.error && <p class="error" role="alert">{props.error}</p>}
      <form method="post" action="/login">
        <input type="hidden" name="csrf_token" value={props.csrfToken} />
        {props.next && <input type="hidden" name="next" value={props.next} />}
        <label for="username">Username</label>
        <input id="username" name="username" type="text" autocomplete="username" autocapitalize="none"
          spellcheck={false} required autofocus={!props.username} value={props.username} />
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required
          autofocus={Boolean(props.username)} />
        <button type="submit">Sign in</button>
      </form>
    </Layout>
  )
}
