import type { EndedSession } from '../db/sessions.ts'
import { origin, type AppContext } from '../deps.ts'
import { frameSources, frontchannelUrl } from '../oauth/end-session.ts'
import { SignedOutPage } from '../pages/logout.ts'
import { PAGE_CSP, protectPage } from './page-headers.ts'

/**
 * The signed-out answer (OIDC Front-Channel Logout 1.0 §3 and RP-Initiated Logout 1.0 §3): the front-channel
 * iframes of the ended session, if any, then the accepted redirect (302, or 303 after a POST); else the page.
 */
export function signedOut(c: AppContext, ended: EndedSession | null, redirect: string | null): Response | Promise<Response> {
  const frames = ended ? ended.frontchannel.flatMap((p) => frontchannelUrl(p, origin(c), ended.sessionKeyHash) ?? []) : []
  if (frames.length === 0 && redirect) {
    c.header('Cache-Control', 'no-store')
    return c.redirect(redirect, c.req.method === 'POST' ? 303 : 302)
  }
  protectPage(c, frames.length ? `${PAGE_CSP}; frame-src ${frameSources(frames)}` : PAGE_CSP)
  return c.html(SignedOutPage({ frames, continueTo: redirect }))
}

