import type { Handler } from 'hono'
import type { AppEnv } from '../deps.ts'
import { HomePage } from '../pages/home.ts'
import { protectPage } from './page-headers.ts'
import { currentSession } from './session.ts'

/** `/`: where sign-in lands without a `next`: who is signed in, and the way out. */
export const home: Handler<AppEnv> = async (c) => {
  const session = await currentSession(c)
  protectPage(c)
  return c.html(HomePage({ username: session?.user.username ?? null }))
}
