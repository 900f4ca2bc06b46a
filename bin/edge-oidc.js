#!/usr/bin/env node
// `edge-oidc <command>`: the package's command line (src/cli/main.ts, run through tsx's loader).
import { register } from 'tsx/esm/api'

register()
const { check } = await import('../src/cli/main.ts')
const { code, output } = await check(process.argv.slice(2))
;(code === 2 ? process.stderr : process.stdout).write(`${output}\n`)
process.exitCode = code
