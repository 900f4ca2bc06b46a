import { spawn, type ChildProcess } from 'node:child_process'
import { createConnection, createServer } from 'node:net'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** A spawned `npm start` (or the entry itself): its output so far, and its exit. */
export interface Started {
  child: ChildProcess
  port: number
  stdout: () => string
  stderr: () => string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

/** Every process `start` spawned, for `stopAll` after each test. */
const running = new Set<ChildProcess>()

/** Kill what a failed test left running (by its pid, SIGKILL). */
export function stopAll(): void {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  running.clear()
}

/** Spawn the real entry (`npm start`, or `node --import tsx src/node.ts`) with `env` on top of a quiet base. */
export function start(command: 'npm' | 'node', env: Record<string, string>, port: number, npmArgs = ['start', '--silent']): Started {
  const args = command === 'npm' ? npmArgs : ['--import', 'tsx', 'src/node.ts']
  const child = spawn(command, args, {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PASSWORD_ITERATIONS: '10000', PORT: String(port), ...env },
  })
  running.add(child)
  let out = ''
  let err = ''
  child.stdout!.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr!.on('data', (d: Buffer) => { err += d.toString() })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })))
  return { child, port, stdout: () => out, stderr: () => err, exited }
}

/** Wait until the server says it is listening (or fail with its output). */
export async function listening(s: Started, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs
  let done = false
  void s.exited.then(() => { done = true })
  while (!s.stdout().includes('edge-oidc is listening')) {
    if (done || Date.now() > until) throw new Error(`not listening:\n${s.stdout()}\n${s.stderr()}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** Whether something accepts connections on `port`. */
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(port)
    socket.once('connect', () => { socket.destroy(); resolve(true) })
    socket.once('error', () => resolve(false))
  })
}
