import { neonConfig, Pool } from '@neondatabase/serverless'
import { drizzle } from 'drizzle-orm/neon-serverless'
import type { Logger as DrizzleLogger } from 'drizzle-orm/logger'
import type { Logger } from '../log.ts'
import { describeError } from '../log.ts'
import type { Database, Db } from './client.ts'
import * as schema from './schema.ts'

export interface NeonOptions {
  /**
   * Local development and tests only: a WebSocket-to-TCP bridge (`host:port`) in front of a plain Postgres,
   * reached without TLS. Production leaves it unset and talks to Neon's own WebSocket endpoint.
   */
  wsProxy?: string
  logger?: DrizzleLogger
  log?: Logger
}

/** Postgres through Neon's WebSocket `Pool`: one pool per request, ended after the response. */
export function neonDatabase(connectionString: string, options: NeonOptions = {}): Database {
  if (options.wsProxy) {
    const proxy = options.wsProxy
    neonConfig.wsProxy = (host, port) => `${proxy}/v1?address=${host}:${port}`
    neonConfig.useSecureWebSocket = false
    neonConfig.pipelineTLS = false
    neonConfig.pipelineConnect = false
  }
  return {
    open() {
      const pool = new Pool({ connectionString })
      // workerd reports "Network connection lost" on sockets closed after `end()`; nothing is lost then.
      pool.on('error', (err: Error) => {
        const expected = /Network connection lost/.test(String((err as { message?: unknown }).message))
        options.log?.log(expected ? 'debug' : 'warn', 'database pool error', describeError(err))
      })
      const db = drizzle({ client: pool, schema, logger: options.logger ?? false }) as unknown as Db
      return { db, close: () => pool.end() }
    },
  }
}
