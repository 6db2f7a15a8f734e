import type { Logger } from 'pino'
import type { Registry } from '../registry/registry.js'
import { KEYS } from '../registry/writer.js'
import { decode, encode } from '../wire/codec.js'
import { scheduleRecord, type ScheduleRecord } from '../wire/schedules.js'

/**
 * Schedules as every edge sees them: merged from every registry writer's `sched/` entries,
 * last-writer-wins by revision, then by writer key (as aliases are). Rebuilt when the
 * registry's generation moves, so a read is a map lookup.
 */
export class ScheduleBook {
  private built = -1
  private view = new Map<string, ScheduleRecord>()

  constructor(
    private readonly registry: Registry,
    private readonly log: Logger
  ) {}

  /** A schedule (a tombstone included: its revision counts), or null. */
  held(group: string, name: string): ScheduleRecord | null {
    return this.current().get(`${group}/${name}`) ?? null
  }

  /** A live schedule, or null. */
  get(group: string, name: string): ScheduleRecord | null {
    const held = this.held(group, name)
    return held === null || held.deleted ? null : held
  }

  /** Every live schedule, by group then name. */
  list(): ScheduleRecord[] {
    return [...this.current().values()]
      .filter((s) => !s.deleted)
      .sort((a, b) => (a.group + '/' + a.name < b.group + '/' + b.name ? -1 : 1))
  }

  /** Stores a new revision (a tombstone when `deleted`) in this edge's writer. */
  async put(record: ScheduleRecord): Promise<void> {
    const key = `${KEYS.schedule}${record.group}/${record.name}`
    await this.registry.putEntry(key, encode(scheduleRecord, record))
  }

  private current(): Map<string, ScheduleRecord> {
    if (this.built === this.registry.generation) return this.view
    const view = new Map<string, ScheduleRecord>()
    const writers = new Map<string, string>()
    for (const [writer, key, value] of this.registry.entries(KEYS.schedule)) {
      let record: ScheduleRecord
      try {
        record = decode(scheduleRecord, value)
      } catch (err) {
        this.log.warn({ err, key }, 'schedule entry ignored')
        continue
      }
      const id = `${record.group}/${record.name}`
      const held = view.get(id)
      const wins =
        held === undefined ||
        record.revision > held.revision ||
        (record.revision === held.revision && writer > (writers.get(id) ?? ''))
      if (wins) {
        view.set(id, record)
        writers.set(id, writer)
      }
    }
    this.view = view
    this.built = this.registry.generation
    return view
  }
}
