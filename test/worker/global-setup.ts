import type { TestProject } from 'vitest/node'
import { startTestPostgres } from '../support/postgres.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string
    neonWsProxy: string
  }
}

/** Runs in Node before the workerd pool starts: a real PostgreSQL, migrated, behind the WebSocket bridge. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const postgres = await startTestPostgres()
  project.provide('databaseUrl', postgres.databaseUrl)
  project.provide('neonWsProxy', postgres.wsProxy)
  return () => postgres.stop()
}
