import { describe, expect, it } from 'vitest'
import { DurationError, MAX_DURATION_MS, addDuration, durationProblem, parseDuration } from '../../src/oauth/duration.ts'

describe('duration strings (authentik lib/utils/time.py)', () => {
  it.each([
    ['hours=1', 3_600_000],
    ['hours=1;minutes=2;seconds=3', 3_723_000],
    ['minutes=1', 60_000],
    ['days=30', 2_592_000_000],
    ['weeks=4', 2_419_200_000],
    ['seconds=0', 0],
    ['milliseconds=1500', 1500],
    ['microseconds=2000', 2],
    ['HOURS=2', 7_200_000],
    ['hours= 1.5 ', 5_400_000],
    ['seconds=-30', -30_000],
    ['seconds=1e3', 1_000_000],
    ['seconds=1_000', 1_000_000],
    ['hours=1;foo=3', 3_600_000],
  ])('parses %s', (value, ms) => {
    expect(parseDuration(value)).toBe(ms)
  })

  it.each([
    'hours=1;', 'hours', '', 'hours=1=2', 'foo=1', ' hours=1', 'hours=abc', 'hours=', 'hours=inf', 'hours=nan',
  ])('rejects %j with the reference message', (value) => {
    expect(() => parseDuration(value)).toThrow(DurationError)
    expect(() => parseDuration(value)).toThrow(`${value} is not in the correct format of 'hours=3;minutes=1'.`)
  })

  it('is refused by the admin API beyond 1000 years either way, and held to them when stored before', () => {
    expect(durationProblem('days=365250')).toBeNull()
    expect(durationProblem('days=-365250')).toBeNull()
    for (const value of ['days=365251', 'days=1e300', 'weeks=-60000', 'days=365250;seconds=1']) {
      expect(durationProblem(value)).toBe(`${value} is longer than 1000 years.`)
    }
    expect(durationProblem('foo')).toBe("foo is not in the correct format of 'hours=3;minutes=1'.")
    expect(durationProblem('hours=1')).toBeNull()
    expect(parseDuration('days=365250')).toBe(MAX_DURATION_MS)
    expect(parseDuration('days=1e300')).toBe(MAX_DURATION_MS)
    expect(parseDuration('days=-1e300')).toBe(-MAX_DURATION_MS)
    // Its end still is a date (it was Invalid Date, and every request of such a provider a 500): 365250 days on,
    // 1000 Julian years, which are 8 days longer than the Gregorian ones from 2026.
    expect(addDuration(new Date('2026-01-01T00:00:00Z'), 'days=1e300').toISOString()).toBe('3026-01-09T00:00:00.000Z')
  })

  it('adds to a date', () => {
    expect(addDuration(new Date('2026-01-01T00:00:00Z'), 'minutes=1').toISOString()).toBe('2026-01-01T00:01:00.000Z')
  })
})
