import { createHash, randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import { rendezvous } from '../cluster/rendezvous.js'
import type { JobService } from '../jobs/service.js'
import { ScheduleService, type Schedule } from './service.js'

/** How often the edge looks at the schedules. */
const TICK_MS = 250

/** What firing needs of the rest of the edge. */
export interface FiringParts {
  edge: { id: string; name: string }
  /** The healthy, connected members now. */
  members(): string[]
  jobs: JobService
  schedules: ScheduleService
  log: Logger
  /** Told of each firing (metrics). */
  fired(): void
}

/**
 * Fires the schedules this edge owns: each enabled schedule belongs to one edge, the winner of
 * rendezvous hashing of its name over this edge and its healthy members, which fires each due
 * tick as a durable async job whose log entry records the schedule and the tick (the record and
 * the queueing are one append). Any edge knows the last tick fired from the merged job log, so
 * when an owner goes, the next one fires each tick it did not. Ticks missed while nobody could
 * fire (the whole mesh down) fire once, as the latest one due. A flexible window delays a firing by
 * a spread of the window that every edge computes the same. An edge that has just started waits
 * a lease first (its members connect; the mesh agrees on owners).
 */
export class ScheduleFiring {
  private timer: NodeJS.Timeout | null = null
  /** When this edge may fire (a clustered edge waits a lease after it starts). */
  private readonly readyAt: number
  private readonly inFlight = new Set<string>()

  constructor(
    private readonly parts: FiringParts,
    options: { leaseMs: number; clustered: boolean }
  ) {
    this.readyAt = Date.now() + (options.clustered ? options.leaseMs : 0)
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), TICK_MS)
    this.timer.unref()
  }

  close(): void {
    if (this.timer !== null) clearInterval(this.timer)
  }

  /** Each schedule's last fired tick and next tick (what GET and /metrics show). */
  status(): { schedule: string; last: number; next: number | null }[] {
    return this.parts.schedules.schedules().map((schedule) => {
      const key = `${schedule.record.group}/${schedule.record.name}`
      const last = this.parts.jobs.view.lastTick(key)
      const next =
        schedule.record.state === 'ENABLED'
          ? ScheduleService.next(schedule, Math.max(last, schedule.record.modified - 1))
          : null
      return { schedule: key, last, next }
    })
  }

  /** Looks at every schedule once; fires what is due here. */
  tick(now = Date.now()): void {
    if (now < this.readyAt) return
    const live = [this.parts.edge.id, ...this.parts.members()]
    for (const schedule of this.parts.schedules.schedules()) {
      const key = `${schedule.record.group}/${schedule.record.name}`
      if (schedule.record.state !== 'ENABLED') continue
      if (rendezvous(key, live) !== this.parts.edge.id) continue
      const due = this.due(schedule, key, now)
      if (due === null) {
        void this.complete(schedule, key)
        continue
      }
      const id = `${key}@${due}`
      if (this.inFlight.has(id) || now < due + spread(schedule, due)) continue
      this.inFlight.add(id)
      void this.fire(schedule, key, due).finally(() => this.inFlight.delete(id))
    }
  }

  /**
   * The tick to fire now, or null (none due). Ticks that came due while this edge could fire
   * (an owner that went, a handover) fire each in turn; ticks from before it could (the whole
   * mesh down, this edge starting) fire once, as the latest of them.
   */
  private due(schedule: Schedule, key: string, now: number): number | null {
    const after = Math.max(this.parts.jobs.view.lastTick(key), schedule.record.modified - 1)
    const next = ScheduleService.next(schedule, after)
    if (next === null || next > now) return null
    if (next >= this.readyAt) return next
    return ScheduleService.latest(schedule, after, Math.min(now, this.readyAt))
  }

  private async fire(schedule: Schedule, key: string, tick: number): Promise<void> {
    const { record } = schedule
    try {
      const job = await this.parts.jobs.accept({
        source: 'schedule',
        functionName: schedule.functionName,
        qualifier: schedule.qualifier,
        payload: Buffer.from(record.target.input === '' ? '{}' : record.target.input),
        module: null,
        requestId: randomUUID(),
        firing: { schedule: key, tick }
      })
      this.parts.fired()
      this.parts.log.info(
        { schedule: key, tick: new Date(tick).toISOString(), job: job.id },
        'schedule fired'
      )
    } catch (err) {
      this.parts.log.warn({ err, schedule: key }, 'schedule not fired')
    }
  }

  /** A one-time schedule that fired, with ActionAfterCompletion DELETE, is deleted. */
  private async complete(schedule: Schedule, key: string): Promise<void> {
    const { record } = schedule
    if (record.afterCompletion !== 'DELETE' || schedule.expression.kind !== 'at') return
    if (this.parts.jobs.view.lastTick(key) < schedule.expression.at || this.inFlight.has(key))
      return
    this.inFlight.add(key)
    try {
      await this.parts.schedules.delete(record.group, record.name)
      this.parts.log.info({ schedule: key }, 'schedule completed and deleted')
    } catch (err) {
      this.parts.log.warn({ err, schedule: key }, 'completed schedule not deleted')
    } finally {
      this.inFlight.delete(key)
    }
  }
}

/** Where in its flexible window a tick fires: the same on every edge (a hash of both). */
export function spread(schedule: Schedule, tick: number): number {
  const windowMs = schedule.record.flexibleMinutes * 60_000
  if (windowMs === 0) return 0
  const key = `${schedule.record.group}/${schedule.record.name}@${tick}`
  return createHash('sha256').update(key).digest().readUInt32BE(0) % windowMs
}
