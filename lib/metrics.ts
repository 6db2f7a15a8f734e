import { monitorEventLoopDelay } from 'node:perf_hooks'
import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { PoolStats } from './executor/pool.js'
import { FunctionStats } from './function-stats.js'

/** How an invocation ended, as metrics count it. */
export type InvocationOutcome = 'ok' | 'partial' | 'function_error' | 'error'

/** What the scheduler reports as it works (metrics implement it; tests may too). */
export interface SchedulerObserver {
  invocation(functionName: string, outcome: InvocationOutcome, seconds: number): void
  shard(where: 'local' | 'remote', outcome: 'ok' | 'failed'): void
  retry(): void
  backup(): void
}

/** Live figures the metrics read when scraped. */
export interface MetricSources {
  pool: () => PoolStats
  peers: () => number
  functions: () => number
  writers: () => number
  pendingJobs: () => number
  /** Seconds since the oldest unfinished async job was accepted (0: none). */
  oldestJobSeconds: () => number
  /** Job log segments followed (this edge's and its members'). */
  jobSegments: () => number
  /** Each schedule's last and next firing (ms since the epoch; 0 / null: none). */
  schedules: () => { schedule: string; last: number; next: number | null }[]
}

/** What async work counts (lib/jobs/runner.ts). */
export type AsyncEvent =
  'retry' | 'takeover' | 'duplicate' | 'schedule_fired' | 'schedule_duplicate'

/** Seconds: from a tiny local call to a long sharded job. */
const DURATION_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60
]

/**
 * The edge's Prometheus metrics, in a registry the edge owns (never prom-client's global one):
 * invocations by function and outcome, their durations, shards run here and on members, retries,
 * backups, strikes, members connected, registry size, the executor's queue, running calls and
 * restarts, jobs pending, the event loop's lag and the process's memory and CPU. (prom-client's
 * default metrics are not used: some are gauges named `*_total`, which promtool refuses.)
 */
export class EdgeMetrics implements SchedulerObserver {
  readonly registry = new Registry()
  /** The last minute per function and second (the console's charts). */
  readonly recent = new FunctionStats()
  private readonly invocations: Counter<'function' | 'outcome'>
  private readonly durations: Histogram<'function'>
  private readonly shards: Counter<'where' | 'outcome'>
  private readonly retries: Counter
  private readonly backups: Counter
  private readonly strikes: Counter
  private readonly throttles: Counter<'function' | 'scope'>
  private readonly asyncEvents: Record<AsyncEvent, Counter>

