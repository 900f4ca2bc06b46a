import type { HonoRequest } from 'hono'
import { OAuthError } from './errors.ts'

/** The realm of our bearer challenges (RFC 6750 §3). */
export const BEARER_REALM = 'edge-oidc'

/** RFC 6750 §3.1: a request without any credentials gets a bare challenge, without error attributes. */
export class MissingBearerToken extends OAuthError {
  constructor() {
    super('invalid_token', undefined, 401, 'no bearer token sent')
  }
}

const BEARER_HEADER = /^[Bb]earer\s.+/

/**
 * RFC 6750 §2.1 then §2.2 (authentik `extract_access_token`): the `Authorization: Bearer` header, else the
 * `access_token` field of a form-encoded POST body. Safer than authentik, which also reads `?access_token=`:
 * the security BCP (RFC 9700) and OAuth 2.1 allow no bearer tokens in query strings (RFC 6750 §5.3: they leak
 * into logs, history and Referer), so a query token is refused, unless a header or body token was sent too.
 * Throws `MissingBearerToken` when there is no token at all.
 */
export async function bearerToken(req: HonoRequest): Promise<string> {
  const header = req.header('Authorization') ?? ''
  if (BEARER_HEADER.test(header)) {
    // authentik takes the second whitespace-separated word, so `Bearer  abc` means `abc`.
    const token = header.trim().split(/\s+/)[1]
    if (token) return token
  }
  if (req.method === 'POST') {
    const form = await req.parseBody().catch(() => ({}) as Record<string, unknown>)
    const token = form.access_token
    if (typeof token === 'string' && token !== '') return token
  }
  if (req.query('access_token') !== undefined) {
    throw new OAuthError('invalid_token', 'Access tokens are not accepted in the query string', 401)
  }
  throw new MissingBearerToken()
}

/** RFC 6750 §3: `error_description` may only hold %x20-21 / %x23-5B / %x5D-7E, so quotes and backslashes go. */
export function quotable(text: string): string {
  return text.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, '')
}

/** The status each RFC 6750 §3.1 code answers with. */
const STATUS: Partial<Record<OAuthError['code'], 401 | 403 | 400>> = {
  invalid_token: 401,
  insufficient_scope: 403,
  invalid_request: 400,
}

/**
 * The one renderer of bearer-protected endpoint errors (RFC 6750 §3): an empty body and a `WWW-Authenticate`
 * challenge. authentik omits the `Bearer` scheme (`error="..."`); we send the RFC form.
 */
export function bearerErrorResponse(error: OAuthError, headers: Record<string, string> = {}): Response {
  const challenge = error instanceof MissingBearerToken
    ? `Bearer realm="${BEARER_REALM}"`
    : `Bearer error="${error.code}", error_description="${quotable(error.description)}"`
  return new Response(null, {
    status: STATUS[error.code] ?? 400,
    headers: { ...headers, 'WWW-Authenticate': challenge, 'Cache-Control': 'no-store', Pragma: 'no-cache' },
  })
}
