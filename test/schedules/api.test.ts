import t from 'tap'
import { eventually } from '../support/cluster.js'
import { localEdge } from '../support/local-edge.js'

// EventBridge Scheduler's API on one edge, and the schedules firing: a rate(1 second) schedule
// fires each second as an async job with its Input as the event, stops when disabled; an at()
// schedule fires once and, with ActionAfterCompletion DELETE, is gone after; refusals are
// AWS's (ValidationException, ConflictException, ResourceNotFoundException); the seed's shape.

const { http } = await localEdge(t, { poolSize: 1 })
const ARN = 'arn:aws:lambda:us-west-sfo:000000000000:function:tick'
const OFF = { Mode: 'OFF' }

/** Jobs of the tick function, oldest first. */
async function ticks(): Promise<{ job_id: string; status: string }[]> {
  const listed = await http('GET', '/api/v1/jobs?function=tick&MaxItems=1000')
  return (listed.json().jobs as { job_id: string; status: string }[]).reverse()
}

t.test('create, fire every second, get, list, disable, delete', async (t) => {
  const deployed = await http('POST', '/functions', {
    name: 'tick',
    files: { 'index.js': 'exports.handler = async (e) => ({ got: e })' }
  })
  t.equal(deployed.status, 201)
  const created = await http('POST', '/schedules/every-second', {
    ScheduleExpression: 'rate(1 second)',
    FlexibleTimeWindow: OFF,
    Target: { Arn: ARN, RoleArn: 'arn:aws:iam::000000000000:role/x', Input: '{"n":1}' }
  })
  t.equal(created.status, 200, created.text)
  t.same(created.json(), {
    ScheduleArn: 'arn:aws:scheduler:us-west-sfo:000000000000:schedule/default/every-second'
  })
  const fired = await eventually('three firings done', async () => {
    const jobs = await ticks()
    return jobs.filter((j) => j.status === 'completed').length >= 3 ? jobs : undefined
  })
  const first = await http('GET', `/api/v1/jobs/${fired[0]?.job_id}`)
  t.match(first.json(), { status: 'completed', result: { got: { n: 1 } } })

  const got = await http('GET', '/schedules/every-second')
  t.equal(got.status, 200)
  t.match(got.json(), {
    Arn: 'arn:aws:scheduler:us-west-sfo:000000000000:schedule/default/every-second',
    Name: 'every-second',
    GroupName: 'default',
    ScheduleExpression: 'rate(1 second)',
    ScheduleExpressionTimezone: 'UTC',
    State: 'ENABLED',
    FlexibleTimeWindow: { Mode: 'OFF' },
    Target: { Arn: ARN, RoleArn: 'arn:aws:iam::000000000000:role/x', Input: '{"n":1}' },
    ActionAfterCompletion: 'NONE',
    SwarmLambda: { lastFiring: /^\d{4}-\d\d-\d\dT/, nextFiring: /^\d{4}-\d\d-\d\dT/ }
  })
  const seen = got.json().SwarmLambda as {
    lastFiring: string
    nextFiring: string
    recentJobs: { job_id: string; tick: string }[]
  }
  t.equal(
    Date.parse(seen.nextFiring) - Date.parse(seen.lastFiring),
    1_000,
    'the next firing, a second after the last'
  )
  t.ok(
    seen.recentJobs.length >= 3 && seen.recentJobs[0]?.tick === seen.lastFiring,
    'its recent jobs, newest first'
  )
  const metrics = (await http('GET', '/metrics')).text
  t.match(
    metrics,
    /^swarmlambda_schedule_next_firing_seconds\{schedule="default\/every-second"\} \d+/m
  )
  t.match(
    metrics,
    /^swarmlambda_schedule_firings_total [3-9]|^swarmlambda_schedule_firings_total \d\d/m
  )
  const listed = await http('GET', '/schedules')
  t.match(listed.json(), {
    Schedules: [{ Name: 'every-second', State: 'ENABLED', Target: { Arn: ARN } }]
  })

  const disabled = await http('PUT', '/schedules/every-second', {
    ScheduleExpression: 'rate(1 second)',
    FlexibleTimeWindow: OFF,
    State: 'DISABLED',
    Target: { Arn: ARN, RoleArn: 'arn:aws:iam::000000000000:role/x', Input: '{"n":1}' }
  })
  t.equal(disabled.status, 200)
  const stoppedAt = (await ticks()).length
  // Two seconds of schedule ticks (eight looks at the schedules) without a firing.
  const until = Date.now() + 2_000
  await eventually('two seconds pass', async () => (Date.now() > until ? true : undefined))
  t.ok((await ticks()).length <= stoppedAt + 1, 'a disabled schedule does not fire')
  t.equal((await http('DELETE', '/schedules/every-second')).status, 200)
  t.equal((await http('GET', '/schedules/every-second')).status, 404)
})

