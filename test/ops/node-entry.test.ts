import { request } from 'node:http'
import { createServer, type Server } from 'node:net'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { formFields } from '../support/browser-forms.ts'
import { accepts, freePort, listening, start, stopAll, type Started } from './node-process.ts'

let dataDir: string
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'edge-oidc-entry-'))
})
afterEach(stopAll)
afterAll(() => rm(dataDir, { recursive: true, force: true }))

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

function stoppedLines(s: Started): Array<Record<string, unknown>> {
  return s.stdout().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.msg === 'stopped')
}

describe('npm start: stopping', { timeout: 120_000 }, () => {
  it('on SIGTERM stops accepting, finishes the request in flight, closes PGlite, logs one line and exits 0', async () => {
    const port = await freePort()
    const s = start('node', { DATA_DIR: dataDir }, port)
    await listening(s)
    const body = 'grant_type=nope&client_id=x'
    // A request the server has read the head of (it answered 100 Continue), whose body comes after the signal.
    const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/application/o/token/', headers: {
        'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': String(body.length),
        Expect: '100-continue' } }, (res) => {
        let text = ''
        res.on('data', (d: Buffer) => { text += d.toString() })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }))
      })
      req.on('error', reject)
      req.flushHeaders()
      req.once('continue', () => {
        s.child.kill('SIGTERM')
        void until('the listener to close', async () => !(await accepts(port))).then(() => req.end(body), reject)
      })
    })
    const res = await answer
    expect(res.status).toBe(400)
    expect(JSON.parse(res.text)).toMatchObject({ error: 'unsupported_grant_type' })
    expect(await s.exited).toEqual({ code: 0, signal: null })
    expect(stoppedLines(s)).toEqual([expect.objectContaining({ level: 'info', signal: 'SIGTERM' })])
    expect(s.stderr()).toBe('')
  })

  it('on SIGINT exits 0 with one line, and starts again on the same PGlite (it was closed cleanly)', async () => {
    const port = await freePort()
    const first = start('node', { DATA_DIR: dataDir }, port)
    await listening(first)
    first.child.kill('SIGINT')
    expect(await first.exited).toEqual({ code: 0, signal: null })
    expect(stoppedLines(first)).toEqual([expect.objectContaining({ signal: 'SIGINT' })])
    const again = start('node', { DATA_DIR: dataDir }, port)
    await listening(again)
    expect((await fetch(`http://127.0.0.1:${port}/application/o/demo/.well-known/openid-configuration`)).status).toBe(200)
    again.child.kill('SIGTERM')
    expect((await again.exited).code).toBe(0)
  })

  it('leaves no server running when npm itself is signalled', async () => {
    const port = await freePort()
    const s = start('npm', { DATA_DIR: dataDir }, port)
    await listening(s)
    expect(await accepts(port)).toBe(true)
    s.child.kill('SIGTERM')
    await s.exited
    await until('the port to be free', async () => !(await accepts(port)))
  })
})

describe('npm start: a port in use', { timeout: 120_000 }, () => {
  let blocker: Server
  let port: number
  beforeAll(async () => {
    port = await freePort()
    blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(port, '0.0.0.0', resolve))
  })
  afterAll(() => new Promise<void>((resolve) => blocker.close(() => resolve())))

  it('is one clear line naming PORT, and exit status 1', async () => {
    const s = start('node', { DATA_DIR: dataDir }, port)
    expect(await s.exited).toEqual({ code: 1, signal: null })
    expect(s.stderr().trim().split('\n')).toEqual([
      `edge-oidc: cannot listen on port ${port} (in use): set PORT to a free port`])
  })
})

describe('npm run demo:client', { timeout: 180_000 }, () => {
  it('finds the server on PORT and prints a denied consent as one readable line', async () => {
    const port = await freePort()
    const server = start('node', { DATA_DIR: dataDir }, port)
    await listening(server)
    const client = start('npm', { DATA_DIR: dataDir }, port, ['run', '--silent', 'demo:client'])
    await until('the demo client\'s URL', async () => client.stdout().includes('/application/o/authorize/'), 60_000)
    const authorizeUrl = client.stdout().split('\n').map((l) => l.trim()).find((l) => l.startsWith('http'))!
    expect(new URL(authorizeUrl).port).toBe(String(port))

    // A browser: sign in as the demo user, then deny on the consent page.
    const jar = new Map<string, string>()
    const send = async (url: string, init: RequestInit = {}) => {
      const res = await fetch(url, { ...init, redirect: 'manual', headers: { ...init.headers as Record<string, string>,
        Cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } })
      for (const line of res.headers.getSetCookie()) {
        const [pair] = line.split(';')
        const at = pair!.indexOf('=')
        jar.set(pair!.slice(0, at), pair!.slice(at + 1))
      }
      return res
    }
    const post = (url: string, fields: Record<string, string>) => send(url, { method: 'POST', body: new URLSearchParams(fields),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: `http://localhost:${port}` } })
    const base = `http://localhost:${port}`
    const toLogin = await send(authorizeUrl.replace('127.0.0.1', 'localhost'))
    const loginUrl = new URL(toLogin.headers.get('Location')!, base).href
    const demo = JSON.parse(await readFile(join(dataDir, 'demo.json'), 'utf8')) as { username: string; password: string }
    const loginFields = formFields(await (await send(loginUrl)).text())
    const back = await post(loginUrl, { ...loginFields, username: demo.username, password: demo.password })
    expect(back.status).toBe(303)
    const consentPage = await send(new URL(back.headers.get('Location')!, base).href)
    expect(consentPage.status).toBe(200)
    const denied = await post(`${base}/consent`, { ...formFields(await consentPage.text(), '/consent'), action: 'deny' })
    const callback = denied.headers.get('Location')!
    expect(new URL(callback).searchParams.get('error')).toBe('access_denied')
    const answer = await fetch(callback)
    expect(await answer.text()).toBe('The sign-in did not complete: access_denied (The resource owner or authorization server denied the request)\n')
    expect((await client.exited).code).toBe(1)
    expect(client.stderr().trim()).toBe(
      'The sign-in did not complete: access_denied (The resource owner or authorization server denied the request)')
    server.child.kill('SIGTERM')
    expect((await server.exited).code).toBe(0)
  })
})
