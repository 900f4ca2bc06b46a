/**
 * `npm run db:kept`: the kept functions of src/db/kept-statements.ts, brought up to date with the code. It runs
 * the hot client-authenticated requests (test/support/kept-flows.ts) on an in-memory PGlite with no function in
 * use, records the text of every statement offered for keeping, asks PostgreSQL for each one's parameter and
 * result types, and when the set of texts changed writes a new migration (through `drizzle-kit generate
 * --custom`) that drops the functions no longer used and creates the new ones, and src/db/kept-statements.table.ts.
 * test/db/kept-statements.test.ts fails until this has run after a change to those statements.
 */
import { execFileSync } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { SQL } from 'drizzle-orm'
import { configureKeptStatements, keptFunctionName, statementKey } from '../src/db/kept-statements.ts'
import { KEPT_STATEMENTS } from '../src/db/kept-statements.table.ts'
import { openPglite } from '../src/db/pglite.ts'
import { createTestContext } from '../test/support/app.ts'
import { runKeptFlows } from '../test/support/kept-flows.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** The texts the kept flows offer for keeping, by key; `statements`, if given, gets each statement offered. */
export async function recordKeptTexts(statements?: SQL[]): Promise<Map<string, string>> {
  const texts = new Map<string, string>()
  configureKeptStatements({ keys: new Set(), record: ({ sql: text }, query) => {
    texts.set(statementKey(text), text)
    statements?.push(query)
  } })
  const t = await createTestContext()
  try {
    await runKeptFlows(t)
  } finally {
    configureKeptStatements('reset')
    await t.close()
  }
  return texts
}

/**
 * The PL/pgSQL body of the kept function of `text` (what `pg_proc.prosrc` holds). `use_column`: the result
 * columns are also PL/pgSQL variables of the same names, and inside the body a name means the column, as in the
 * statement run by itself.
 */
export const keptFunctionBody = (text: string): string =>
  `\n#variable_conflict use_column\nbegin\nreturn query ${text};\nend\n`

/**
 * By key, the `create function` of each text that can be one, its types as PostgreSQL infers them for the
 * statement itself.
 */
export async function keptFunctions(texts: ReadonlyMap<string, string>): Promise<Map<string, string>> {
  const { client } = await openPglite()
  try {
    const typeName = async (oid: number) =>
      (await client.query<{ t: string }>('select format_type($1::oid, null) as t', [oid])).rows[0]!.t
    const out = new Map<string, string>()
    for (const [key, text] of [...texts].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (text.includes('$kept$')) throw new Error(`statement ${key} contains $kept$`)
      const described = await client.describeQuery(text)
      const params = await Promise.all(described.queryParams.map((p) => typeName(p.dataTypeID)))
      const types = await Promise.all(described.resultFields.map((f) => typeName(f.dataTypeID)))
      const names = described.resultFields.map((f) => f.name)
      // A function cannot return an anonymous record or two columns of one name: such a statement stays itself.
      if ([...params, ...types].some((type) => ['record', 'unknown'].includes(type)) || new Set(names).size < names.length) {
        console.log(`db:kept: not kept (its types or column names): ${text.slice(0, 80)}`)
        continue
      }
      const columns = names.map((name, i) => `"${name.replace(/"/g, '""')}" ${types[i]}`)
      out.set(key, `create function "${keptFunctionName(key)}"(${params.join(', ')}) returns table(${columns.join(', ')})
  language plpgsql as $kept$${keptFunctionBody(text)}$kept$;`)
    }
    return out
  } finally {
    await client.close()
  }
}

async function main(): Promise<void> {
  const texts = await recordKeptTexts()
  const functions = await keptFunctions(texts)
  const keys = [...functions.keys()].sort()
  const current = [...KEPT_STATEMENTS].sort()
  if (keys.join() === current.join()) {
    console.log(`db:kept: up to date (${keys.length} kept statements)`)
    return
  }
  const drops = current.filter((k) => !functions.has(k)).map((k) => `drop function if exists "${keptFunctionName(k)}";`)
  const creates = [...functions].filter(([k]) => !KEPT_STATEMENTS.has(k)).map(([, f]) => f)
  execFileSync(join(ROOT, 'node_modules/.bin/drizzle-kit'), ['generate', '--custom', '--name', 'kept_statements'],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] })
  const journal = JSON.parse(await readFile(join(ROOT, 'drizzle/meta/_journal.json'), 'utf8')) as
    { entries: Array<{ tag: string }> }
  const file = join(ROOT, 'drizzle', `${journal.entries.at(-1)!.tag}.sql`)
  const header = '-- Written by `npm run db:kept` (scripts/kept-statements.ts): the kept statements of src/db/kept-statements.ts.\n'
  await writeFile(file, header + [...drops, ...creates].join('\n--> statement-breakpoint\n') + '\n')
  await writeFile(join(ROOT, 'src/db/kept-statements.table.ts'), '// Written by `npm run db:kept` '
    + '(scripts/kept-statements.ts): the keys of the statements that have a kept function.\n'
    + `export const KEPT_STATEMENTS: ReadonlySet<string> = new Set([\n${keys.map((k) => `  '${k}',\n`).join('')}])\n`)
  console.log(`db:kept: ${creates.length} created, ${drops.length} dropped: ${file}`)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    console.error(err)
    process.exit(1)
  })
}
