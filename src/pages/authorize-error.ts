import { MessagePage, type Html } from './layout.ts'

/** authentik `ClientIdError` / `RedirectUriError`: titles and descriptions, verbatim (and ours for `request_uri`). */
export const UNTRUSTED = {
  client_id: { title: 'Client ID Error', message: 'The client identifier (client_id) is missing or invalid.' },
  redirect_uri: {
    title: 'Redirect URI Error',
    message: 'The request fails due to a missing, invalid, or mismatching redirection URI (redirect_uri).',
  },
  // RFC 9101 §6.2 `invalid_request_uri`; there is no redirect URI to trust when the pushed request is not found.
  request_uri: {
    title: 'Request URI Error',
    message: 'The request_uri is invalid, expired or already used (invalid_request_uri). Start again from the application.',
  },
} as const

/** The 400 page when the client or its redirect URI cannot be trusted: never a redirect. */
export function UntrustedRequestPage(props: { kind: keyof typeof UNTRUSTED }): Html {
  return MessagePage(UNTRUSTED[props.kind])
}

/** authentik's policy denial: the user may not use this application. */
export function PermissionDeniedPage(props: { application: string }): Html {
  return MessagePage({ title: 'Permission denied', message: `You are not allowed to access ${props.application}.` })
}

/** A consent form that failed the CSRF check (another site, or an expired page). */
export function ForbiddenFormPage(): Html {
  return MessagePage({ title: 'Request refused',
    message: 'This form was not sent from this site or has expired. Go back, reload the page and try again.' })
}
