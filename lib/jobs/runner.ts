import type { Logger } from 'pino'
import { rendezvous } from '../cluster/rendezvous.js'
import type { AsyncSettings } from '../registry/event-invoke.js'
import type { JobAccepted, JobEvent, JobEventType } from '../wire/jobs.js'
import type { JobState } from './view.js'

/** Shard counts of finished attempts kept for the console, at most. */
const KEPT_PROGRESS = 1_000

/** How one attempt at a job ended. */
export type AttemptOutcome =
  /** Over a concurrency limit before it started: tried again soon, no invocation counted. */
  | { kind: 'throttled' }
  | {
      kind: 'done'
      /** 200, or 206 when shards were lost. */
      status: number
      /** What GET answers beyond the job's head: `{result, partial, missing, shards}`. */
      answer: Uint8Array
      /** The function's own answer (a destination's `responsePayload`), JSON. */
      response: Uint8Array
      version: string
    }
  | {
      kind: 'error'
      /** A function error counts against MaximumRetryAttempts; a throttle or an outage does not. */
      counted: boolean
      /** False when no retry can help (the function is gone, the input is refused). */
      retry: boolean
      /** What GET answers beyond the head once failed: `{error}`. */
      answer: Uint8Array
      /** The error as a destination's `responsePayload`, JSON. */
      response: Uint8Array
      /** `Unhandled` for a function error, else null. */
      functionError: string | null
      version: string
    }

/** What the runner needs of the rest of the edge. */
export interface RunnerParts {
  /** This edge's id and name. */
  edge: { id: string; name: string }
  /** Appends an event to this edge's log (resolves once it is on disk). */
  record(event: JobEvent): Promise<void>
  /**
   * Runs one attempt of a job here: `begin` once it holds its concurrency slot (the attempt is
   * recorded then), `progress` as its shards finish.
   */
  execute(
    job: JobAccepted,
    attempt: number,
    begin: () => Promise<void>,
    progress: (done: number, total: number) => void
  ): Promise<AttemptOutcome>
  /** The ARN a destination's record names: the function, qualified (`:$LATEST` when not). */
  arn(job: JobAccepted): string
  /** A job's async settings (retries, age, destinations). */
  settings(job: JobAccepted): AsyncSettings
  /** Sends an invocation record to a destination function, asynchronously. */
  deliver(arn: string, record: Record<string, unknown>): Promise<void>
  /** The edges alive now besides this one (healthy, connected members). */
  members(): string[]
  /** Told of retries, takeovers and duplicates (metrics). */
  observe?(what: 'retry' | 'takeover' | 'duplicate'): void
  log: Logger
}

/** Options of the runner. */
export interface RunnerOptions {
  /** An edge unseen this long has its unfinished jobs taken over. */
  leaseMs: number
  /** The first retry's delay (doubled for the next). */
  retryDelayMs: number
  /** Attempts running here at once, at most. */
  maxInFlight: number
  /** Jobs accepted by this edge before this time wait a lease before it resumes them. */
  resumeAfter: number
  /** Called when an attempt ends: a slot is free, so the next tick need not wait its turn. */
  wake?: () => void
}

/**
 * Runs the async work this edge owns: the jobs it accepted, and those it took over from an edge
 * gone longer than a lease (each such job goes to one survivor: rendezvous hashing of its id over
 * the live edges). Each attempt is recorded before it starts; a failed one is retried with
 * backoff within the job's settings, and the outcome is sent to its destination.
 */
export class JobRunner {
  private readonly running = new Set<string>()
  private readonly shards = new Map<string, { done: number; total: number }>()
  private readonly lastSeen = new Map<string, number>()
  private readonly startedAt = Date.now()
  /** Throttled jobs: when to try again, and how many times in a row they were. */
  private readonly throttled = new Map<string, { until: number; times: number }>()

