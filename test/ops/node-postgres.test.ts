import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { PURGE_LOCK } from '../../src/db/node-store.ts'
import { formFields } from '../support/browser-forms.ts'
import { startTestPostgres, type TestPostgres } from '../support/postgres.ts'
import { freePort, listening, ROOT, start, stopAll, type Started } from './node-process.ts'

const SECRET_KEY = 'ops-node-postgres-secret-key-0123456789abcdef'
const ADMIN_TOKEN = 'ops-node-postgres-admin-token'
let postgres: TestPostgres
let url: string
let dataDir: string
let holder: pg.Client

beforeAll(async () => {
  postgres = await startTestPostgres()
  // A database of its own, unmigrated: the instances apply the migrations themselves.
  const admin = new pg.Client({ connectionString: postgres.databaseUrl })
  await admin.connect()
  await admin.query('create database ops_node_entry')
  await admin.end()
  const u = new URL(postgres.databaseUrl)
  u.pathname = '/ops_node_entry'
  url = u.href
  dataDir = await mkdtemp(join(tmpdir(), 'edge-oidc-pg-entry-'))
  holder = new pg.Client({ connectionString: url })
  await holder.connect()
}, 120_000)
afterEach(stopAll)
afterAll(async () => {
  await holder?.end()
  await postgres?.stop()
  await rm(dataDir, { recursive: true, force: true })
})

const logLines = (s: Started) => s.stdout().split('\n').filter((l) => l.startsWith('{'))
  .map((l) => JSON.parse(l) as Record<string, unknown>)
const lines = (s: Started, msg: string) => logLines(s).filter((l) => l.msg === msg)

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** The cookies of a response as one `Cookie` header value. */
const cookiesOf = (res: Response) => res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ')

describe('npm start on a shared PostgreSQL (DATABASE_URL), two instances', { timeout: 180_000 }, () => {
  it('migrates once, purges in one instance at a time, and shares every state through the database', async () => {
    // The test holds the purge lock as a third instance would while it purges.
    await holder.query('select pg_advisory_lock($1)', [PURGE_LOCK.toString()])
    const env = { DATABASE_URL: url, SECRET_KEY, ADMIN_TOKEN, PURGE_INTERVAL_SECONDS: '1', DATA_DIR: join(dataDir, 'unused') }
    const [portA, portB] = [await freePort(), await freePort()]
    const a = start('npm', env, portA)
    const b = start('npm', env, portB)
    await Promise.all([listening(a, 120_000), listening(b, 120_000)])

    const migrations = (await readdir(join(ROOT, 'drizzle'))).filter((f) => f.endsWith('.sql'))
    const applied = await holder.query('select count(*)::int as n from drizzle.__drizzle_migrations')
    expect(applied.rows[0].n).toBe(migrations.length)
    expect(a.stdout()).not.toContain(ADMIN_TOKEN)
    expect(a.stdout()).not.toContain('client_secret')

    // While another instance holds the lock, neither purges.
    await until('both to skip a purge', () => lines(a, 'purge skipped: another instance is purging').length >= 2
      && lines(b, 'purge skipped: another instance is purging').length >= 2)
    expect([...lines(a, 'purged expired rows'), ...lines(b, 'purged expired rows')]).toEqual([])
    await holder.query(`insert into seen_jtis (key, expires, expiring) values ('ops-expired', now() - interval '1 minute', true)`)
    await holder.query('select pg_advisory_unlock($1)', [PURGE_LOCK.toString()])
    await until('the expired row to be purged', async () =>
      (await holder.query(`select 1 from seen_jtis where key = 'ops-expired'`)).rowCount === 0)
    // The line comes after the run's logout retries, so it may follow the delete by a moment.
    await until('an instance to log its purge', () =>
      lines(a, 'purged expired rows').length + lines(b, 'purged expired rows').length > 0)

    // A user made through A signs in through B (CSRF token and cookie of B's page), and A knows the session.
    const base = (port: number) => `http://127.0.0.1:${port}`
    const adminHeaders = { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' }
    const user = await fetch(`${base(portA)}/api/v3/core/users/`, { method: 'POST', headers: adminHeaders,
      body: JSON.stringify({ username: 'shared' }) })
    expect(user.status).toBe(201)
    const { pk } = (await user.json()) as { pk: number }
    expect((await fetch(`${base(portA)}/api/v3/core/users/${pk}/set_password/`, { method: 'POST', headers: adminHeaders,
      body: JSON.stringify({ password: 'a long shared password 1' }) })).status).toBe(204)
    const page = await fetch(`${base(portB)}/login`)
    const fields = formFields(await page.text())
    const signedIn = await fetch(`${base(portB)}/login`, { method: 'POST', redirect: 'manual', headers: {
      'Content-Type': 'application/x-www-form-urlencoded', Origin: base(portB), Cookie: cookiesOf(page) },
    body: new URLSearchParams({ ...fields, username: 'shared', password: 'a long shared password 1' }) })
    expect(signedIn.status).toBe(303)
    const home = await fetch(`${base(portA)}/`, { headers: { Cookie: cookiesOf(signedIn) } })
    expect(await home.text()).toContain('signed in as <strong>shared</strong>')
    const session = await holder.query('select last_ip from authenticated_sessions')
    expect(session.rows.map((r) => r.last_ip)).toEqual(['127.0.0.1'])

    a.child.kill('SIGTERM')
    b.child.kill('SIGTERM')
    expect((await a.exited).code).toBe(0)
    expect((await b.exited).code).toBe(0)
  })

  it('stops with one line when SECRET_KEY is missing: instances must share it', async () => {
    const s = start('node', { DATABASE_URL: url, DATA_DIR: join(dataDir, 'unused') }, await freePort())
    expect((await s.exited).code).toBe(1)
    expect(s.stderr().trim()).toBe('invalid configuration: SECRET_KEY: is required with DATABASE_URL (every instance shares it)')
  })
})