  constructor(sources: MetricSources) {
    const registers = [this.registry]
    this.invocations = new Counter({
      name: 'swarmlambda_invocations_total',
      help: 'Invocations by function and outcome (ok, partial, function_error, error).',
      labelNames: ['function', 'outcome'],
      registers
    })
    this.durations = new Histogram({
      name: 'swarmlambda_invocation_duration_seconds',
      help: 'Time from the start of an invocation to its answer.',
      labelNames: ['function'],
      buckets: DURATION_BUCKETS,
      registers
    })
    this.shards = new Counter({
      name: 'swarmlambda_shards_total',
      help: 'Shard attempts by where they ran (local, remote) and outcome (ok, failed).',
      labelNames: ['where', 'outcome'],
      registers
    })
    this.retries = new Counter({
      name: 'swarmlambda_shard_retries_total',
      help: 'Shards re-run after a failure.',
      registers
    })
    this.backups = new Counter({
      name: 'swarmlambda_shard_backups_total',
      help: 'Speculative backup copies of slow shards.',
      registers
    })
    this.throttles = new Counter({
      name: 'swarmlambda_throttles_total',
      help: 'Invocations refused with 429 by function and by which cap (function, edge).',
      labelNames: ['function', 'scope'],
      registers
    })
    this.strikes = new Counter({
      name: 'swarmlambda_peer_strikes_total',
      help: 'Strikes against members (failures, timeouts, overtaken stragglers).',
      registers
    })
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read())
        }
      })
    gauge('swarmlambda_peers_connected', 'Members answering heartbeats.', sources.peers)
    gauge(
      'swarmlambda_registry_functions',
      'Live functions in the merged registry.',
      sources.functions
    )
    gauge(
      'swarmlambda_registry_writers',
      'Registry writers merged (this edge included).',
      sources.writers
    )
    gauge(
      'swarmlambda_pool_queue_depth',
      'Calls waiting for an executor worker.',
      () => sources.pool().queued
    )
    gauge(
      'swarmlambda_pool_running',
      'Calls running on executor workers.',
      () => sources.pool().running
    )
    gauge('swarmlambda_pool_workers', 'Executor workers.', () => sources.pool().workers)
    gauge('swarmlambda_jobs_pending', 'Async jobs not yet finished.', sources.pendingJobs)
    for (const [name, help, pick] of [
      [
        'swarmlambda_schedule_last_firing_seconds',
        "Each schedule's last fired tick (seconds since the epoch), as this edge knows it.",
        (s: { last: number }) => (s.last === 0 ? null : s.last)
      ],
      [
        'swarmlambda_schedule_next_firing_seconds',
        "Each schedule's next tick (seconds since the epoch); absent when it has none.",
        (s: { next: number | null }) => s.next
      ]
    ] as const) {
      new Gauge({
        name,
        help,
        labelNames: ['schedule'],
        registers,
        collect() {
          this.reset()
          for (const s of sources.schedules()) {
            const at = pick(s)
            if (at !== null) this.set({ schedule: s.schedule }, at / 1000)
          }
        }
      })
    }
    gauge(
      'swarmlambda_async_oldest_age_seconds',
      'Age of the oldest unfinished async job, across the mesh.',
      sources.oldestJobSeconds
    )
    gauge(
      'swarmlambda_async_log_segments',
      'Job log segments held here (retired ones are purged from disk).',
      sources.jobSegments
    )
    const count = (name: string, help: string) => new Counter({ name, help, registers })
    this.asyncEvents = {
      retry: count(
        'swarmlambda_async_retries_total',
        'Async attempts that failed and were retried here.'
      ),
      takeover: count(
        'swarmlambda_async_takeovers_total',
        'Async jobs this edge took over from an edge gone past its lease.'
      ),
      duplicate: count(
        'swarmlambda_async_duplicates_total',
        'Async jobs this edge finished after another edge had (run twice around a failover).'
      ),
      schedule_fired: count(
        'swarmlambda_schedule_firings_total',
        'Schedule ticks this edge fired (each an async job).'
      ),
      schedule_duplicate: count(
        'swarmlambda_schedule_duplicates_total',
        'Schedule ticks seen fired twice (two owners around a handover), counted by each edge.'
      )
    }
    // The event loop's delay since the last scrape: what a stalled loop would show first.
    const lag = monitorEventLoopDelay({ resolution: 10 })
    lag.enable()
    this.stop = () => lag.disable()
    const seconds = (ns: number) => (Number.isFinite(ns) ? ns / 1e9 : 0)
    gauge(
      'swarmlambda_eventloop_lag_p50_seconds',
      'Event-loop delay, median since the last scrape.',
      () => seconds(lag.percentile(50))
    )
    gauge(
      'swarmlambda_eventloop_lag_p99_seconds',
      'Event-loop delay, 99th percentile since the last scrape.',
      () => seconds(lag.percentile(99))
    )
    gauge(
      'swarmlambda_eventloop_lag_max_seconds',
      'Event-loop delay, longest since the last scrape.',
      () => {
        const max = seconds(lag.max)
        lag.reset() // read last of the three: the next scrape starts a fresh window
        return max
      }
    )
    gauge('swarmlambda_process_resident_memory_bytes', 'Resident set size.', () =>
      process.memoryUsage.rss()
    )
    gauge(
      'swarmlambda_process_heap_used_bytes',
      'V8 heap in use.',
      () => process.memoryUsage().heapUsed
    )
    new Counter({
      name: 'swarmlambda_process_cpu_seconds_total',
      help: 'CPU time of the process (user and system).',
      registers,
      collect() {
        const { user, system } = process.cpuUsage()
        this.reset()
        this.inc((user + system) / 1e6)
      }
    })
    gauge(
      'swarmlambda_js_containers',
      'Warm JS and Python containers over the executor workers.',
      () => sources.pool().containers.containers
    )
    gauge(
      'swarmlambda_js_container_bytes',
      'Memory of the warm JS and Python containers (within the per-worker budget).',
      () => sources.pool().containers.bytes
    )
    const counter = (name: string, help: string, read: () => number) =>
      new Counter({
        name,
        help,
        registers,
        collect() {
          this.reset()
          this.inc(read())
        }
      })
    counter(
      'swarmlambda_js_container_evictions_total',
      'Warm JS and Python containers dropped to stay within the memory budget.',
      () => sources.pool().containers.evictions
    )
    counter(
      'swarmlambda_js_cold_starts_total',
      'JS and Python containers created (cold starts).',
      () => sources.pool().containers.colds
    )
    new Counter({
      name: 'swarmlambda_pool_restarts_total',
      help: 'Executor workers terminated and replaced (timeouts and crashes).',
      registers,
      collect() {
        this.reset()
        this.inc(sources.pool().restarts)
      }
    })
  }

  /** Stops sampling the event loop. */
  readonly stop: () => void

  /** The metrics in Prometheus text format. */
  text(): Promise<string> {
    return this.registry.metrics()
  }

  /** The content type of `text()`. */
  get contentType(): string {
    return this.registry.contentType
  }

  invocation(functionName: string, outcome: InvocationOutcome, seconds: number): void {
    this.invocations.inc({ function: functionName, outcome })
    this.durations.observe({ function: functionName }, seconds)
    this.recent.invocation(
      functionName,
      outcome === 'function_error' || outcome === 'error',
      seconds * 1000
    )
  }

  shard(where: 'local' | 'remote', outcome: 'ok' | 'failed'): void {
    this.shards.inc({ where, outcome })
  }

  retry(): void {
    this.retries.inc()
  }

  backup(): void {
    this.backups.inc()
  }

  /** An async retry, takeover or duplicate seen here. */
  async(what: AsyncEvent): void {
    this.asyncEvents[what].inc()
  }

  /** A strike against a member. */
  strike(): void {
    this.strikes.inc()
  }

  /** An invocation refused with 429 (see lib/limits.ts). */
  throttle(fn: string, scope: 'function' | 'edge'): void {
    this.throttles.inc({ function: fn, scope })
    this.recent.throttle(fn)
  }
}
