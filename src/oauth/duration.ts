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

export class DurationError extends Error {
  override name = 'DurationError'
  constructor(readonly value: string) {
    super(`${value} is not in the correct format of 'hours=3;minutes=1'.`)
  }
}

/**
 * authentik `timedelta_from_string`: `hours=1;minutes=2` to milliseconds. Each `;`-separated pair needs
 * exactly one `=`; keys are lower-cased but not trimmed, unknown keys are ignored, values are floats
 * (fractions and negatives allowed); at least one known key must be present.
 */
export function parseDuration(value: string): number {
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
  return Math.trunc(total)
}

/** True when `parseDuration` accepts the string. */
export function isDuration(value: string): boolean {
  try {
    parseDuration(value)
    return true
  } catch {
    return false
  }
}

/** `now + duration` as a Date. */
export function addDuration(now: Date, value: string): Date {
  return new Date(now.getTime() + parseDuration(value))
}
