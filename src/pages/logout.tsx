import { Layout } from './layout.tsx'

/** Asks before ending the session (stable selector: the button `name="action" value="logout"`; DESIGN.md). */
export function LogoutConfirmPage(props: { username: string; csrfToken: string }) {
  return (
    <Layout title="Sign out of edge-oidc?">
      <h1>Sign out of edge-oidc?</h1>
      <p>You are signed in as <strong>{props.username}</strong>.</p>
      <form method="post" action="/logout">
        <input type="hidden" name="csrf_token" value={props.csrfToken} />
        <div class="actions">
          <button type="submit" name="action" value="logout">Sign out</button>
        </div>
      </form>
    </Layout>
  )
}

/** Shown after signing out, and to visitors without a session. */
export function SignedOutPage() {
  return (
    <Layout title="Signed out">
      <h1>You are signed out.</h1>
      <p class="muted">You can close this window.</p>
    </Layout>
  )
}
