import { Layout } from './layout.tsx'

/** The consent form's fields that are not part of the authorization request. */
export const CONSENT_FIELDS = { action: 'action', user: 'consent_user', endpoint: 'consent_endpoint' } as const

/**
 * The consent page (DESIGN.md selectors: `name="action"` buttons `allow` / `deny`). It posts the original
 * authorization request back in hidden fields; `/consent` validates all of it again.
 */
export function ConsentPage(props: {
  application: string
  username: string
  /** The requested scope mappings' descriptions, empty ones left out. */
  permissions: string[]
  /** The request's parameters, then the CSRF token, the user the page was shown to and the endpoint used. */
  hidden: Array<[string, string]>
  /** Where the answer goes: `/consent`, or `/device` for a device's authorization. */
  action?: string
}) {
  return (
    <Layout title={`Authorize ${props.application}`}>
      <h1>You're about to sign into {props.application}.</h1>
      <p class="muted">Signed in as {props.username}.</p>
      {props.permissions.length > 0 ? (
        <>
          <p>{props.application} is asking for:</p>
          <ul>{props.permissions.map((p) => <li>{p}</li>)}</ul>
        </>
      ) : <p>{props.application} is asking to know who you are.</p>}
      <form method="post" action={props.action ?? '/consent'}>
        {props.hidden.map(([name, value]) => <input type="hidden" name={name} value={value} />)}
        <div class="actions">
          <button type="submit" name={CONSENT_FIELDS.action} value="allow">Allow</button>
          <button type="submit" name={CONSENT_FIELDS.action} value="deny" class="secondary">Deny</button>
        </div>
      </form>
    </Layout>
  )
}
