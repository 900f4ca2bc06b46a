/** Time comes from here only, so tests run on a fixed clock instead of sleeping. */
export interface Clock {
  now(): Date
}

export const systemClock: Clock = { now: () => new Date() }

/** A clock that stands still until moved: `advance(ms)` or `set(date)`. */
export class FixedClock implements Clock {
  #time: number
  constructor(start: Date | string) {
    this.#time = new Date(start).getTime()
  }
  now(): Date {
    return new Date(this.#time)
  }
  advance(ms: number): void {
    this.#time += ms
  }
  set(date: Date | string): void {
    this.#time = new Date(date).getTime()
  }
}
