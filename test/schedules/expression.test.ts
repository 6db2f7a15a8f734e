import t from 'tap'
import { nextFiring, parseExpression } from '../../lib/schedules/expression.js'

// Schedule expressions against AWS's documented examples (EventBridge's cron reference), with a
// fixed clock: the next firings from a given instant, in UTC and in a named time zone across
// both daylight-saving changes.

/** The next `n` firings after `from` (ISO), as ISO strings. */
function firings(text: string, from: string, n = 3, timezone = 'UTC', start = 0): string[] {
  const expression = parseExpression(text, timezone)
  const out: string[] = []
  let after = Date.parse(from)
  for (let i = 0; i < n; i++) {
    const next = nextFiring(expression, after, start)
    if (next === null) break
    out.push(new Date(next).toISOString().replace('.000Z', 'Z'))
    after = next
  }
  return out
}

// Friday 2026-03-27, a minute before midnight UTC.
const FROM = '2026-03-27T23:59:00Z'

t.test("AWS's cron examples", async (t) => {
  const cases: [string, string[]][] = [
    // 10:00 every day
    [
      'cron(0 10 * * ? *)',
      ['2026-03-28T10:00:00Z', '2026-03-29T10:00:00Z', '2026-03-30T10:00:00Z']
    ],
    // 12:15 every day
    [
      'cron(15 12 * * ? *)',
      ['2026-03-28T12:15:00Z', '2026-03-29T12:15:00Z', '2026-03-30T12:15:00Z']
    ],
    // 18:00 Monday to Friday
    [
      'cron(0 18 ? * MON-FRI *)',
      ['2026-03-30T18:00:00Z', '2026-03-31T18:00:00Z', '2026-04-01T18:00:00Z']
    ],
    // 08:00 on the first of every month
    ['cron(0 8 1 * ? *)', ['2026-04-01T08:00:00Z', '2026-05-01T08:00:00Z', '2026-06-01T08:00:00Z']],
    // every 15 minutes
    [
      'cron(0/15 * * * ? *)',
      ['2026-03-28T00:00:00Z', '2026-03-28T00:15:00Z', '2026-03-28T00:30:00Z']
    ],
    // every 10 minutes, Monday to Friday (the next Monday after a Friday night)
    [
      'cron(0/10 * ? * MON-FRI *)',
      ['2026-03-30T00:00:00Z', '2026-03-30T00:10:00Z', '2026-03-30T00:20:00Z']
    ],
    // every 5 minutes between 08:00 and 17:55, Monday to Friday
    [
      'cron(0/5 8-17 ? * MON-FRI *)',
      ['2026-03-30T08:00:00Z', '2026-03-30T08:05:00Z', '2026-03-30T08:10:00Z']
    ],
    // the last day of the month
    [
      'cron(0 12 L * ? *)',
      ['2026-03-31T12:00:00Z', '2026-04-30T12:00:00Z', '2026-05-31T12:00:00Z']
    ],
    // the weekday nearest the 15th (Sat 2026-08-15 → Fri 14th; Sun 2026-11-15 → Mon 16th)
    [
      'cron(0 12 15W 8,11 ? *)',
      ['2026-08-14T12:00:00Z', '2026-11-16T12:00:00Z', '2027-08-16T12:00:00Z']
    ],
    // the second Tuesday (3 = TUE), and the third Friday by name
    [
      'cron(0 12 ? * 3#2 *)',
      ['2026-04-14T12:00:00Z', '2026-05-12T12:00:00Z', '2026-06-09T12:00:00Z']
    ],
    [
      'cron(30 9 ? * FRI#3 *)',
      ['2026-04-17T09:30:00Z', '2026-05-15T09:30:00Z', '2026-06-19T09:30:00Z']
    ],
    // the last Friday of the month (6L)
    [
      'cron(0 12 ? * 6L *)',
      ['2026-04-24T12:00:00Z', '2026-05-29T12:00:00Z', '2026-06-26T12:00:00Z']
    ],
    // lists, ranges and a year: Mondays of 2027 only
    [
      'cron(0 6,18 ? * 2 2027)',
      ['2027-01-04T06:00:00Z', '2027-01-04T18:00:00Z', '2027-01-11T06:00:00Z']
    ],
    // a year in the past: never again
    ['cron(0 12 * * ? 2020)', []]
  ]
  for (const [text, expected] of cases) t.same(firings(text, FROM), expected, text)
})

