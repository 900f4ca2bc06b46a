/** Milliseconds per unit of authentik's duration strings (Python `timedelta` keyword arguments). */
const UNIT_MS: Record<string, number> = {
  microseconds: 0.001,
  milliseconds: 1,
  seconds: 1000,
  minutes: 60_000,
  hours: 3_600_000,
  days: 86_400_000,
  weeks: 604_800_000,
}

// Python's float(): optional sign, digits with single underscores between them, fraction, exponent.
const FLOAT = /^[+-]?(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?$/

/**
 * The longest duration either way, 1000 years: beyond authentik's (Python's `timedelta`, 999999999 days) but
 * safer, since `now` plus it must stay a date (JavaScript's end at 275760) and a key rotated that rarely gets
 * a certificate of three times it, which X.509 ends at 9999.
 */
export const MAX_DURATION_MS = 1000 * 365.25 * 86_400_000

export class DurationError extends Error {
  override name = 'DurationError'
  constructor(readonly value: string, reason = "is not in the correct format of 'hours=3;minutes=1'") {
    super(`${value} ${reason}.`)
  }
}

/** The milliseconds of `value` as written (authentik `timedelta_from_string`, see `parseDuration`). */
function writtenMs(value: string): number {
  let total = 0
  let known = 0
  for (const pair of value.split(';')) {
    const parts = pair.split('=')
    if (parts.length !== 2) throw new DurationError(value)
    const [rawKey, rawValue] = parts as [string, string]
    const unit = UNIT_MS[rawKey.toLowerCase()]
    if (unit === undefined) continue
    const text = rawValue.trim()
    if (!FLOAT.test(text)) throw new DurationError(value)
    const amount = Number(text.replaceAll('_', ''))
    if (!Number.isFinite(amount)) throw new DurationError(value)
    total += amount * unit
    known++
  }
  if (known === 0 || !Number.isFinite(total)) throw new DurationError(value)
  return total
}

/**
 * authentik `timedelta_from_string`: `hours=1;minutes=2` to milliseconds. Each `;`-separated pair needs
 * exactly one `=`; keys are lower-cased but not trimmed, unknown keys are ignored, values are floats
 * (fractions and negatives allowed); at least one known key must be present. The admin API refuses durations
 * beyond {@link MAX_DURATION_MS}; one stored before that rule is held to it here, so that it still gives a date.
 */
export function parseDuration(value: string): number {
  return Math.trunc(Math.max(-MAX_DURATION_MS, Math.min(MAX_DURATION_MS, writtenMs(value))))
}

/** Why the admin API refuses `value` as a duration (the reference's message for its format), or null. */
export function durationProblem(value: string): string | null {
  try {
    if (Math.abs(writtenMs(value)) > MAX_DURATION_MS) return new DurationError(value, 'is longer than 1000 years').message
    return null
  } catch (err) {
    if (err instanceof DurationError) return err.message
    throw err
  }
}

/** `now + duration` as a Date. */
export function addDuration(now: Date, value: string): Date {
  return new Date(now.getTime() + parseDuration(value))
}
