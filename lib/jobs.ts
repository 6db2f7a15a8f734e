import { randomBytes } from 'node:crypto'
import type { SwarmError } from './errors.js'
import type { Invocation, InvocationResult, Scheduler } from './scheduler/run.js'

/** Jobs kept at most (running and finished); the oldest finished ones go first beyond this. */
const MAX_JOBS = 10_000

/** A job's state, as the seed's API reports it. */
export type JobStatus = 'pending' | 'completed' | 'partial' | 'failed'

/** An async invocation: created pending, finished once, forgotten `ttlMs` after finishing. */
export interface Job {
  id: string
  functionName: string
  status: JobStatus
  created: number
  finished: number | null
  shardsTotal: number
  shardsDone: number
  result: InvocationResult | null
  error: SwarmError | null
}

/** Options for the job table. */
export interface JobsOptions {
  /** How long a finished job stays readable. */
  ttlMs: number
}

/**
 * The table of async jobs (seed `/api/v1/jobs` and AWS `Event` invocations): ids, states and
 * expiry. The work itself is a promise handed in; the table only records how it ends.
 */
export class Jobs {
  private readonly jobs = new Map<string, Job>()
  private readonly expiries = new Map<string, NodeJS.Timeout>()
  private readonly ttlMs: number

  constructor(options: JobsOptions) {
    this.ttlMs = options.ttlMs
  }

  /**
   * Starts an invocation on the scheduler as a pending job and follows it to its end;
   * `onSettled` runs once it has (e.g. to release its concurrency slot).
   */
  start(invocation: Invocation, scheduler: Scheduler, onSettled?: () => void): Job {
    const job: Job = {
      id: randomBytes(16).toString('hex'),
      functionName: invocation.functionName,
      status: 'pending',
      created: Date.now(),
      finished: null,
      shardsTotal: 0,
      shardsDone: 0,
      result: null,
      error: null
    }
    const work = scheduler.run(invocation, (done, total) => {
      job.shardsDone = done
      job.shardsTotal = total
    })
    this.jobs.set(job.id, job)
    this.evictBeyondCapacity()
    work.then(
      (result) => {
        onSettled?.()
        job.result = result
        this.finish(job, result.partial ? 'partial' : 'completed')
      },
      (err: SwarmError) => {
        onSettled?.()
        job.error = err
        this.finish(job, 'failed')
      }
    )
    return job
  }

  /** A job by id, while it is pending or not yet expired. */
  get(id: string): Job | undefined {
    return this.jobs.get(id)
  }

  /** The most recent jobs, newest first. */
  recent(limit: number): Job[] {
    return [...this.jobs.values()].sort((a, b) => b.created - a.created).slice(0, limit)
  }

  /** Jobs not yet finished. */
  pending(): number {
    let n = 0
    for (const job of this.jobs.values()) if (job.status === 'pending') n++
    return n
  }

  /** Forgets every job and cancels the expiry timers. */
  close(): void {
    for (const timer of this.expiries.values()) clearTimeout(timer)
    this.expiries.clear()
    this.jobs.clear()
  }

  private finish(job: Job, status: JobStatus): void {
    job.status = status
    job.finished = Date.now()
    if (!this.jobs.has(job.id)) return // closed or evicted meanwhile
    const timer = setTimeout(() => this.forget(job.id), this.ttlMs)
    timer.unref()
    this.expiries.set(job.id, timer)
  }

  private forget(id: string): void {
    this.jobs.delete(id)
    clearTimeout(this.expiries.get(id))
    this.expiries.delete(id)
  }

  private evictBeyondCapacity(): void {
    if (this.jobs.size <= MAX_JOBS) return
    for (const job of this.jobs.values()) {
      if (job.status !== 'pending') {
        this.forget(job.id)
        if (this.jobs.size <= MAX_JOBS) return
      }
    }
  }
}