t.test('daylight saving time in Europe/Berlin, as AWS handles it', async (t) => {
  // 2026-03-29: 02:00 CET becomes 03:00 CEST; 02:30 does not exist that day and is skipped.
  t.same(firings('cron(30 2 * * ? *)', '2026-03-27T12:00:00Z', 3, 'Europe/Berlin'), [
    '2026-03-28T01:30:00Z', // 02:30 CET
    '2026-03-30T00:30:00Z', // 02:30 CEST (the 29th had none)
    '2026-03-31T00:30:00Z'
  ])
  // 10:00 local stays 10:00 local across the change: 09:00Z, then 08:00Z.
  t.same(firings('cron(0 10 * * ? *)', '2026-03-28T00:00:00Z', 2, 'Europe/Berlin'), [
    '2026-03-28T09:00:00Z',
    '2026-03-29T08:00:00Z'
  ])
  // 2026-10-25: 03:00 CEST becomes 02:00 CET; 02:00-02:59 happen twice, each firing once.
  t.same(firings('cron(0/30 2 * * ? *)', '2026-10-24T23:00:00Z', 4, 'Europe/Berlin'), [
    '2026-10-25T00:00:00Z', // 02:00 CEST
    '2026-10-25T00:30:00Z', // 02:30 CEST (not again at 02:00 and 02:30 CET)
    '2026-10-26T01:00:00Z', // 02:00 CET the next day
    '2026-10-26T01:30:00Z'
  ])
})

t.test('rate and at', async (t) => {
  const start = Date.parse('2026-03-27T23:58:30Z')
  t.same(firings('rate(5 minutes)', FROM, 3, 'UTC', start), [
    '2026-03-28T00:03:30Z',
    '2026-03-28T00:08:30Z',
    '2026-03-28T00:13:30Z'
  ])
  t.same(
    firings('rate(1 day)', '2026-03-28T12:00:00Z', 2, 'Europe/Berlin', start),
    ['2026-03-28T23:58:30Z', '2026-03-29T23:58:30Z'],
    'a day is 24 hours, across DST'
  )
  t.same(
    firings('rate(1 second)', '2026-03-27T23:58:31.5Z', 2, 'UTC', start),
    ['2026-03-27T23:58:32Z', '2026-03-27T23:58:33Z'],
    'seconds: the extension for development'
  )
  t.same(
    firings('rate(5 minutes)', '2026-03-27T00:00:00Z', 1, 'UTC', start),
    ['2026-03-27T23:58:30Z'],
    'not before its start'
  )
  t.same(
    firings('at(2026-12-24T18:00:00)', FROM, 2, 'Europe/Berlin'),
    ['2026-12-24T17:00:00Z'],
    'once, in its time zone'
  )
  t.same(firings('at(2026-01-01T00:00:00)', FROM), [], 'an at() in the past never fires')
})

t.test('refused: ValidationException with what is wrong', async (t) => {
  const refused: [string, RegExp, string?][] = [
    ['rate(0 minutes)', /positive integer/],
    ['rate(1 minutes)', /singular for 1/],
    ['rate(5 minute)', /singular for 1 and plural above/],
    ['rate(5 weeks)', /is not at\(\.\.\.\), rate\(\.\.\.\) or cron\(\.\.\.\)/],
    ['cron(0 10 * * *)', /six fields/],
    ['cron(0 10 * * MON *)', /one of day-of-month and day-of-week must be \?/],
    ['cron(0 10 ? * ? *)', /one of day-of-month and day-of-week must be \?/],
    ['cron(61 10 * * ? *)', /cron\(61 10/],
    ['at(2026-13-01T00:00:00)', /not a date and time|at\(/],
    ['every day', /is not at/],
    ['rate(5 minutes)', /not an IANA time zone/, 'Mars/Olympus_Mons']
  ]
  for (const [text, message, timezone] of refused) {
    t.throws(
      () => parseExpression(text, timezone),
      { code: 'SCHEDULE_INVALID', status: 400, awsType: 'ValidationException', message },
      text
    )
  }
})
