/**
 * `npm run bench`: throughput and CPU on this machine. (1) `npm start`'s server (src/node.ts on PGlite, a child
 * process) under `--concurrency` parallel clients: req/s, p50 and p99 of client credentials, code exchange and
 * userinfo over `--requests` requests each. (2) CPU per issued token: the app of this process answering client
 * credentials requests (`app.fetch`, no network) against a bare jose ES256 sign in the same process (goal: at
 * most 5x the sign). A benchmark, not a test: it prints figures.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { generateKeyPair as joseKeyPair, SignJWT } from 'jose'
import { formFields, storeCookie } from '../test/support/browser-forms.ts'
import { createTestContext } from '../test/support/app.ts'
import {
  createProviderApp, createUserWithPassword, defaultMappingPks, generateKeyPair, PASSWORD, type AdminApi,
} from '../test/support/fixtures.ts'
import { unusedPort } from '../test/support/http-server.ts'

const { values: args } = parseArgs({ options: {
  requests: { type: 'string', default: '400' }, concurrency: { type: 'string', default: '8' },
} })
const N = Number(args.requests)
const CONCURRENCY = Number(args.concurrency)
const ROOT = fileURLToPath(new URL('..', import.meta.url))
const ADMIN_TOKEN = 'bench-admin-token-0123456789'
const REDIRECT = 'https://rp.bench/callback'
const GRANTS = ['authorization_code', 'refresh_token', 'client_credentials']

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!

/** `N` requests, `CONCURRENCY` at a time: req/s, p50, p99. */
async function load(name: string, send: (i: number) => Promise<Response>): Promise<string> {
  const samples: number[] = []
  let next = 0
  const started = performance.now()
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    for (let i = next++; i < N; i = next++) {
      const t0 = performance.now()
      const res = await send(i)
      await res.arrayBuffer()
      if (res.status !== 200) throw new Error(`${name}: ${res.status}`)
      samples.push(performance.now() - t0)
    }
  }))
  const seconds = (performance.now() - started) / 1000
  return `| ${name} | ${(N / seconds).toFixed(0)} | ${quantile(samples, 0.5).toFixed(1)} | ${quantile(samples, 0.99).toFixed(1)} |`
}

/** Part 1: the server of `npm start` in its own process. */
async function throughput(): Promise<string[]> {
  const dataDir = await mkdtemp(join(tmpdir(), 'edge-oidc-bench-'))
  const port = await unusedPort()
  const base = `http://127.0.0.1:${port}`
  const server = spawn(process.execPath, ['--import', 'tsx', 'src/node.ts'], { cwd: ROOT, stdio: 'ignore',
    env: { ...process.env, PORT: String(port), DATA_DIR: dataDir, ADMIN_TOKEN, PASSWORD_ITERATIONS: '10000' } })
  try {
    for (let i = 0; !(await fetch(`${base}/`).then(() => true, () => false)); i++) {
      if (i > 120) throw new Error('the server did not start within 60 s')
      await new Promise((resolve) => setTimeout(resolve, 500))
    }
    const api: AdminApi = { admin: (method, path, body) => fetch(`${base}/api/v3${path}`, { method,
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
      ...(body !== undefined && { body: JSON.stringify(body) }) }) }
    const key = await generateKeyPair(api, 'bench', { alg: 'ecdsa', key_size: 256 })
    const client = await createProviderApp(api, 'bench', { signing_key: key.pk, grant_types: GRANTS,
      redirect_uris: [{ matching_mode: 'strict', url: REDIRECT }], property_mappings: await defaultMappingPks(api) })
    await createUserWithPassword(api, 'bench-user')
    const cookies = new Map<string, string>()
    const browse = async (path: string, init: RequestInit = {}) => {
      const headers = new Headers(init.headers)
      headers.set('Cookie', [...cookies].map(([k, v]) => `${k}=${v}`).join('; '))
      const res = await fetch(`${base}${path}`, { ...init, headers, redirect: 'manual' })
      for (const line of res.headers.getSetCookie()) storeCookie(cookies, line)
      return res
    }
    const fields = formFields(await (await browse('/login')).text())
    await browse('/login', { method: 'POST', headers: { Origin: base },
      body: new URLSearchParams({ ...fields, username: 'bench-user', password: PASSWORD }) })
    const query = new URLSearchParams({ client_id: client.client_id, redirect_uri: REDIRECT, response_type: 'code',
      scope: 'openid profile email' })
    const codes: string[] = []
    for (let i = 0; i <= N; i++) {
      codes.push(new URL((await browse(`/application/o/authorize/?${query}`)).headers.get('Location')!).searchParams.get('code')!)
    }
    const basic = `Basic ${btoa(`${client.client_id}:${client.client_secret}`)}`
    const token = (params: Record<string, string>) => fetch(`${base}/application/o/token/`, { method: 'POST',
      headers: { Authorization: basic }, body: new URLSearchParams(params) })
    const rows: string[] = []
    const cc = await token({ grant_type: 'client_credentials', client_secret: client.client_secret, scope: 'openid' })
    if (cc.status === 200) {
      rows.push(await load('client credentials', () => token({ grant_type: 'client_credentials',
        client_secret: client.client_secret, scope: 'openid' })))
    } else rows.push(`| client credentials | not served (${cc.status}) | | |`)
    rows.push(await load('code exchange', (i) => token({ grant_type: 'authorization_code', code: codes[i]!,
      redirect_uri: REDIRECT })))
    const { access_token: bearer } = await (await token({ grant_type: 'authorization_code', code: codes[N]!,
      redirect_uri: REDIRECT })).json() as { access_token: string }
    rows.push(await load('userinfo', () => fetch(`${base}/application/o/userinfo/`, {
      headers: { Authorization: `Bearer ${bearer}` } })))
    return rows
  } finally {
    server.kill('SIGTERM')
    await rm(dataDir, { recursive: true, force: true })
  }
}

