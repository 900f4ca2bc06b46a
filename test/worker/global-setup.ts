import type { TestProject } from 'vitest/node'
import { startReceiver } from '../support/logout-receiver.ts'
import { startTestPostgres } from '../support/postgres.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string
    neonWsProxy: string
    neonHttpEndpoint: string
    faultyNeonHttpEndpoint: string
    logoutReceiver: string
  }
}

/**
 * Runs in Node before the workerd pool starts: a real PostgreSQL, migrated, behind a local endpoint of Neon's HTTP
 * protocol (the Worker's driver) and the WebSocket bridge (the migrations' driver).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const postgres = await startTestPostgres()
  project.provide('databaseUrl', postgres.databaseUrl)
  project.provide('neonWsProxy', postgres.wsProxy)
  project.provide('neonHttpEndpoint', postgres.neonHttp.url)
  project.provide('faultyNeonHttpEndpoint', postgres.faultyNeonHttp.url)
  // A relying party's back-channel logout endpoint (test/worker/logout.test.ts).
  const receiver = await startReceiver()
  receiver.answers.set('/worker-flaky', [500, 200])
  project.provide('logoutReceiver', receiver.base)
  return async () => {
    await receiver.close()
    await postgres.stop()
  }
}
