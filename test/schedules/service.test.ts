import t from 'tap'
import { spread } from '../../lib/schedules/firing.js'
import { parseExpression } from '../../lib/schedules/expression.js'
import { ScheduleService, type Schedule } from '../../lib/schedules/service.js'
import type { ScheduleRecord } from '../../lib/wire/schedules.js'

// A schedule's firings within its StartDate and EndDate, its catch-up, and where in a flexible
// window a tick fires (the same on every edge, inside the window).

const at = (iso: string) => Date.parse(iso)

function schedule(expression: string, record: Partial<ScheduleRecord> = {}): Schedule {
  const full: ScheduleRecord = {
    name: 's',
    group: 'default',
    expression,
    timezone: 'UTC',
    startDate: 0,
    endDate: 0,
    state: 'ENABLED',
    flexibleMinutes: 0,
    target: {
      arn: 'a',
      roleArn: '',
      input: '',
      maximumRetryAttempts: -1,
      maximumEventAgeInSeconds: -1
    },
    afterCompletion: 'NONE',
    description: '',
    created: at('2026-01-01T00:00:00Z'),
    modified: at('2026-01-01T00:00:00Z'),
    revision: 1,
    deleted: false,
    ...record
  }
  return { record: full, expression: parseExpression(expression), functionName: 'f', qualifier: '' }
}

t.test('StartDate and EndDate bound the firings', async (t) => {
  const s = schedule('cron(0 12 * * ? *)', {
    startDate: at('2026-03-10T00:00:00Z'),
    endDate: at('2026-03-12T13:00:00Z')
  })
  t.equal(
    ScheduleService.next(s, at('2026-03-01T00:00:00Z')),
    at('2026-03-10T12:00:00Z'),
    'not before StartDate'
  )
  t.equal(ScheduleService.next(s, at('2026-03-12T12:00:00Z')), null, 'not after EndDate')
  t.equal(
    ScheduleService.latest(s, at('2026-03-10T12:00:00Z'), at('2026-03-12T12:30:00Z')),
    at('2026-03-12T12:00:00Z'),
    'the latest missed tick'
  )
  t.equal(
    ScheduleService.latest(s, 0, at('2026-03-13T00:00:00Z')),
    null,
    'past its EndDate: no catch-up'
  )
  const rate = schedule('rate(1 hour)', { startDate: at('2026-03-10T00:30:00Z') })
  t.equal(
    ScheduleService.next(rate, at('2026-03-10T02:00:00Z')),
    at('2026-03-10T02:30:00Z'),
    'a rate counts from StartDate'
  )
})

t.test('a flexible window spreads a tick inside it, the same way everywhere', async (t) => {
  const s = schedule('rate(1 hour)', { flexibleMinutes: 15 })
  const delays = Array.from({ length: 50 }, (_, i) =>
    spread(s, at('2026-03-10T00:00:00Z') + i * 3_600_000)
  )
  t.ok(
    delays.every((d) => d >= 0 && d < 15 * 60_000),
    'inside the window'
  )
  t.ok(new Set(delays).size > 40, 'spread over it')
  t.same(
    delays,
    delays.map((_, i) => spread(s, at('2026-03-10T00:00:00Z') + i * 3_600_000)),
    'deterministic'
  )
  t.equal(spread(schedule('rate(1 hour)'), 0), 0, 'OFF: on the tick')
})
