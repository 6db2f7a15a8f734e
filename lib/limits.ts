import { DATASET_TOO_LARGE, TOO_MANY_REQUESTS } from './errors.js'

/** Invocations running on this edge right now, in all and per function. */
export interface ConcurrencyStats {
  running: number
  limit: number
  byFunction: Record<string, number>
}

/**
 * How many invocations an edge runs at once: at most `limit` in all, and at most a function's
 * own reserved concurrency for that function (AWS's ReservedConcurrentExecutions). An invocation
 * over either is refused at once with 429 TooManyRequestsException and Retry-After, before it
 * takes any work; it holds its slot until its answer is settled (for Event invocations and jobs,
 * until the job ends). Counted per edge: each edge of a mesh enforces its own.
 */
export class Concurrency {
  private running = 0
  private readonly byFunction = new Map<string, number>()

  constructor(
    readonly limit: number,
    private readonly onThrottle?: (fn: string, scope: 'function' | 'edge') => void
  ) {}

  /**
   * Takes a slot for one invocation of `fn` (`reserved`: its own cap, 0 for none); returns the
   * release (idempotent). Throws TOO_MANY_REQUESTS when over a cap.
   */
  acquire(fn: string, reserved: number): () => void {
    const mine = this.byFunction.get(fn) ?? 0
    if (reserved > 0 && mine >= reserved) {
      this.onThrottle?.(fn, 'function')
      throw TOO_MANY_REQUESTS('function', fn, reserved)
    }
    if (this.running >= this.limit) {
      this.onThrottle?.(fn, 'edge')
      throw TOO_MANY_REQUESTS('edge', fn, this.limit)
    }
    this.running++
    this.byFunction.set(fn, mine + 1)
    let released = false
    return () => {
      if (released) return
      released = true
      this.running--
      const left = (this.byFunction.get(fn) ?? 1) - 1
      if (left === 0) this.byFunction.delete(fn)
      else this.byFunction.set(fn, left)
    }
  }

  /** Runs `work` in a slot, released when it settles. */
  async run<T>(fn: string, reserved: number, work: () => Promise<T>): Promise<T> {
    const release = this.acquire(fn, reserved)
    try {
      return await work()
    } finally {
      release()
    }
  }

  stats(): ConcurrencyStats {
    return {
      running: this.running,
      limit: this.limit,
      byFunction: Object.fromEntries(this.byFunction)
    }
  }
}

/**
 * Refuses a v1 dataset over the function's own item limit or this edge's (413); v2 payloads are
 * bounded by the body limit.
 */
export function checkDatasetSize(
  input: Int32Array | Uint8Array | ArrayLike<unknown>,
  functionLimit: number,
  edgeLimit: number
): void {
  // Bytes are a payload, not a dataset (a JS function's dataset arrives as an array).
  if (input instanceof Uint8Array) return
  if (functionLimit > 0 && input.length > functionLimit) {
    throw DATASET_TOO_LARGE(input.length, functionLimit, "the function's")
  }
  if (input.length > edgeLimit) throw DATASET_TOO_LARGE(input.length, edgeLimit, "this edge's")
}
