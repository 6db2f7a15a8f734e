import type { JobAccepted, JobEntry, JobEvent } from '../wire/jobs.js'
import type { EntryAt } from './log.js'

/** A job's state as every edge derives it from the log. */
export type JobStatus = 'pending' | 'completed' | 'partial' | 'failed' | 'cancelled'

/** One job, merged from every edge's log. */
export interface JobState {
  id: string
  /** Null until the accepting edge's entry has arrived (events may come first). */
  accepted: JobAccepted | null
  /** Every event, in the order of their times. */
  events: JobEvent[]
  status: JobStatus
  /** The edge that runs it now: the accepting one, or the last to take it over. */
  owner: string
  /** Attempts started so far. */
  attempts: number
  /** When the next attempt is due (0: now). */
  retryAt: number
  finishedAt: number | null
  /** Which segments hold entries of it (what keeps a segment from being retired). */
  segments: Set<string>
}

/**
 * The merged view of every edge's job log: entries in, one state per job out. Entries of one
 * segment arrive in order; across segments in any order, so a job's state is recomputed from its
 * events sorted by time whenever one arrives. A job is forgotten `retentionMs` after it finished
 * (or was cancelled); `onForget` hears it, so the segments it kept can be retired.
 */
export class JobView {
  private readonly jobs = new Map<string, JobState>()
  /** Jobs accepted and not finished (the runner's work list, read at every tick). */
  private readonly open = new Set<JobState>()
  /** Finished jobs by finish time, oldest first (what a sweep walks from the front). */
  private readonly expiring: JobState[] = []
  /** How many remembered jobs each segment holds entries of. */
  private readonly holding = new Map<string, number>()
  /** Each schedule's latest tick that some edge fired (kept after its job is forgotten). */
  private readonly lastTicks = new Map<string, number>()
  /** Remembered firings, `schedule@tick` → job id: a second job for one is a duplicate. */
  private readonly firings = new Map<string, string>()

  constructor(
    private readonly retentionMs: number,
    private readonly onChange: (job: JobState) => void = () => undefined,
    /** Told when a tick turns out to have been fired twice (two edges around a handover). */
    private readonly onDuplicateFiring: (schedule: string, tick: number) => void = () => undefined
  ) {}

  /** The latest tick of a schedule that was fired (0: none known here). */
  lastTick(schedule: string): number {
    return this.lastTicks.get(schedule) ?? 0
  }

  /** Applies one entry of a segment. */
  apply(entry: JobEntry, at: EntryAt): void {
    const id = entry.kind === 'accepted' ? entry.accepted.id : entry.event.id
    let job = this.jobs.get(id)
    if (job === undefined) {
      job = {
        id,
        accepted: null,
        events: [],
        status: 'pending',
        owner: '',
        attempts: 0,
        retryAt: 0,
        finishedAt: null,
        segments: new Set()
      }
      this.jobs.set(id, job)
    }
    if (!job.segments.has(at.segment)) {
      job.segments.add(at.segment)
      this.holding.set(at.segment, (this.holding.get(at.segment) ?? 0) + 1)
    }
    if (entry.kind === 'accepted') {
      if (job.accepted === null) this.fired(entry.accepted)
      job.accepted ??= entry.accepted
    } else insert(job.events, entry.event)
    const finishedBefore = job.finishedAt
    derive(job)
    if (job.accepted !== null && job.finishedAt === null) this.open.add(job)
    else this.open.delete(job)
    if (job.finishedAt !== null && finishedBefore === null) this.expireLater(job)
    if (job.accepted !== null) this.onChange(job)
  }

  /** A job by id (accepted, not yet forgotten). */
  get(id: string): JobState | undefined {
    const job = this.jobs.get(id)
    return job?.accepted === null ? undefined : job
  }

