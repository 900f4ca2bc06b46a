import type { Handler } from 'hono'
import type { AppEnv } from '../deps.ts'

/** A 16x16 ICO holding one PNG (a blue square with a white dot), so browsers stop asking with a 404. */
const ICON = Uint8Array.from(atob('AAABAAEAEBAAAAEAIABeAAAAFgAAAIlQTkcNChoKAAAADUlIRFIAAAAQAAAAEAgGAAAAH/P/YQAAACVJREFUeNpjYKAGUE1+/Z8cPNwNQAckGYALjCQDKA7EkZgSKQEA2hQQp4yeu7sAAAAASUVORK5CYII='), (ch) => ch.charCodeAt(0))

/** `/favicon.ico`: the same bytes for everyone, cacheable for a day. */
export const favicon: Handler<AppEnv> = (c) => {
  c.header('Cache-Control', 'public, max-age=86400')
  return c.body(ICON, 200, { 'Content-Type': 'image/x-icon' })
}
