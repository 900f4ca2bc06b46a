import { Layout } from './layout.tsx'

/** The provider's own page: applications send their users to the authorization endpoint instead. */
export function HomePage(props: { username: string | null }) {
  return (
    <Layout title="edge-oidc">
      <h1>edge-oidc</h1>
      {props.username === null
        ? (
          <>
            <p>You are not signed in. Applications sign you in when they need to.</p>
            <p><a href="/login">Sign in</a></p>
          </>
        )
        : (
          <>
            <p>You are signed in as <strong>{props.username}</strong>.</p>
            <p><a href="/logout">Sign out</a></p>
          </>
        )}
    </Layout>
  )
}
