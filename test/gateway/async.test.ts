import { join } from 'node:path'
import t from 'tap'
import { awsCli } from '../support/aws-cli.js'
import { eventually } from '../support/cluster.js'
import { localEdge } from '../support/local-edge.js'
import { which } from '../support/processes.js'

// Async work on one edge, as AWS users drive it: Event invocations through the AWS CLI, the
// FunctionEventInvokeConfig calls, retries of a flaky function and its destinations' records,
// the 1 MB limit, and the jobs list. (Durability across edges: test/p2p/async.test.ts.)

const { edge, http } = await localEdge(t, { poolSize: 1 }, { 'async-retry-delay-ms': '20' })
const fns = '/2015-03-31/functions'
const eic = (name: string) => `/2019-09-25/functions/${name}/event-invoke-config`
const arn = (name: string) => `arn:aws:lambda:${edge.config.region}:000000000000:function:${name}`
const deploy = (name: string, source: string) =>
  http('POST', '/functions', { name, files: { 'index.js': source } })
const event = (name: string, body: string) =>
  http('POST', `${fns}/${name}/invocations`, body, { 'x-amz-invocation-type': 'Event' })
/** Polls a job until it is no longer pending. */
const finished = (id: string) =>
  eventually(`job ${id} ends`, async () => {
    const got = await http('GET', `/api/v1/jobs/${id}`)
    return got.status === 202 ? undefined : got
  })
/** The one job of a destination function, once it has finished: its result is the record. */
const received = (name: string) =>
  eventually(`${name} received a record`, async () => {
    const list = await http('GET', `/api/v1/jobs?function=${name}`)
    const jobs = list.json().jobs as { job_id: string; status: string }[]
    const done = jobs.find((j) => j.status === 'completed')
    return done === undefined ? undefined : (await finished(done.job_id)).json().result
  })

t.test('setup', async (t) => {
  t.equal(
    (
      await deploy(
        'flaky',
        `let calls = 0
exports.handler = async (event) => {
  calls++
  if (calls <= 2) throw new Error('failure ' + calls)
  return { ok: true, calls, n: event.n }
}`
      )
    ).status,
    201
  )
  t.equal(
    (await deploy('always', `exports.handler = async () => { throw new TypeError('never') }`))
      .status,
    201
  )
  for (const sink of ['on-success', 'on-failure']) {
    t.equal((await deploy(sink, 'exports.handler = async (record) => record')).status, 201)
  }
})

t.test('fails twice, completes on attempt 3; OnSuccess gets the exact record', async (t) => {
  const put = await http('PUT', eic('flaky'), {
    DestinationConfig: { OnSuccess: { Destination: arn('on-success') } }
  })
  t.equal(put.status, 200)
  const accepted = await event('flaky', '{"n":5}')
  t.equal(accepted.status, 202)
  const id = accepted.headers['x-swarmlambda-job-id'] as string
  const done = await finished(id)
  t.equal(done.status, 200)
  t.match(done.json(), { status: 'completed', attempts: 3, result: { ok: true, calls: 3, n: 5 } })
  t.strictSame(
    (done.json().history as { event: string }[]).map((h) => h.event),
    ['started', 'retrying', 'started', 'retrying', 'started', 'completed']
  )
  const record = (await received('on-success')) as Record<string, unknown>
  t.match(record.timestamp, /^\d{4}-\d{2}-\d{2}T/)
  t.strictSame(
    { ...record, timestamp: '' },
    {
      version: '1.0',
      timestamp: '',
      requestContext: {
        requestId: accepted.headers['x-amzn-requestid'],
        functionArn: `${arn('flaky')}:$LATEST`,
        condition: 'Success',
        approximateInvokeCount: 3
      },
      requestPayload: { n: 5 },
      responseContext: { statusCode: 200, executedVersion: '$LATEST' },
      responsePayload: { ok: true, calls: 3, n: 5 }
    }
  )
})

t.test('MaximumRetryAttempts 0: the first error goes to OnFailure', async (t) => {
  const put = await http('PUT', eic('always'), {
    MaximumRetryAttempts: 0,
    DestinationConfig: { OnFailure: { Destination: arn('on-failure') } }
  })
  t.equal(put.status, 200)
  t.match(put.json(), { MaximumRetryAttempts: 0, FunctionArn: arn('always') })
  const accepted = await event('always', '{"x":1}')
  const done = await finished(accepted.headers['x-swarmlambda-job-id'] as string)
  t.match(done.json(), {
    status: 'failed',
    attempts: 1,
    error: { errorType: 'TypeError', errorMessage: 'never', errorCode: 'FUNCTION_UNHANDLED' }
  })
  const record = (await received('on-failure')) as Record<string, unknown>
  t.match(record, {
    requestContext: { condition: 'RetriesExhausted', approximateInvokeCount: 1 },
    requestPayload: { x: 1 },
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    responsePayload: { errorType: 'TypeError', errorMessage: 'never' }
  })
})

