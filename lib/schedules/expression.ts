import { Cron } from 'croner'
import { SCHEDULE_INVALID } from '../errors.js'

/**
 * EventBridge Scheduler's schedule expressions, parsed once, and when each fires next:
 * `at(yyyy-mm-ddThh:mm:ss)` (once, in the schedule's time zone), `rate(value unit)` (minutes,
 * hours, days; `seconds` as this platform's extension for development) counted from the
 * schedule's start, and `cron(minutes hours day-of-month month day-of-week year)` in AWS's
 * syntax (`?`, `L`, `W`, `#`, ranges, lists, steps; days of the week 1-7 = SUN-SAT) evaluated
 * by croner in the time zone. Daylight saving time as AWS handles it: a firing whose local time
 * does not exist (spring forward) is skipped, a local time that occurs twice (fall back) fires
 * once; `rate(N days)` is N × 24 hours.
 */
export type ScheduleExpression =
  | { kind: 'at'; text: string; at: number }
  | { kind: 'rate'; text: string; everyMs: number }
  | { kind: 'cron'; text: string; cron: Cron; wall: Cron }

const FIELD = 'ScheduleExpression'
const UNITS: Record<string, number> = {
  second: 1_000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000
}
/** Firings examined at most for the next one (a DST check may skip a few). */
const MAX_CANDIDATES = 16

/** Parses an expression for a time zone (IANA, e.g. Europe/Berlin; UTC by default). */
export function parseExpression(text: string, timezone = 'UTC'): ScheduleExpression {
  checkTimezone(timezone)
  const at = /^at\((\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\)$/.exec(text)
  if (at !== null) {
    let when: Date | null = null
    try {
      when = new Cron(at[1] as string, { timezone, paused: true }).nextRun(new Date(0))
    } catch {
      // croner's own message names no field: ours does
    }
    if (when === null) throw SCHEDULE_INVALID(FIELD, `${text} is not a date and time`)
    return { kind: 'at', text, at: when.getTime() }
  }
  const rate = /^rate\((\d+) (second|minute|hour|day)(s?)\)$/.exec(text)
  if (rate !== null) {
    const value = Number(rate[1])
    if (!Number.isSafeInteger(value) || value < 1) {
      throw SCHEDULE_INVALID(FIELD, `${text}: the value must be a positive integer`)
    }
    if ((value === 1) !== (rate[3] === '')) {
      throw SCHEDULE_INVALID(FIELD, `${text}: the unit is singular for 1 and plural above`)
    }
    return { kind: 'rate', text, everyMs: value * (UNITS[rate[2] as string] as number) }
  }
  const cron = /^cron\(([^)]*)\)$/.exec(text)
  if (cron !== null) return { kind: 'cron', text, ...cronOf(cron[1] as string, timezone, text) }
  throw SCHEDULE_INVALID(FIELD, `${text} is not at(...), rate(...) or cron(...)`)
}

/**
 * The first firing strictly after `after` (ms since the epoch), or null when there is none (a
 * one-time schedule past its time, a cron with no future date). `start` anchors a rate: it
 * fires at start, start + rate, ...
 */
export function nextFiring(
  expression: ScheduleExpression,
  after: number,
  start = 0
): number | null {
  switch (expression.kind) {
    case 'at':
      return expression.at > after ? expression.at : null
    case 'rate': {
      if (after < start) return start
      return start + (Math.floor((after - start) / expression.everyMs) + 1) * expression.everyMs
    }
    case 'cron':
      return nextCron(expression, after)
  }
}

/**
 * The latest firing in (`after`, `now`], or null: what a schedule that could not fire for a
 * while fires once when it can again.
 */
