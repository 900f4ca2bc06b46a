/** A bounded per-isolate cache with a time to live; the oldest entry goes first when it is full. */
export class TtlCache<K, V> {
  readonly #entries = new Map<K, { value: V; until: number }>()
  constructor(readonly maxEntries: number, readonly ttlMs: number) {}

  get(key: K, now: Date): V | undefined {
    const entry = this.#entries.get(key)
    if (!entry) return undefined
    if (entry.until <= now.getTime()) {
      this.#entries.delete(key)
      return undefined
    }
    return entry.value
  }

  set(key: K, value: V, now: Date): void {
    if (this.ttlMs <= 0) return
    this.#entries.delete(key)
    this.#entries.set(key, { value, until: now.getTime() + this.ttlMs })
    while (this.#entries.size > this.maxEntries) {
      const oldest = this.#entries.keys().next()
      if (oldest.done) break
      this.#entries.delete(oldest.value)
    }
  }

  clear(): void {
    this.#entries.clear()
  }
}