t.test('event invoke configs: bad values refused, update, list, delete', async (t) => {
  for (const [body, field] of [
    [{ MaximumRetryAttempts: 3 }, /MaximumRetryAttempts/],
    [{ MaximumEventAgeInSeconds: 59 }, /MaximumEventAgeInSeconds/],
    [
      { DestinationConfig: { OnSuccess: { Destination: 'arn:aws:sqs:us-east-1:000000000000:q' } } },
      /function ARN/
    ]
  ] as const) {
    const refused = await http('PUT', eic('flaky'), body)
    t.equal(refused.status, 400)
    t.match(refused.json().message, field)
  }
  const updated = await http('POST', eic('flaky'), { MaximumEventAgeInSeconds: 120 })
  t.match(updated.json(), {
    MaximumEventAgeInSeconds: 120,
    DestinationConfig: { OnSuccess: { Destination: arn('on-success') } }
  })
  const listed = await http('GET', `${eic('flaky')}/list`)
  t.equal((listed.json().FunctionEventInvokeConfigs as unknown[]).length, 1)
  t.equal((await http('DELETE', eic('flaky'))).status, 204)
  t.equal((await http('GET', eic('flaky'))).status, 404)
  t.equal((await http('GET', eic('nope'))).status, 404)
})

t.test('an Event payload over 1 MB is a 413', async (t) => {
  const big = JSON.stringify({ pad: 'x'.repeat(1024 * 1024) })
  const refused = await event('flaky', big)
  t.equal(refused.status, 413)
  t.equal(refused.headers['x-amzn-errortype'], 'RequestTooLargeException')
})

t.test('the jobs list: newest first, filtered, paginated', async (t) => {
  const all = (await http('GET', '/api/v1/jobs')).json().jobs as {
    job_id: string
    function: string
  }[]
  t.ok(all.length >= 4)
  const failedOnly = (await http('GET', '/api/v1/jobs?status=failed')).json().jobs as {
    status: string
  }[]
  t.ok(failedOnly.length >= 1 && failedOnly.every((j) => j.status === 'failed'))
  const page = await http('GET', '/api/v1/jobs?MaxItems=1')
  t.equal((page.json().jobs as unknown[]).length, 1)
  t.equal(page.json().NextMarker, all[0]!.job_id)
  t.equal((await http('GET', '/api/v1/jobs?status=bogus')).status, 400)
  t.equal((await http('GET', `/api/v1/jobs/${'0'.repeat(32)}`)).status, 404)
})

const aws = await which('aws')
t.test('the AWS CLI', { skip: aws === null ? 'no aws CLI' : false }, async (t) => {
  const home = t.testdir()
  const cli = await awsCli(aws as string, home, 'us-east-1')
  const lambda = (args: string[]) => cli.ok('lambda', args, edge.url)
  const put = await lambda([
    'put-function-event-invoke-config',
    '--function-name',
    'always',
    '--maximum-retry-attempts',
    '1',
    '--maximum-event-age-in-seconds',
    '3600'
  ])
  t.match(put, { MaximumRetryAttempts: 1, MaximumEventAgeInSeconds: 3600 })
  t.match(await lambda(['get-function-event-invoke-config', '--function-name', 'always']), {
    FunctionArn: arn('always'),
    MaximumRetryAttempts: 1
  })
  const listed = await lambda(['list-function-event-invoke-configs', '--function-name', 'always'])
  t.equal((listed.FunctionEventInvokeConfigs as unknown[]).length, 1)
  const invoked = await lambda([
    'invoke',
    '--function-name',
    'flaky',
    '--invocation-type',
    'Event',
    '--payload',
    '{"n":1}',
    join(home, 'out.json')
  ])
  t.equal(invoked.StatusCode, 202)
  await lambda(['delete-function-event-invoke-config', '--function-name', 'always'])
  const gone = await cli.run(
    'lambda',
    ['get-function-event-invoke-config', '--function-name', 'always'],
    edge.url
  )
  t.not(gone.code, 0)
  t.match(gone.err, /ResourceNotFoundException/)
})
