// The few `cloudflare:test` and `cloudflare:workers` APIs these tests use, typed against the imported workers
// types: the project's tsconfig keeps Node and DOM globals, so the pool's global declarations cannot be loaded.
declare module 'cloudflare:test' {
  import type { ExecutionContext, ScheduledController } from '@cloudflare/workers-types'
  export function createExecutionContext(): ExecutionContext
  export function waitOnExecutionContext(ctx: ExecutionContext): Promise<void>
  export function createScheduledController(options?: { scheduledTime?: Date | number; cron?: string }):
    ScheduledController
}

declare module 'cloudflare:workers' {
  /** The bindings of test/worker/vitest.config.ts. */
  export const env: {
    DATABASE_URL: string
    NEON_WS_PROXY: string
    NEON_HTTP_ENDPOINT: string
    FAULTY_NEON_HTTP_ENDPOINT: string
    SECRET_KEY: string
    ADMIN_TOKEN: string
    PASSWORD_ITERATIONS: string
    PUBLIC_URL: string
    LOGOUT_RECEIVER: string
  }
  /** The entry's exports, as `ctx.exports`: `default` is the Worker itself, bound like a service. */
  export const exports: { default: { fetch(input: string | Request, init?: RequestInit): Promise<Response> } }
}
