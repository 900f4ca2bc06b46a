/**
 * The benchmarks' server in its own process, as `npm start` runs it, and its admin API over HTTP.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { AdminApi } from '../test/support/fixtures.ts'
import { unusedPort } from '../test/support/http-server.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

export interface ServerProcess { base: string; server: ChildProcess; stop(): Promise<void> }

/**
 * A server in its own process: `node [node options] --import tsx <script>` (`argv`'s last entry) with `PORT` and
 * `env`, once it answers `GET /`. Its output is dropped, or handed to `onLine` line by line (stdout and stderr).
 */
export async function startServer(argv: string[], env: Record<string, string>,
  onLine?: (line: string) => void): Promise<ServerProcess> {
  const port = await unusedPort()
  const base = `http://127.0.0.1:${port}`
  const script = argv.at(-1)!
  const server = spawn(process.execPath, [...argv.slice(0, -1), '--import', 'tsx', script], { cwd: ROOT,
    stdio: onLine ? ['ignore', 'pipe', 'pipe'] : 'ignore', env: { ...process.env, ...env, PORT: String(port) } })
  if (onLine) for (const stream of [server.stdout!, server.stderr!]) createInterface({ input: stream }).on('line', onLine)
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()))
  const stop = async () => {
    if (server.exitCode === null && server.signalCode === null) server.kill('SIGTERM')
    await exited
  }
  for (let i = 0; !(await fetch(`${base}/`).then(() => true, () => false)); i++) {
    if (i > 120 || server.exitCode !== null) {
      await stop()
      throw new Error(`${script} did not start within 60 s`)
    }
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
  return { base, server, stop }
}

/** The admin API of the server at `base`, with the bearer `token`. */
export function adminApiAt(base: string, token: string): AdminApi {
  return { admin: (method, path, body) => fetch(`${base}/api/v3${path}`, { method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }) }) }
}
