import { html } from 'hono/html'
import { Layout, type Html } from './layout.ts'

/** Whole minutes (at least one) in a `Retry-After` of `seconds` (RFC 9110 §10.2.3), as a phrase. */
export function minutesPhrase(seconds: number): string {
  const minutes = Math.max(1, Math.ceil(seconds / 60))
  return minutes === 1 ? '1 minute' : `${minutes} minutes`
}

/**
 * The 429 page of the sign-in and device pages (RFC 6585 §4): what was refused, when to try again (the same
 * time as the `Retry-After` header, in minutes) and a link back to the form.
 */
export function TooManyAttemptsPage(props: { message: string; retryAfter: number; back: string }): Html {
  return Layout({ title: 'Too many attempts', children: html`<h1>Too many attempts</h1>\
<p>${props.message} Try again in ${minutesPhrase(props.retryAfter)}.</p><p><a href="${props.back}">Back</a></p>` })
}