  constructor(
    private readonly parts: RunnerParts,
    private readonly options: RunnerOptions
  ) {}

  /** Jobs being attempted here now. */
  get inFlight(): number {
    return this.running.size
  }

  /** Shards done of the last attempt run here (running or finished), or null. */
  progress(id: string): { done: number; total: number } | null {
    return this.shards.get(id) ?? null
  }

  /** Looks at every unfinished job once: runs what is due here, takes over what is orphaned. */
  tick(jobs: Iterable<JobState>, now = Date.now()): void {
    const self = this.parts.edge.id
    const alive = this.parts.members()
    for (const id of alive) this.lastSeen.set(id, now)
    for (const job of jobs) {
      if (this.running.size >= this.options.maxInFlight) return
      const accepted = job.accepted
      if (accepted === null || job.finishedAt !== null || this.running.has(job.id)) continue
      if (job.owner === self) {
        if (job.retryAt > now || (this.throttled.get(job.id)?.until ?? 0) > now) continue
        const resumed = accepted.acceptedAt < this.startedAt && job.attempts > 0
        if (resumed && now < this.options.resumeAfter) continue
        void this.attempt(job, accepted, now)
      } else if (this.gone(job.owner, now)) {
        if (rendezvous(job.id, [self, ...alive]) === self) void this.takeOver(job, accepted)
      }
    }
  }

  private gone(edge: string, now: number): boolean {
    const seen = this.lastSeen.get(edge) ?? this.startedAt
    return now - seen > this.options.leaseMs
  }

  private async takeOver(job: JobState, accepted: JobAccepted): Promise<void> {
    this.running.add(job.id)
    try {
      await this.event(job, 'takeover', { from: job.owner })
      this.parts.observe?.('takeover')
      this.parts.log.info({ job: job.id, from: job.owner.slice(0, 16) }, 'job taken over')
    } catch (err) {
      this.parts.log.warn({ err, job: job.id }, 'job takeover not recorded')
      return void this.running.delete(job.id)
    }
    this.running.delete(job.id)
    await this.attempt(job, accepted)
  }

  private async attempt(job: JobState, accepted: JobAccepted, now = Date.now()): Promise<void> {
    if (this.running.has(job.id)) return
    this.running.add(job.id)
    try {
      const settings = this.parts.settings(accepted)
      if (now - accepted.acceptedAt > settings.maxEventAgeSeconds * 1000) {
        const answer = errorAnswer('EventAgeExceeded', 'The event was older than the maximum')
        await this.finish(job, accepted, settings, 'failed', 200, answer, null)
        return
      }
      const attempt = job.attempts + 1
      const outcome = await this.parts.execute(
        accepted,
        attempt,
        () => this.event(job, 'started', { attempt }),
        (done, total) => this.shards.set(job.id, { done, total })
      )
      if (outcome.kind === 'throttled') {
        // Not an invocation: retried with backoff, up to the event's maximum age.
        const times = (this.throttled.get(job.id)?.times ?? 0) + 1
        const delay = Math.min(this.options.retryDelayMs * 2 ** Math.min(times - 1, 6), 60_000)
        this.throttled.set(job.id, { until: Date.now() + delay, times })
        return
      }
      this.throttled.delete(job.id)
      // The last attempts' shard counts are kept (the console shows them), a bounded number.
      if (this.shards.size > KEPT_PROGRESS) {
        this.shards.delete(this.shards.keys().next().value as string)
      }
      if (outcome.kind === 'done') {
        await this.finish(job, accepted, settings, 'completed', outcome.status, outcome.answer, {
          outcome,
          attempt
        })
        return
      }
      const countedSoFar = job.events.filter((e) => e.type === 'retrying' && e.status === 200)
      const counted = countedSoFar.length + (outcome.counted ? 1 : 0)
      if (outcome.retry && (!outcome.counted || counted <= settings.maxRetryAttempts)) {
        const delay = this.options.retryDelayMs * 2 ** Math.min(attempt - 1, 6)
        await this.event(job, 'retrying', {
          attempt,
          status: outcome.counted ? 200 : 503,
          body: outcome.answer,
          retryAt: Date.now() + delay
        })
        this.parts.observe?.('retry')
        return
      }
      await this.finish(job, accepted, settings, 'failed', 200, outcome.answer, {
        outcome,
        attempt
      })
    } catch (err) {
      this.parts.log.warn({ err, job: job.id }, 'job attempt not recorded')
    } finally {
      this.running.delete(job.id)
      this.options.wake?.()
    }
  }

