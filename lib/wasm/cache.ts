import type { ValidatedFunction } from './policy.js'

/** Compiled functions kept at most; the least recently used is dropped beyond this. */
const CAPACITY = 256

/**
 * Compiled functions by key (module sha256 + limits), so a module is validated and compiled once
 * per edge, not per call. Concurrent misses for one key share one compilation; a failed one is
 * not kept.
 */
export class CompiledCache {
  private readonly entries = new Map<string, Promise<ValidatedFunction>>()

  constructor(private readonly capacity = CAPACITY) {}

  /** The cached function for `key`, or the result of `load()`, cached. */
  get(key: string, load: () => Promise<ValidatedFunction>): Promise<ValidatedFunction> {
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
      this.entries.delete(this.entries.keys().next().value as string)
    }
    return loading
  }
}
