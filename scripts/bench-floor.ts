/**
 * `npm run bench`'s floor: a server in its own process that does only what a token request cannot do without,
 * through the same stack as `npm start`'s on PostgreSQL (@hono/node-server, hono, the `pg` pool): it reads the
 * form, sends `FLOOR_STATEMENTS` statements `select 1` one after the other (2 unless given: today's token requests;
 * 1: the one-statement floor, what a token request decided in one statement costs) and signs two small JWTs with
 * ES256 (jose), then answers them as JSON. Started by scripts/bench.ts with `PORT`, `DATABASE_URL` and
 * `FLOOR_STATEMENTS`.
 */
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { generateKeyPair, SignJWT } from 'jose'
import pg from 'pg'

const STATEMENTS = Number(process.env.FLOOR_STATEMENTS ?? '2')
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 })
const { privateKey } = await generateKeyPair('ES256')
const sign = (payload: Record<string, unknown>) =>
  new SignJWT(payload).setProtectedHeader({ alg: 'ES256', kid: 'floor' }).sign(privateKey)

const app = new Hono()
app.get('/', (c) => c.text('ok'))
app.post('/token', async (c) => {
  // As src/routes/form.ts reads a urlencoded form.
  const form = Object.fromEntries(new URLSearchParams(await c.req.text()))
  for (let i = 0; i < STATEMENTS; i++) await pool.query('select 1')
  const claims = { iss: 'https://bench', sub: String(form.client_id ?? ''), aud: 'a'.repeat(40), scope: 'openid' }
  const [accessToken, idToken] = await Promise.all([sign(claims), sign({ ...claims, azp: 'a'.repeat(40) })])
  c.header('Cache-Control', 'no-store')
  return c.json({ access_token: accessToken, id_token: idToken, token_type: 'Bearer', expires_in: 300 })
})
serve({ fetch: app.fetch, port: Number(process.env.PORT), hostname: '127.0.0.1' })