export function latestFiring(
  expression: ScheduleExpression,
  after: number,
  now: number,
  start = 0
): number | null {
  switch (expression.kind) {
    case 'at':
      return expression.at > after && expression.at <= now ? expression.at : null
    case 'rate': {
      if (now < start) return null
      const at = start + Math.floor((now - start) / expression.everyMs) * expression.everyMs
      return at > after ? at : null
    }
    case 'cron': {
      let from = now + 1
      for (let i = 0; i < MAX_CANDIDATES; i++) {
        const previous = expression.cron.previousRuns(1, new Date(from))[0]
        if (previous === undefined || previous.getTime() <= after) return null
        if (awsFires(expression, previous.getTime())) return previous.getTime()
        from = previous.getTime()
      }
      return null
    }
  }
}

function cronOf(fields: string, timezone: string, text: string): { cron: Cron; wall: Cron } {
  const parts = fields.trim().split(/\s+/)
  if (parts.length !== 6) {
    throw SCHEDULE_INVALID(
      FIELD,
      `${text}: cron needs six fields (minutes hours day-of-month month day-of-week year)`
    )
  }
  const [minutes, hours, dom, month, dow, year] = parts as [
    string,
    string,
    string,
    string,
    string,
    string
  ]
  if ((dom === '?') === (dow === '?')) {
    throw SCHEDULE_INVALID(
      FIELD,
      `${text}: one of day-of-month and day-of-week must be ?, not both`
    )
  }
  // AWS writes "the last Friday" 6L; croner writes it 6#L (Quartz numbering: 1 = Sunday).
  const weekday = dow.replace(/^([1-7]|[A-Za-z]{3})L$/, '$1#L')
  const pattern = `0 ${minutes} ${hours} ${dom} ${month} ${weekday} ${year}`
  const options = {
    mode: '7-part',
    alternativeWeekdays: true,
    sloppyRanges: true,
    paused: true
  } as const
  try {
    return {
      cron: new Cron(pattern, { ...options, timezone }),
      // The same pattern on a clock with no DST: what local wall times it accepts.
      wall: new Cron(pattern, { ...options, timezone: 'UTC' })
    }
  } catch (err) {
    throw SCHEDULE_INVALID(FIELD, `${text}: ${err instanceof Error ? err.message : String(err)}`)
  }
}

function nextCron(
  expression: Extract<ScheduleExpression, { kind: 'cron' }>,
  after: number
): number | null {
  let from = after
  for (let i = 0; i < MAX_CANDIDATES; i++) {
    const next = expression.cron.nextRun(new Date(from))
    if (next === null) return null
    if (awsFires(expression, next.getTime())) return next.getTime()
    from = next.getTime()
  }
  return null
}

/** Whether AWS fires a croner run: not one the DST gap moved, not a fall-back repeat. */
function awsFires(expression: Extract<ScheduleExpression, { kind: 'cron' }>, at: number): boolean {
  const timezone = expression.cron.options.timezone ?? 'UTC'
  const wall = wallClock(at, timezone)
  // Spring forward: croner runs a time the gap swallowed just after it; AWS skips it.
  const accepted = expression.wall.nextRun(new Date(wall - 1_000))?.getTime() === wall
  // Fall back: the same local time as an hour ago (its second occurrence); AWS fires it once.
  const repeated = wallClock(at - 3_600_000, timezone) === wall
  return accepted && !repeated
}

/** The local wall-clock time at `at` in a time zone, as if it were UTC (ms). */
function wallClock(at: number, timezone: string): number {
  const parts = formatter(timezone).formatToParts(new Date(at))
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value)
  return Date.UTC(
    get('year'),
    get('month') - 1,
    get('day'),
    get('hour') % 24,
    get('minute'),
    get('second')
  )
}

const formatters = new Map<string, Intl.DateTimeFormat>()
function formatter(timezone: string): Intl.DateTimeFormat {
  let format = formatters.get(timezone)
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric'
    })
    formatters.set(timezone, format)
  }
  return format
}

function checkTimezone(timezone: string): void {
  try {
    formatter(timezone)
  } catch {
    throw SCHEDULE_INVALID('ScheduleExpressionTimezone', `${timezone} is not an IANA time zone`)
  }
}