  /** Records the end and sends the invocation record to the destination, if there is one. */
  private async finish(
    job: JobState,
    accepted: JobAccepted,
    settings: AsyncSettings,
    type: 'completed' | 'failed',
    status: number,
    answer: Uint8Array,
    ran: { outcome: Exclude<AttemptOutcome, { kind: 'throttled' }>; attempt: number } | null
  ): Promise<void> {
    if (job.finishedAt !== null) this.parts.observe?.('duplicate')
    await this.event(job, type, { status, body: answer, attempt: ran?.attempt ?? job.attempts })
    const destination = type === 'completed' ? settings.onSuccess : settings.onFailure
    if (destination === '' || accepted.source === 'job') return
    const condition =
      type === 'completed' ? 'Success' : ran === null ? 'EventAgeExceeded' : 'RetriesExhausted'
    const outcome = ran?.outcome
    const record = {
      version: '1.0',
      timestamp: new Date().toISOString(),
      requestContext: {
        requestId: accepted.requestId,
        functionArn: this.parts.arn(accepted),
        condition,
        approximateInvokeCount: ran?.attempt ?? job.attempts
      },
      requestPayload: jsonOf(accepted.payload),
      responseContext: {
        statusCode: 200,
        executedVersion: outcome?.version ?? '$LATEST',
        ...(outcome?.kind === 'error' && outcome.functionError !== null
          ? { functionError: outcome.functionError }
          : {})
      },
      responsePayload: outcome === undefined ? null : jsonOf(outcome.response)
    }
    await this.parts.deliver(destination, record).catch((err: unknown) => {
      this.parts.log.warn({ err, job: job.id, destination }, 'destination not invoked')
    })
  }

  private event(
    job: JobState,
    type: JobEventType,
    fields: Partial<Pick<JobEvent, 'attempt' | 'status' | 'body' | 'retryAt' | 'from'>>
  ): Promise<void> {
    return this.parts.record(
      eventOf(job.id, type, this.parts.edge, { attempt: job.attempts, ...fields })
    )
  }
}

/** An event of a job, as an edge appends it (fields not given: zero, empty). */
export function eventOf(
  id: string,
  type: JobEventType,
  edge: { id: string; name: string },
  fields: Partial<Pick<JobEvent, 'attempt' | 'status' | 'body' | 'retryAt' | 'from'>> = {}
): JobEvent {
  return {
    id,
    type,
    at: Date.now(),
    edge: edge.id,
    edgeName: edge.name,
    attempt: fields.attempt ?? 0,
    status: fields.status ?? 0,
    body: fields.body ?? new Uint8Array(0),
    retryAt: fields.retryAt ?? 0,
    from: fields.from ?? ''
  }
}

/** A failed job's answer for GET: `{error: {errorType, errorMessage, errorCode}}`. */
export function errorAnswer(errorType: string, errorMessage: string, errorCode = errorType) {
  return Buffer.from(JSON.stringify({ error: { errorType, errorMessage, errorCode } }))
}

/** Bytes as the JSON value they hold, or as a string when they are not JSON. */
function jsonOf(bytes: Uint8Array): unknown {
  const text = Buffer.from(bytes).toString('utf8')
  try {
    return JSON.parse(text) as unknown
  } catch {
    return text
  }
}
