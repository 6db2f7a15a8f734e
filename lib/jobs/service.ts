import { randomBytes } from 'node:crypto'
import type Corestore from 'corestore'
import type { Logger } from 'pino'
import { ASYNC_NOT_REPLICATED } from '../errors.js'
import type { Registry } from '../registry/registry.js'
import type { JobAccepted, JobSource } from '../wire/jobs.js'
import { JobLog } from './log.js'
import { eventOf, JobRunner, type RunnerParts } from './runner.js'
import { JobView, type JobState } from './view.js'

/** How long an accepted job waits for a member to hold it before the accept fails. */
const ACK_TIMEOUT_MS = 5_000
/** How often the runner looks at the jobs (and the view forgets expired ones). */
const TICK_MS = 200
/** How long a GET for an unknown id waits for members' logs to catch up before a 404. */
const LOOKUP_REFRESH_MS = 3_000

/** Whether an accept waits for a member to hold the job (`replicated`) or only for the disk. */
export type AsyncAck = 'local' | 'replicated'

/** New async work, as the gateway hands it in. */
export interface NewJob {
  source: JobSource
  functionName: string
  qualifier: string
  payload: Uint8Array
  module: Uint8Array | null
  requestId: string
  /** A schedule's firing: recorded with the job, in the same log entry. */
  firing?: { schedule: string; tick: number }
}

/** Options of the job service. */
export interface JobServiceOptions {
  store: Corestore
  registry: Registry
  ack: AsyncAck
  retentionMs: number
  leaseMs: number
  retryDelayMs: number
  maxInFlight: number
  /** Whether this edge may have members (false: a lone edge, never waits for replication). */
  clustered: boolean
  parts: Omit<RunnerParts, 'record'>
  log: Logger
  /** Blocks per log segment (tests make it small to see segments retire). */
  segmentBlocks?: number
  /** Told when a schedule's tick turns out to have been fired twice. */
  onDuplicateFiring?: (schedule: string, tick: number) => void
}

/**
 * Durable async work: accepting a job appends it to this edge's log (and, with members, waits
 * for one of them to hold it) before the 202; every edge follows every log, so any edge answers
 * for any job; the runner works off what this edge owns; finished jobs are forgotten after the
 * retention, and a log segment holding only forgotten jobs is retired (purged everywhere).
 */
export class JobService {
  readonly view: JobView
  private readonly jobLog: JobLog
  private readonly runner: JobRunner
  private timer: NodeJS.Timeout | null = null
  private ticking = false
  private tickQueued = false
  private readonly startedAt = Date.now()
  /** Jobs accepted here whose accept still waits for a member: not run before it is answered. */
  private readonly awaitingAck = new Set<string>()

  constructor(private readonly options: JobServiceOptions) {
    this.view = new JobView(options.retentionMs, undefined, options.onDuplicateFiring)
    this.jobLog = new JobLog(
      options.store,
      options.registry,
      options.parts.edge.id,
      (entry, at) => this.view.apply(entry, at),
      options.log,
      options.segmentBlocks
    )
    this.runner = new JobRunner(
      {
        ...options.parts,
        record: async (event) => void (await this.jobLog.append({ kind: 'event', event }))
      },
      {
        leaseMs: options.leaseMs,
        retryDelayMs: options.retryDelayMs,
        maxInFlight: options.maxInFlight,
        resumeAfter: options.clustered ? this.startedAt + options.leaseMs : 0,
        wake: () => this.tickSoon()
      }
    )
  }

  /** Opens the log (reading every segment) and starts the runner. */
  async ready(): Promise<void> {
    await this.jobLog.ready()
    this.timer = setInterval(() => void this.tick(), TICK_MS)
    this.timer.unref()
  }

  /** A registry entry changed: a segment may have been announced or retired. */
  segmentsChanged(): void {
    void this.jobLog.sync().catch((err: unknown) => this.options.log.warn({ err }, 'job log sync'))
  }

