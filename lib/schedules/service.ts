import { RESOURCE_NOT_FOUND, SCHEDULE_CONFLICT, SCHEDULE_INVALID } from '../errors.js'
import type { ScheduleRecord } from '../wire/schedules.js'
import type { ScheduleBook } from './book.js'
import { latestFiring, nextFiring, parseExpression, type ScheduleExpression } from './expression.js'

/** The only schedule group here (AWS's `default`). */
export const DEFAULT_GROUP = 'default'
const NAME = /^[0-9a-zA-Z_.-]{1,64}$/
/** A function ARN: arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]. */
const FUNCTION_ARN =
  /^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:([a-zA-Z0-9_-]{1,64})(?::([a-zA-Z0-9$_-]{1,128}))?$/

/** A schedule as a request describes it, parsed but not checked. */
export type ScheduleInput = Omit<ScheduleRecord, 'created' | 'modified' | 'revision' | 'deleted'>

/** A schedule with its parsed expression (what the firing side reads). */
export interface Schedule {
  record: ScheduleRecord
  expression: ScheduleExpression
  /** The function its target names, and the qualifier ('' for none). */
  functionName: string
  qualifier: string
}

/**
 * EventBridge Scheduler's schedules, as the API manages them: checked (name, group, expression,
 * time zone, dates, target ARN, window, retry policy), stored in the registry (ScheduleBook) and
 * read back. Firing them is lib/schedules/firing.ts's job.
 */
export class ScheduleService {
  /** Parsed schedules by `group/name@revision` (null: it does not parse here). */
  private parsed = new Map<string, Schedule | null>()

  constructor(private readonly book: ScheduleBook) {}

  /** CreateSchedule: ConflictException when the name is taken. */
  async create(input: ScheduleInput, now = Date.now()): Promise<ScheduleRecord> {
    check(input)
    const held = this.book.held(input.group, input.name)
    if (held !== null && !held.deleted) {
      throw SCHEDULE_CONFLICT(`Schedule ${input.name} already exists.`)
    }
    const record: ScheduleRecord = {
      ...input,
      created: now,
      modified: now,
      revision: (held?.revision ?? 0) + 1,
      deleted: false
    }
    await this.book.put(record)
    return record
  }

  /** UpdateSchedule: the whole schedule replaced, as AWS does. */
  async update(input: ScheduleInput, now = Date.now()): Promise<ScheduleRecord> {
    check(input)
    const held = this.get(input.group, input.name)
    const record: ScheduleRecord = {
      ...input,
      created: held.created,
      modified: now,
      revision: held.revision + 1,
      deleted: false
    }
    await this.book.put(record)
    return record
  }

  /** DeleteSchedule. */
  async delete(group: string, name: string, now = Date.now()): Promise<void> {
    const held = this.get(group, name)
    await this.book.put({ ...held, modified: now, revision: held.revision + 1, deleted: true })
  }

  /** GetSchedule: ResourceNotFoundException when there is none. */
  get(group: string, name: string): ScheduleRecord {
    checkGroup(group)
    const record = this.book.get(group, name)
    if (record === null) throw RESOURCE_NOT_FOUND(`Schedule ${name}`)
    return record
  }

  /** ListSchedules, optionally by name prefix and state. */
  list(filter: { prefix?: string; state?: string } = {}): ScheduleRecord[] {
    return this.book
      .list()
      .filter((s) => filter.prefix === undefined || s.name.startsWith(filter.prefix))
      .filter((s) => filter.state === undefined || s.state === filter.state)
  }

  /**
   * Every live schedule with its expression parsed (one that no longer parses is skipped),
   * parsed once per revision: the firing side asks four times a second.
   */
  schedules(): Schedule[] {
    const out: Schedule[] = []
    const parsed = new Map<string, Schedule | null>()
    for (const record of this.book.list()) {
      const key = `${record.group}/${record.name}@${record.revision}`
      let schedule = this.parsed.get(key)
      if (schedule === undefined) schedule = parse(record)
      parsed.set(key, schedule)
      if (schedule !== null) out.push({ ...schedule, record })
    }
    this.parsed = parsed
    return out
  }

  /**
   * The latest firing in (`after`, `now`] within its dates, or null; none once past its end
   * date (a schedule that ended while nobody could fire it does not catch up).
   */
  static latest(schedule: Schedule, after: number, now: number): number | null {
    const { startDate, endDate, created } = schedule.record
    if (endDate !== 0 && now > endDate) return null
    return latestFiring(
      schedule.expression,
      Math.max(after, startDate - 1),
      now,
      startDate === 0 ? created : startDate
    )
  }

  /** The schedule's next firing after `after` within its dates, or null. */
  static next(schedule: Schedule, after: number): number | null {
    const { startDate, endDate, created } = schedule.record
    const from = Math.max(after, startDate === 0 ? 0 : startDate - 1)
    const next = nextFiring(schedule.expression, from, startDate === 0 ? created : startDate)
    return next === null || (endDate !== 0 && next > endDate) ? null : next
  }
}

/** A stored schedule, parsed; null when this edge refuses what another accepted. */
function parse(record: ScheduleRecord): Schedule | null {
  try {
    const target = FUNCTION_ARN.exec(record.target.arn)
    if (target === null) return null
    return {
      record,
      expression: parseExpression(record.expression, record.timezone),
      functionName: target[1] as string,
      qualifier: target[2] ?? ''
    }
  } catch {
    return null
  }
}

function check(input: ScheduleInput): void {
  if (!NAME.test(input.name)) {
    throw SCHEDULE_INVALID('Name', 'must be 1 to 64 letters, digits, ".", "-" or "_"')
  }
  checkGroup(input.group)
  parseExpression(input.expression, input.timezone)
  if (input.endDate !== 0 && input.endDate <= input.startDate) {
    throw SCHEDULE_INVALID('EndDate', 'must be after StartDate')
  }
  if (!FUNCTION_ARN.test(input.target.arn)) {
    throw SCHEDULE_INVALID(
      'Target.Arn',
      'must be a Lambda function ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER])'
    )
  }
  if (input.flexibleMinutes < 0 || input.flexibleMinutes > 1440) {
    throw SCHEDULE_INVALID('FlexibleTimeWindow.MaximumWindowInMinutes', 'must be from 1 to 1440')
  }
  const { maximumRetryAttempts: retries, maximumEventAgeInSeconds: age } = input.target
  if (retries !== -1 && (retries < 0 || retries > 185)) {
    throw SCHEDULE_INVALID('Target.RetryPolicy.MaximumRetryAttempts', 'must be from 0 to 185')
  }
  if (age !== -1 && (age < 60 || age > 86_400)) {
    throw SCHEDULE_INVALID(
      'Target.RetryPolicy.MaximumEventAgeInSeconds',
      'must be from 60 to 86400'
    )
  }
}

function checkGroup(group: string): void {
  if (group !== DEFAULT_GROUP) {
    throw RESOURCE_NOT_FOUND(`Schedule group ${group} (only the default group exists here)`)
  }
}
