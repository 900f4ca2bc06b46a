import { Layout } from './layout.tsx'

/** A browser's 404: what happened and the way back. */
export function NotFoundPage() {
  return (
    <Layout title="Page not found">
      <h1>Page not found</h1>
      <p>There is no page at this address.</p>
      <p><a href="/">Go to the start page</a></p>
    </Layout>
  )
}
