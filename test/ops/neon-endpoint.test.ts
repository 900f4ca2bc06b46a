import { afterAll, beforeAll, expect, it } from 'vitest'
import { startTestPostgres, type TestPostgres } from '../support/postgres.ts'

// The local endpoint of Neon's protocol is what the benchmark's round trip is made of: it must hold every
// statement for no less than the round trip it was given (a timer firing early would make requests look cheaper).
let postgres: TestPostgres
beforeAll(async () => { postgres = await startTestPostgres() }, 120_000)
afterAll(() => postgres?.stop())

const control = (body: Record<string, unknown>) =>
  fetch(postgres.neonHttp.url.replace(/\/sql$/, '/__control'), { method: 'POST', body: JSON.stringify(body) })

it('holds every statement for at least the injected round trip, counted from its arrival', async () => {
  const latencyMs = 20
  await control({ latencyMs })
  const before = postgres.neonHttp.timeline().length
  try {
    for (let i = 0; i < 15; i++) {
      const res = await fetch(postgres.neonHttp.url, { method: 'POST',
        body: JSON.stringify({ query: 'select $1::int as n', params: [String(i)] }),
        headers: { 'Neon-Connection-String': postgres.databaseUrl, 'Neon-Raw-Text-Output': 'true',
          'Neon-Array-Mode': 'true' } })
      expect(res.status).toBe(200)
      expect((await res.json() as { rows: unknown[][] }).rows).toEqual([[String(i)]])
    }
  } finally {
    await control({ latencyMs: 0 })
  }
  const held = postgres.neonHttp.timeline().slice(before).map((v) => v.ran - v.arrived)
  expect(held).toHaveLength(15)
  for (const ms of held) expect(ms).toBeGreaterThanOrEqual(latencyMs)
})
