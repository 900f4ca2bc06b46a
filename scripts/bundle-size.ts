/**
 * Bundle the Worker as `wrangler deploy` would (`--dry-run --outdir dist`, nothing is uploaded) and print its
 * size raw and gzipped. Fails above 150 KiB gzip: the bundle is what every cold start loads (the Workers Free plan's
 * own limit, 3 MB, is far above it).
 */
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const OUT_DIR = join(ROOT, 'dist')
const LIMIT_BYTES = 150 * 1024

rmSync(OUT_DIR, { recursive: true, force: true })
execFileSync(join(ROOT, 'node_modules/.bin/wrangler'), ['deploy', '--dry-run', '--outdir', OUT_DIR], {
  cwd: ROOT,
  stdio: ['ignore', 'ignore', 'inherit'],
  env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
})

const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`
let total = 0
// The Worker runs without `nodejs_compat` (wrangler.toml): a bare `process` is a ReferenceError there, though the
// workerd tests (whose pool turns nodejs_compat on) would not see it. Only `globalThis.process` may be probed.
const BARE_PROCESS = /(?<![.\w$])process\./
let bare = false
for (const name of readdirSync(OUT_DIR).filter((f) => f.endsWith('.js')).sort()) {
  const code = readFileSync(join(OUT_DIR, name))
  const found = BARE_PROCESS.exec(code.toString('utf8'))
  if (found) {
    console.error(`bundle-size: ${name} reads a bare \`process\` at ${found.index}, undefined on Workers`)
    bare = true
  }
  const gzipped = gzipSync(code, { level: 9 }).length
  total += gzipped
  console.log(`${name}: ${kib(code.length)} raw, ${kib(gzipped)} gzip`)
}
if (total === 0) {
  console.error('bundle-size: wrangler wrote no .js file to dist/')
  process.exit(1)
}
if (bare) process.exit(1)
if (total > LIMIT_BYTES) {
  console.error(`bundle-size: ${kib(total)} gzipped exceeds the ${kib(LIMIT_BYTES)} budget`)
  process.exit(1)
}