  /** Every remembered job, newest first. */
  list(): JobState[] {
    return [...this.jobs.values()]
      .filter((job) => job.accepted !== null)
      .sort((a, b) => (b.accepted?.acceptedAt ?? 0) - (a.accepted?.acceptedAt ?? 0))
  }

  /** Jobs not finished: a live iterator over the open set (no copy per tick). */
  unfinished(): IterableIterator<JobState> {
    return this.open.values()
  }

  /** How many jobs are not finished. */
  get pending(): number {
    return this.open.size
  }

  /** How many remembered jobs hold entries in a segment (0: it may be retired). */
  held(segment: string): number {
    return this.holding.get(segment) ?? 0
  }

  /**
   * Forgets jobs finished more than the retention ago; returns how many. Walks the finished
   * jobs from the oldest and stops at the first one still kept.
   */
  sweep(now = Date.now()): number {
    let forgotten = 0
    let due = 0
    while (due < this.expiring.length) {
      const finishedAt = (this.expiring[due] as JobState).finishedAt as number
      if (now - finishedAt < this.retentionMs) break
      due++
    }
    for (const job of this.expiring.splice(0, due)) {
      this.jobs.delete(job.id)
      const firing = job.accepted?.firing
      if (firing !== undefined) this.firings.delete(`${firing.schedule}@${firing.tick}`)
      for (const segment of job.segments) {
        const left = (this.holding.get(segment) ?? 1) - 1
        if (left === 0) this.holding.delete(segment)
        else this.holding.set(segment, left)
      }
      forgotten++
    }
    return forgotten
  }

  /** Notes a schedule's firing: its latest tick, and whether another job already fired it. */
  private fired(accepted: JobAccepted): void {
    const firing = accepted.firing
    if (firing === undefined) return
    const { schedule, tick } = firing
    if (tick > (this.lastTicks.get(schedule) ?? 0)) this.lastTicks.set(schedule, tick)
    const key = `${schedule}@${tick}`
    const first = this.firings.get(key)
    if (first === undefined) this.firings.set(key, accepted.id)
    else if (first !== accepted.id) this.onDuplicateFiring(schedule, tick)
  }

  /** Queues a job that just finished by its finish time (mostly at the end: a binary search). */
  private expireLater(job: JobState): void {
    const at = job.finishedAt as number
    let low = 0
    let high = this.expiring.length
    while (low < high) {
      const mid = (low + high) >>> 1
      if (((this.expiring[mid] as JobState).finishedAt as number) <= at) low = mid + 1
      else high = mid
    }
    this.expiring.splice(low, 0, job)
  }
}

/** Inserts an event in time order (after those of the same time: arrival breaks ties). */
function insert(events: JobEvent[], event: JobEvent): void {
  let at = events.length
  while (at > 0 && (events[at - 1] as JobEvent).at > event.at) at--
  events.splice(at, 0, event)
}

/** Recomputes a job's state from its accepted entry and its events. */
function derive(job: JobState): void {
  job.owner = job.accepted?.edge ?? ''
  job.attempts = 0
  job.retryAt = 0
  job.status = 'pending'
  job.finishedAt = null
  for (const event of job.events) {
    switch (event.type) {
      case 'takeover':
        if (job.finishedAt === null) job.owner = event.edge
        break
      case 'started':
        job.attempts = Math.max(job.attempts, event.attempt)
        break
      case 'retrying':
        if (job.finishedAt === null) job.retryAt = event.retryAt
        break
      case 'completed':
      case 'failed':
      case 'cancelled':
        if (job.finishedAt === null) {
          job.status =
            event.type === 'completed'
              ? event.status === 206
                ? 'partial'
                : 'completed'
              : event.type
          job.finishedAt = event.at
        }
        break
    }
  }
  // A finished job's payload is not needed any more: only what GET answers is kept in memory.
  if (job.finishedAt !== null && job.accepted !== null && job.accepted.payload.length > 0) {
    job.accepted = { ...job.accepted, payload: new Uint8Array(0), module: null }
  }
}
