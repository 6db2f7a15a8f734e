import type Corestore from 'corestore'
import type { Logger } from 'pino'
import type { Config } from './config.js'
import { asyncParts } from './gateway/async.js'
import type { RouteContext } from './gateway/context.js'
import { JobService } from './jobs/service.js'
import type { EdgeMetrics } from './metrics.js'
import type { Registry } from './registry/registry.js'
import { ScheduleBook } from './schedules/book.js'
import { ScheduleFiring } from './schedules/firing.js'
import { ScheduleService } from './schedules/service.js'

/** An edge's async work: durable jobs, the schedules, and the firing of those it owns. */
export interface AsyncWork {
  jobs: JobService
  schedules: ScheduleService
  firing: ScheduleFiring
}

/** What the async work is built from. */
export interface AsyncWorkOptions {
  config: Config
  store: Corestore
  registry: Registry
  edge: { id: string; name: string }
  /** Executor workers here (async attempts at once scale with them). */
  workers: number
  members: () => string[]
  metrics: EdgeMetrics
  /** The routes' context, once it exists (a job runs through it). */
  ctx: () => RouteContext
  log: Logger
  /** Whether the edge runs a swarm (a restarted member waits a lease before resuming its jobs). */
  clustered: boolean
  /** Blocks per job log segment (tests make it small). */
  segmentBlocks?: number
}

/** Builds the job service, the schedules and their firing (neither started). */
export function asyncWork(options: AsyncWorkOptions): AsyncWork {
  const { config, metrics, edge } = options
  const clustered = options.clustered
  const jobLog = options.log.child({ component: 'jobs' })
  const jobs = new JobService({
    store: options.store,
    registry: options.registry,
    ack: config.asyncAck,
    retentionMs: config.jobRetentionMs,
    leaseMs: config.jobLeaseMs,
    retryDelayMs: config.asyncRetryDelayMs,
    // Async attempts at once here: the concurrency limits (edge, function) still apply to each.
    maxInFlight: Math.max(64, options.workers * 32),
    clustered,
    parts: asyncParts(options.ctx, edge, options.members, (what) => metrics.async(what), jobLog),
    log: jobLog,
    ...(options.segmentBlocks === undefined ? {} : { segmentBlocks: options.segmentBlocks }),
    onDuplicateFiring: () => metrics.async('schedule_duplicate')
  })
  const scheduleLog = options.log.child({ component: 'schedules' })
  const schedules = new ScheduleService(new ScheduleBook(options.registry, scheduleLog))
  const firing = new ScheduleFiring(
    {
      edge,
      members: options.members,
      jobs,
      schedules,
      log: scheduleLog,
      fired: () => metrics.async('schedule_fired')
    },
    { leaseMs: config.jobLeaseMs, clustered }
  )
  return { jobs, schedules, firing }
}