t.test('at(): once, then deleted', async (t) => {
  const before = (await ticks()).length
  const at = new Date(Date.now() + 1_500).toISOString().slice(0, 19)
  const created = await http('POST', '/schedules/once', {
    ScheduleExpression: `at(${at})`,
    FlexibleTimeWindow: OFF,
    ActionAfterCompletion: 'DELETE',
    Target: { Arn: ARN, RoleArn: 'arn:aws:iam::000000000000:role/x', Input: '{"once":true}' }
  })
  t.equal(created.status, 200, created.text)
  await eventually('deleted after firing', async () =>
    (await http('GET', '/schedules/once')).status === 404 ? true : undefined
  )
  const jobs = (await ticks()).slice(before)
  t.equal(jobs.length, 1, 'fired exactly once')
  const job = await eventually('the job completes', async () => {
    const answer = await http('GET', `/api/v1/jobs/${jobs[0]?.job_id}`)
    return answer.status === 200 ? answer.json() : undefined
  })
  t.match(job, { result: { got: { once: true } } })
})

t.test("a schedule's RetryPolicy instead of the function's retries", async (t) => {
  await http('POST', '/functions', {
    name: 'fails',
    files: { 'index.js': 'exports.handler = async () => { throw new Error("no") }' }
  })
  const at = new Date(Date.now() + 1_000).toISOString().slice(0, 19)
  const created = await http('POST', '/schedules/no-retries', {
    ScheduleExpression: `at(${at})`,
    FlexibleTimeWindow: OFF,
    Target: {
      Arn: 'arn:aws:lambda:us-west-sfo:000000000000:function:fails',
      RoleArn: 'r',
      RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 }
    }
  })
  t.equal(created.status, 200, created.text)
  t.match((await http('GET', '/schedules/no-retries')).json(), {
    Target: { RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 } }
  })
  const job = await eventually('the firing fails', async () => {
    const listed = await http('GET', '/api/v1/jobs?function=fails&status=failed')
    const [first] = listed.json().jobs as { job_id: string; attempts: number }[]
    return first
  })
  t.equal(job.attempts, 1, 'no retry: the schedule said 0 (the function would retry twice)')
  t.equal((await http('DELETE', '/schedules/no-retries')).status, 200)
})

t.test("refusals in AWS's shapes", async (t) => {
  const body = (expression: string, extra = {}) => ({
    ScheduleExpression: expression,
    FlexibleTimeWindow: OFF,
    Target: { Arn: ARN, RoleArn: 'r' },
    ...extra
  })
  const cases: [string, object, number, string, RegExp][] = [
    ['/schedules/a', body('rate(5 weeks)'), 400, 'ValidationException', /ScheduleExpression/],
    ['/schedules/a', body('cron(0 10 * * *)'), 400, 'ValidationException', /six fields/],
    [
      '/schedules/a',
      body('rate(5 minutes)', { ScheduleExpressionTimezone: 'Nowhere/At_All' }),
      400,
      'ValidationException',
      /IANA/
    ],
    [
      '/schedules/a',
      { ScheduleExpression: 'rate(5 minutes)', Target: { Arn: ARN } },
      400,
      'ValidationException',
      /FlexibleTimeWindow/
    ],
    [
      '/schedules/a',
      body('rate(5 minutes)', { Target: { Arn: 'arn:aws:sqs:x' } }),
      400,
      'ValidationException',
      /Lambda function ARN/
    ],
    [
      '/schedules/a',
      body('rate(5 minutes)', { GroupName: 'other' }),
      404,
      'ResourceNotFoundException',
      /only the default group/
    ]
  ]
  for (const [path, request, status, type, message] of cases) {
    const answer = await http('POST', path, request)
    t.equal(answer.status, status, JSON.stringify(request))
    t.equal(answer.headers['x-amzn-errortype'], type)
    t.match(answer.json().message, message)
  }
  t.equal((await http('POST', '/schedules/dup', body('rate(5 minutes)'))).status, 200)
  const again = await http('POST', '/schedules/dup', body('rate(5 minutes)'))
  t.same([again.status, again.headers['x-amzn-errortype']], [409, 'ConflictException'])
  const missing = await http('GET', '/schedules/nope')
  t.same([missing.status, missing.headers['x-amzn-errortype']], [404, 'ResourceNotFoundException'])
  t.equal((await http('DELETE', '/schedules/dup')).status, 200)
})

t.test("the seed's shape", async (t) => {
  const created = await http('POST', '/api/v1/schedules', {
    name: 'seedy',
    function: 'tick',
    every: '1 second',
    input: { from: 'seed' }
  })
  t.equal(created.status, 201, created.text)
  t.match(created.json(), { name: 'seedy', expression: 'rate(1 second)', target: ARN })
  await eventually('it fires', async () => {
    const listed = (await http('GET', '/api/v1/schedules')).json().schedules as {
      name: string
      last_firing: string | null
    }[]
    return listed.find((s) => s.name === 'seedy')?.last_firing ?? undefined
  })
  t.equal((await http('DELETE', '/api/v1/schedules/seedy')).status, 204)
  t.same((await http('GET', '/api/v1/schedules')).json(), { schedules: [] })
})
