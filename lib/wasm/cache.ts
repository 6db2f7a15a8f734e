/** Entries kept at most; the least recently used is dropped beyond this. */
const CAPACITY = 256

/**
 * Functions made ready to run (Wasm validated and compiled, JS code decoded), by key, so that
 * work happens once per edge, not per call. Concurrent misses for one key share one load; a
 * failed one is not kept. Keys are strings (code and configuration) or objects (a stored record).
 */
export class CompiledCache<T, K = string> {
  private readonly entries = new Map<K, Promise<T>>()

  constructor(private readonly capacity = CAPACITY) {}

  /** The cached value for `key`, or the result of `load()`, cached. */
  get(key: K, load: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key)
    if (hit !== undefined) {
      this.entries.delete(key) // re-inserted: most recently used last
      this.entries.set(key, hit)
      return hit
    }
    const loading = load()
    this.entries.set(key, loading)
    loading.catch(() => this.entries.get(key) === loading && this.entries.delete(key))
    if (this.entries.size > this.capacity) {
      this.entries.delete(this.entries.keys().next().value as K)
    }
    return loading
  }
}