  /** Stops the runner and closes the log (attempts in flight finish on their own or not). */
  async close(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer)
    await this.jobLog.close()
  }

  /**
   * Accepts async work: on disk, and held by a member when the edge has one and the ack is
   * `replicated`; ASYNC_NOT_REPLICATED (503) when no member took it in time (the job is then
   * cancelled, so a client retrying elsewhere does not run it twice).
   */
  async accept(work: NewJob, ack = this.options.ack): Promise<JobAccepted> {
    const { edge } = this.options.parts
    const accepted: JobAccepted = {
      id: randomBytes(16).toString('hex'),
      ...work,
      acceptedAt: Date.now(),
      edge: edge.id,
      edgeName: edge.name
    }
    this.awaitingAck.add(accepted.id)
    try {
      await this.acknowledge(accepted, ack)
    } finally {
      this.awaitingAck.delete(accepted.id)
    }
    this.tickSoon() // run it now, not at the next tick
    return accepted
  }

  private async acknowledge(accepted: JobAccepted, ack: AsyncAck): Promise<void> {
    const { edge } = this.options.parts
    const { held } = await this.jobLog.append({ kind: 'accepted', accepted })
    if (ack === 'replicated' && this.options.parts.members().length > 0) {
      let timer: NodeJS.Timeout | undefined
      const late = new Promise<false>(
        (resolve) => (timer = setTimeout(resolve, ACK_TIMEOUT_MS, false))
      )
      const ok = await Promise.race([held.then(() => true), late])
      clearTimeout(timer)
      if (!ok) {
        const event = eventOf(accepted.id, 'cancelled', edge, { status: 503 })
        await this.jobLog.append({ kind: 'event', event })
        throw ASYNC_NOT_REPLICATED(ACK_TIMEOUT_MS)
      }
    }
  }

  /**
   * A job by id. An id not seen yet may have been accepted a moment ago elsewhere: the members'
   * logs are brought up to date (a refresh can ride on an update already under way, which may
   * end at an older length: so again, within the bound) before it is called unknown.
   */
  async find(id: string): Promise<JobState | undefined> {
    const known = this.view.get(id)
    if (known !== undefined || !/^[0-9a-f]{32}$/.test(id)) return known
    const deadline = Date.now() + LOOKUP_REFRESH_MS
    for (let round = 0; round < 3 && Date.now() < deadline; round++) {
      await this.jobLog.refresh(deadline - Date.now())
      const found = this.view.get(id)
      if (found !== undefined) return found
    }
    return undefined
  }

  /** Unfinished jobs, but those whose accept still waits for a member. */
  private *runnable(): Generator<JobState> {
    for (const job of this.view.unfinished()) if (!this.awaitingAck.has(job.id)) yield job
  }

  /** Jobs not finished (the queue). */
  pending(): number {
    return this.view.pending
  }

  /** Job log segments followed here (they go once their jobs are forgotten). */
  get segments(): number {
    return this.jobLog.segmentCount
  }

  /** Seconds since the oldest unfinished job was accepted (0: none). */
  oldestAgeSeconds(now = Date.now()): number {
    let oldest = now
    for (const job of this.view.unfinished()) {
      oldest = Math.min(oldest, job.accepted?.acceptedAt ?? now)
    }
    return (now - oldest) / 1000
  }

  /** Shards done of an attempt running here now, or null. */
  progress(id: string): { done: number; total: number } | null {
    return this.runner.progress(id)
  }

  /** Attempts running on this edge now. */
  get inFlight(): number {
    return this.runner.inFlight
  }

  /** One tick on the next turn of the loop for any number of accepts in this one. */
  private tickSoon(): void {
    if (this.tickQueued) return
    this.tickQueued = true
    setImmediate(() => {
      this.tickQueued = false
      void this.tick()
    })
  }

  private async tick(): Promise<void> {
    if (this.ticking) return
    this.ticking = true
    try {
      this.runner.tick(this.runnable())
      if (this.view.sweep() > 0) {
        for (const segment of this.jobLog.ownRetirable()) {
          if (this.view.held(segment) === 0) await this.jobLog.retire(segment)
        }
      }
    } catch (err) {
      this.options.log.warn({ err }, 'job tick failed')
    } finally {
      this.ticking = false
    }
  }
}
