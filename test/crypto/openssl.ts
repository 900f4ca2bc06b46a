/** The machine's `openssl` for tests: certificates and keys made, read and verified by an independent implementation. */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Runs `openssl ...args` in a fresh directory holding `files`; returns stdout and the files it wrote. */
export function openssl(args: string[], files: Record<string, string | Uint8Array> = {}): { stdout: string; read: (name: string) => string } {
  const dir = mkdtempSync(join(tmpdir(), 'edge-oidc-openssl-'))
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
    const stdout = execFileSync('openssl', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
    const written = new Map<string, string>()
    for (const name of args.filter((a) => /\.(pem|der)$/.test(a))) {
      try {
        written.set(name, readFileSync(join(dir, name), 'utf8'))
      } catch {
        // not a file this command wrote
      }
    }
    return { stdout, read: (name) => written.get(name) ?? '' }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** `openssl x509 -text -noout` of a PEM certificate. */
export const certificateText = (pem: string): string => openssl(['x509', '-in', 'cert.pem', '-text', '-noout'], { 'cert.pem': pem }).stdout

/** A self-signed certificate and its private key, both made by openssl (`-newkey` takes e.g. `rsa:2048`, `ed25519`). */
export function opensslPair(newkey: string[], subject = '/CN=openssl', extra: string[] = []): { cert: string; key: string } {
  const run = openssl(['req', '-x509', ...newkey, '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-subj', subject, '-days', '30', ...extra])
  return { cert: run.read('cert.pem'), key: run.read('key.pem') }
}
