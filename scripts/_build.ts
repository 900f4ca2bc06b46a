import { drizzle } from 'drizzle-orm/pg-proxy'
import { eq, sql } from 'drizzle-orm'
import * as schema from '../src/db/schema.ts'
import { providers } from '../src/db/schema.ts'
import { loadClient } from '../src/db/client-load.ts'
import { codeArtefact } from '../src/db/grant-store.ts'
import { attemptCounts } from '../src/db/rate-limits.ts'
const db = drizzle(async () => ({ rows: [] }), { schema }) as any
const now = new Date()
const bench = async (label: string, f: (i: number) => Promise<unknown> | unknown) => {
  for (let i = 0; i < 300; i++) await f(i)
  const n = 1500, t = performance.now()
  for (let i = 0; i < n; i++) await f(i)
  console.log(label, ((performance.now() - t) / n).toFixed(3), 'ms')
}
await bench('full loadClient', (i) => loadClient(db, 'c' + i, now, ['a' + i, 'b' + i], codeArtefact(db, 'h' + i, now)))
await bench('loadClient, no artefact, no keys', (i) => loadClient(db, 'c' + i, now, []))
await bench('relational only, no with', (i) => db.query.providers.findFirst({ where: eq(providers.clientId, 'c' + i) }))
await bench('relational with 4', (i) => db.query.providers.findFirst({ where: eq(providers.clientId, 'c' + i), with: { signingKey: true, encryptionKey: true, scopeMappings: { with: { scopeMapping: true } }, application: true } }))
await bench('artefact toSQL', (i) => db.select({ x: sql`${codeArtefact(db, 'h' + i, now).query(providers.id)}` }).from(providers).toSQL())
await bench('attemptCounts toSQL', (i) => db.select({ x: sql`${attemptCounts(db, ['a' + i, 'b' + i], now)}` }).from(providers).toSQL())
const prep = db.query.providers.findFirst({ where: eq(providers.clientId, sql.placeholder('id')), with: { signingKey: true, encryptionKey: true, scopeMappings: { with: { scopeMapping: true } }, application: true } }).prepare('p')
await bench('prepared relational with 4', (i) => prep.execute({ id: 'c' + i }))
