import c from 'compact-encoding'
import { enumIndex, enumValue, versioned } from './codec.js'

/**
 * A schedule as the registry stores it (`sched/<group>/<name>`, lib/schedules/book.ts): AWS
 * EventBridge Scheduler's fields, a revision for last-writer-wins, and a tombstone flag.
 */
export const SCHEDULE_STATES = ['ENABLED', 'DISABLED'] as const
export type ScheduleState = (typeof SCHEDULE_STATES)[number]
export const AFTER_COMPLETION = ['NONE', 'DELETE'] as const
export type AfterCompletion = (typeof AFTER_COMPLETION)[number]

export interface ScheduleTarget {
  /** A function's ARN, with or without a qualifier. */
  arn: string
  /** Kept as given (no IAM here). */
  roleArn: string
  /** The event: a JSON string ('' for `{}`). */
  input: string
  /** RetryPolicy, or -1 for the function's own settings. */
  maximumRetryAttempts: number
  maximumEventAgeInSeconds: number
}

export interface ScheduleRecord {
  name: string
  group: string
  expression: string
  timezone: string
  /** ms since the epoch; 0: none. */
  startDate: number
  endDate: number
  state: ScheduleState
  /** FlexibleTimeWindow: 0 for OFF, else MaximumWindowInMinutes. */
  flexibleMinutes: number
  target: ScheduleTarget
  afterCompletion: AfterCompletion
  description: string
  created: number
  modified: number
  /** Logical clock: one more than the revision it replaced (the highest wins everywhere). */
  revision: number
  deleted: boolean
}

const fields = [
  ['name', c.string],
  ['group', c.string],
  ['expression', c.string],
  ['timezone', c.string],
  ['startDate', c.uint],
  ['endDate', c.uint],
  ['flexibleMinutes', c.uint],
  ['description', c.string],
  ['created', c.uint],
  ['modified', c.uint],
  ['revision', c.uint],
  ['deleted', c.bool]
] as const

/** ScheduleRecord, version 1. */
export const scheduleRecord: c.Encoder<ScheduleRecord> = versioned(1, 'schedule record', {
  preencode(state, s) {
    for (const [key, codec] of fields) (codec as c.Encoder<unknown>).preencode(state, s[key])
    c.uint.preencode(state, enumIndex(SCHEDULE_STATES, s.state))
    c.uint.preencode(state, enumIndex(AFTER_COMPLETION, s.afterCompletion))
    c.string.preencode(state, s.target.arn)
    c.string.preencode(state, s.target.roleArn)
    c.string.preencode(state, s.target.input)
    c.int.preencode(state, s.target.maximumRetryAttempts)
    c.int.preencode(state, s.target.maximumEventAgeInSeconds)
  },
  encode(state, s) {
    for (const [key, codec] of fields) (codec as c.Encoder<unknown>).encode(state, s[key])
    c.uint.encode(state, enumIndex(SCHEDULE_STATES, s.state))
    c.uint.encode(state, enumIndex(AFTER_COMPLETION, s.afterCompletion))
    c.string.encode(state, s.target.arn)
    c.string.encode(state, s.target.roleArn)
    c.string.encode(state, s.target.input)
    c.int.encode(state, s.target.maximumRetryAttempts)
    c.int.encode(state, s.target.maximumEventAgeInSeconds)
  },
  decode(state) {
    const record: Record<string, unknown> = {}
    for (const [key, codec] of fields) record[key] = (codec as c.Encoder<unknown>).decode(state)
    return {
      ...(record as Omit<ScheduleRecord, 'state' | 'afterCompletion' | 'target'>),
      state: enumValue(SCHEDULE_STATES, c.uint.decode(state), 'schedule state'),
      afterCompletion: enumValue(AFTER_COMPLETION, c.uint.decode(state), 'after completion'),
      target: {
        arn: c.string.decode(state),
        roleArn: c.string.decode(state),
        input: c.string.decode(state),
        maximumRetryAttempts: c.int.decode(state),
        maximumEventAgeInSeconds: c.int.decode(state)
      }
    }
  }
})
