import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import type tap from 'tap'
import { Pool } from 'undici'

/**
 * Watching an edge while a suite runs: /healthz probed every 25 ms and the edge's own event-loop
 * lag (its /metrics gauge, reset per scrape) read per phase, per chunk or per input.
 */

/** What a watch saw. */
export interface WatchReport {
  probes: number
  /** Probes that did not get a 200 (status or error), with when they were sent. */
  failures: string[]
  maxProbeMs: number
  /** The longest event-loop delay the edge reported over the watch (ms), and its scrapes. */
  maxLagMs: number
  scrapes: number
}

/**
 * Probes GET /healthz every `probeMs` and scrapes GET /metrics every `scrapeMs` on connections
 * of its own, so neither waits behind the suite's requests. The edge's lag gauge is reset per
 * scrape, so the max over scrapes is the max over the watch (the first scrape, which covers the
 * edge's start, is discarded).
 */
export class Watch {
  private readonly pool: Pool
  private readonly timers: NodeJS.Timeout[] = []
  private readonly inflight = new Set<Promise<void>>()
  private readonly report: WatchReport = {
    probes: 0,
    failures: [],
    maxProbeMs: 0,
    maxLagMs: 0,
    scrapes: 0
  }
  private started = 0
  private windowMaxLagMs = 0
  /** This process's own loop delay: how much the machine, not the edge, held loops back. */
  private readonly local = monitorEventLoopDelay({ resolution: 10 })
  /** This process's own lag over the last window, in ms. */
  localLagMs = 0

  constructor(url: string) {
    this.pool = new Pool(url, { connections: 8 })
  }

  /** Starts probing; resolves after the first scrape has reset the edge's lag window. */
  async start(probeMs = 25, scrapeMs = 250): Promise<void> {
    await this.lag() // resets the window: the edge's start is not the suite's doing
    this.local.enable()
    this.started = performance.now()
    this.timers.push(setInterval(() => this.track(this.probe()), probeMs))
    this.timers.push(setInterval(() => this.track(this.scrape()), scrapeMs))
  }

  /** The longest event-loop delay since the last call (or the start), in ms: one phase's. */
  async window(): Promise<number> {
    // A periodic scrape still in flight belongs to this window: let it land first.
    await Promise.all([...this.inflight])
    await this.scrape()
    const ms = this.windowMaxLagMs
    this.windowMaxLagMs = 0
    this.localLagMs = this.local.max / 1e6
    this.local.reset()
    return ms
  }

  /** Stops, waits for the last probes, takes a final scrape and reports. */
  async stop(): Promise<WatchReport> {
    for (const timer of this.timers) clearInterval(timer)
    this.local.disable()
    await Promise.all([...this.inflight])
    await this.scrape()
    await this.pool.close()
    return this.report
  }

  private track(work: Promise<void>): void {
    this.inflight.add(work)
    void work.finally(() => this.inflight.delete(work))
  }

  private async probe(): Promise<void> {
    const sent = performance.now()
    this.report.probes++
    try {
      const res = await this.pool.request({ method: 'GET', path: '/healthz' })
      await res.body.text()
      if (res.statusCode !== 200) this.fail(sent, `status ${res.statusCode}`)
    } catch (err) {
      this.fail(sent, (err as Error).message)
    }
    this.report.maxProbeMs = Math.max(this.report.maxProbeMs, performance.now() - sent)
  }

  private fail(sent: number, why: string): void {
    this.report.failures.push(`at ${Math.round(sent - this.started)} ms: ${why}`)
  }

  private async scrape(): Promise<void> {
    try {
      const ms = await this.lag()
      this.report.scrapes++
      this.report.maxLagMs = Math.max(this.report.maxLagMs, ms)
      this.windowMaxLagMs = Math.max(this.windowMaxLagMs, ms)
    } catch (err) {
      this.report.failures.push(`metrics: ${(err as Error).message}`)
    }
  }

  private async lag(): Promise<number> {
    const res = await this.pool.request({ method: 'GET', path: '/metrics' })
    const text = await res.body.text()
    const line = /^swarmlambda_eventloop_lag_max_seconds\s+(\S+)$/m.exec(text)
    if (line === null) throw new Error('no swarmlambda_eventloop_lag_max_seconds in /metrics')
    return Number(line[1]) * 1000
  }
}

/** The edge's event-loop lag over some work, and how often it was measured again. */
export interface Lag {
  ms: number
  remeasured: number
  /**
   * Set when every reading reached the limit while this process's own, nearly idle loop lagged
   * at least half as much: the machine was starved of CPU, so the readings say nothing of the
   * edge. The assertion then becomes a todo naming it.
   */
  starved: string | null
}

/** Readings at or over the limit are taken again up to this many times, the lowest kept. */
const REMEASURES = 2

/**
 * The edge's lag over `work` (and over `again`, up to twice, while the reading stays at or over
 * `limitMs`; the lowest reading is kept). A stall an input causes happens every time it is sent;
 * a machine shared with other test runs also delays the edge's loop now and then (the process
 * waits for a core), which rarely happens three times running.
 */
export async function lagOver(
  watch: Watch,
  limitMs: number,
  work: () => Promise<unknown>,
  again: (() => Promise<unknown>) | null = work
): Promise<Lag> {
  await watch.window() // what came before is not this work's
  await work()
  let ms = await watch.window()
  let starvedFor = watch.localLagMs
  let remeasured = 0
  while (ms >= limitMs && again !== null && remeasured < REMEASURES) {
    remeasured++
    await again()
    ms = Math.min(ms, await watch.window())
    starvedFor = Math.min(starvedFor, watch.localLagMs)
  }
  const starved =
    ms >= limitMs && starvedFor >= limitMs / 2
      ? `the machine was starved: this test's own loop lagged ${starvedFor.toFixed(1)} ms`
      : null
  return { ms, remeasured, starved }
}

/** Asserts a lag reading stays under the limit; on a starved machine it is a todo. */
export function assertLag(
  t: Pick<typeof tap, 'ok'>,
  what: string,
  lag: Lag,
  limitMs: number
): void {
  t.ok(
    lag.ms < limitMs,
    `event-loop lag ${what} under ${limitMs} ms (${lag.ms.toFixed(1)})`,
    lag.starved === null ? {} : { todo: lag.starved }
  )
}

/** The worse of two readings. */
export function worse(a: Lag | undefined, b: Lag): Lag {
  return a === undefined || b.ms > a.ms ? b : a
}
