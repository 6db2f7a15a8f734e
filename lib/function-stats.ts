import type { ConsoleSeries } from './wire/console.js'

/** Seconds of history kept per function (the console's charts show this window). */
export const WINDOW_SECONDS = 60
/** Durations kept per function and second for its percentiles (a uniform sample beyond). */
const SAMPLES = 256
/** Functions tracked at most (the least recently called is dropped first). */
const MAX_FUNCTIONS = 200

/** One second of one function's calls. */
interface Second {
  at: number
  invocations: number
  errors: number
  throttles: number
  /** Durations in ms: the first SAMPLES, then a reservoir sample. */
  durations: number[]
}

/**
 * The last minute of every function's calls on this edge, per second: invocations, errors,
 * throttles and p50/p99 duration — what the console's small live charts draw. Prometheus
 * counters answer "how many since start"; a chart needs "how many in each recent second", and
 * the percentiles of each second, which a scrape of cumulative buckets cannot give a browser.
 */
export class FunctionStats {
  private readonly functions = new Map<string, Second[]>()

  constructor(private readonly now: () => number = Date.now) {}

  /** A call ended (`error`: a function error or a platform error). */
  invocation(name: string, error: boolean, ms: number): void {
    const second = this.second(name)
    second.invocations++
    if (error) second.errors++
    const { durations } = second
    if (durations.length < SAMPLES) durations.push(ms)
    else {
      // Reservoir sampling: every call of the second has the same chance of being kept.
      const slot = Math.floor(Math.random() * second.invocations)
      if (slot < SAMPLES) durations[slot] = ms
    }
  }

  /** A call refused with 429. */
  throttle(name: string): void {
    this.second(name).throttles++
  }

  /** Each function's last WINDOW_SECONDS complete seconds and the current one, oldest first. */
  series(names: Iterable<string>): Record<string, ConsoleSeries> {
    const current = Math.floor(this.now() / 1000)
    const out: Record<string, ConsoleSeries> = {}
    for (const name of names) {
      const kept = this.functions.get(name) ?? []
      const series: ConsoleSeries = {
        at: [],
        invocations: [],
        errors: [],
        throttles: [],
        p50: [],
        p99: []
      }
      let i = 0
      for (let at = current - WINDOW_SECONDS; at <= current; at++) {
        while (i < kept.length && (kept[i] as Second).at < at) i++
        const second = kept[i]?.at === at ? (kept[i] as Second) : null
        series.at.push(at)
        series.invocations.push(second?.invocations ?? 0)
        series.errors.push(second?.errors ?? 0)
        series.throttles.push(second?.throttles ?? 0)
        const sorted = second === null ? [] : [...second.durations].sort((a, b) => a - b)
        series.p50.push(quantile(sorted, 0.5))
        series.p99.push(quantile(sorted, 0.99))
      }
      out[name] = series
    }
    return out
  }

  private second(name: string): Second {
    const at = Math.floor(this.now() / 1000)
    let kept = this.functions.get(name)
    if (kept === undefined) {
      if (this.functions.size >= MAX_FUNCTIONS) this.evict(at)
      kept = []
      this.functions.set(name, kept)
    }
    const last = kept[kept.length - 1]
    if (last !== undefined && last.at === at) return last
    const second: Second = { at, invocations: 0, errors: 0, throttles: 0, durations: [] }
    kept.push(second)
    while ((kept[0] as Second).at <= at - WINDOW_SECONDS - 1) kept.shift()
    return second
  }

  /** Makes room: functions not called within the window go; failing that, the oldest entry. */
  private evict(at: number): void {
    for (const [name, kept] of this.functions) {
      const last = kept[kept.length - 1]
      if (last === undefined || last.at <= at - WINDOW_SECONDS - 1) this.functions.delete(name)
    }
    if (this.functions.size >= MAX_FUNCTIONS) {
      this.functions.delete(this.functions.keys().next().value as string)
    }
  }
}

/** The q-quantile of sorted values (nearest rank), rounded to µs; null for none. */
function quantile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return Math.round((sorted[rank] as number) * 1000) / 1000
}
