/** The results of `edge-oidc check`: one row per check, printed as a table or as JSON. */

export type Status = 'pass' | 'fail' | 'skip'

export interface Result { check: string; status: Status; reason: string }

/** Collects results in order; `run` turns a thrown error into a failure with its message. */
export class Results {
  readonly rows: Result[] = []

  pass(check: string, reason: string): void { this.rows.push({ check, status: 'pass', reason }) }
  fail(check: string, reason: string): void { this.rows.push({ check, status: 'fail', reason }) }
  skip(check: string, reason: string): void { this.rows.push({ check, status: 'skip', reason }) }

  /** `problems` empty → pass with `ok`, else fail with them joined. */
  expect(check: string, problems: string[], ok: string): boolean {
    if (problems.length) this.fail(check, problems.join('; '))
    else this.pass(check, ok)
    return problems.length === 0
  }

  /** Runs `fn`; a throw fails `check` with the error's message (and answers undefined). */
  async run<T>(check: string, fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await fn()
    } catch (err) {
      this.fail(check, describe(err))
      return undefined
    }
  }

  get failed(): boolean { return this.rows.some((r) => r.status === 'fail') }
}

/** An error's message, with the `cause` oauth4webapi attaches (e.g. the server's `error` body). */
export function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err)
  const cause = err.cause as { error?: string; error_description?: string } | undefined
  const server = cause && typeof cause === 'object' && typeof cause.error === 'string'
    ? ` (${cause.error}${cause.error_description ? `: ${cause.error_description}` : ''})` : ''
  return `${err.message}${server}`
}

/** A fixed-width table: check, PASS/FAIL/SKIP, reason. */
export function table(rows: Result[]): string {
  const width = Math.max(5, ...rows.map((r) => r.check.length))
  const lines = rows.map((r) => `${r.check.padEnd(width)}  ${r.status.toUpperCase().padEnd(6)}  ${r.reason}`)
  const failed = rows.filter((r) => r.status === 'fail').length
  return [`${'check'.padEnd(width)}  result  reason`, ...lines, '',
    failed ? `${failed} of ${rows.length} checks failed` : `all ${rows.length} checks passed`].join('\n')
}
