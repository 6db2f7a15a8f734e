import type { Config } from '../config.js'
import type { JobService } from '../jobs/service.js'
import type { ScheduleService } from '../schedules/service.js'
import type { EventInvokeService } from '../registry/event-invoke.js'
import type { JsonCodec } from './json.js'
import type { Concurrency } from '../limits.js'
import type { EdgeMetrics } from '../metrics.js'
import type { MeshMember } from '../p2p/mesh.js'
import type { NodeInfo } from '../wire/rpc.js'
import type { FunctionService } from '../registry/functions.js'
import type { VersionService } from '../registry/versions.js'
import type { AliasService } from '../registry/aliases.js'
import type { UrlService } from '../registry/urls.js'
import type { Scheduler } from '../scheduler/run.js'
import type { PoolStats } from '../executor/pool.js'

/** What route handlers work with: the edge's parts, passed in (no globals). */
export interface RouteContext {
  config: Config
  functions: FunctionService
  /** Published versions, and what a qualifier names. */
  versions: VersionService
  aliases: AliasService
  /** Function URL configurations. */
  urls: UrlService
  scheduler: Scheduler
  /** Durable async work (Event invocations, the jobs API). */
  jobs: JobService
  /** EventBridge Scheduler's schedules (fired by lib/schedules/firing.ts). */
  schedules: ScheduleService
  /** Async settings per function (FunctionEventInvokeConfig). */
  eventInvoke: EventInvokeService
  /** Request and reply JSON, kept off the event loop when large. */
  json: JsonCodec
  /** Invocations running here, against the edge's and each function's cap. */
  concurrency: Concurrency
  /** The edge's Prometheus metrics. */
  metrics: EdgeMetrics
  /** The executor's live counters (workers, queued and running calls, restarts). */
  executor: () => PoolStats
  /** ms since the epoch when the edge started. */
  startedAt: number
  /**
   * This edge in the cluster: its swarm id ('' when it has joined none), its info, its peers,
   * and the registry writers (bee keys, hex) its view merges, its own first.
   */
  cluster: {
    id: () => string
    self: () => NodeInfo
    /** Every member known: connected ones (direct) and those known by gossip. */
    peers: () => MeshMember[]
    writers: () => string[]
  }
}