/** Part 2: CPU per token issued by the app, against a bare ES256 sign, both in this process. */
async function cpuPerToken(): Promise<string> {
  const t = await createTestContext()
  t.clock.set(new Date())
  try {
    const key = await generateKeyPair(t, 'cpu', { alg: 'ecdsa', key_size: 256 })
    const client = await createProviderApp(t, 'cpu', { signing_key: key.pk, grant_types: GRANTS,
      property_mappings: await defaultMappingPks(t) })
    const request = () => t.request('/application/o/token/', { method: 'POST', body: new URLSearchParams({
      grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret,
      scope: 'openid' }) })
    const warm = await request()
    if (warm.status !== 200) return `CPU per token: client credentials not served (${warm.status})`
    for (let i = 0; i < 20; i++) await (await request()).arrayBuffer()
    const runs = Math.min(N, 300)
    let cpu = process.cpuUsage()
    for (let i = 0; i < runs; i++) await (await request()).arrayBuffer()
    cpu = process.cpuUsage(cpu)
    // Each answer carries two signed JWTs (access token and ID token).
    const perToken = (cpu.user + cpu.system) / runs / 2
    const { privateKey } = await joseKeyPair('ES256')
    const payload = { iss: 'https://bench', sub: 'x'.repeat(64), aud: client.client_id, scope: 'openid' }
    for (let i = 0; i < 50; i++) await new SignJWT(payload).setProtectedHeader({ alg: 'ES256' }).sign(privateKey)
    let sign = process.cpuUsage()
    for (let i = 0; i < runs; i++) await new SignJWT(payload).setProtectedHeader({ alg: 'ES256' }).sign(privateKey)
    sign = process.cpuUsage(sign)
    const perSign = (sign.user + sign.system) / runs
    return `CPU per issued token: ${(perToken / 1000).toFixed(3)} ms; bare jose ES256 sign: ${(perSign / 1000).toFixed(3)} ms;`
      + ` ratio ${(perToken / perSign).toFixed(1)}x (goal: at most 5x) — the app's CPU includes PGlite's work`
  } finally {
    await t.close()
  }
}

async function main(): Promise<void> {
  const rows = await throughput()
  console.log(`\nbench: npm start's server (PGlite), ${N} requests each, ${CONCURRENCY} at a time\n`)
  console.log('| request | req/s | p50 ms | p99 ms |\n|---|---|---|---|')
  for (const row of rows) console.log(row)
  console.log(`\n${await cpuPerToken()}`)
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
