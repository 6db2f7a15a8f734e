import {
  DeleteFunctionConcurrencyCommand,
  GetFunctionCommand,
  GetFunctionConcurrencyCommand,
  InvokeCommand,
  LambdaClient,
  PutFunctionConcurrencyCommand
} from '@aws-sdk/client-lambda'
import t from 'tap'
import { loadConfig } from '../../lib/config.js'
import { Edge } from '../../lib/edge.js'
import { request } from 'undici'
import { eventually } from '../support/cluster.js'
import { SUM_EXECUTE, wat } from '../wasm/wat.js'

/**
 * Limits a user sets per function (reserved concurrency, dataset items, timeout, memory) and per
 * edge (the same four as caps): over a concurrency cap → 429 TooManyRequestsException with
 * Retry-After; over a dataset limit → 413; a deploy over a cap → 400; a stored function over
 * this edge's caps runs within them.
 */

const SUM = wat(`(module (memory (export "memory") 1) ${SUM_EXECUTE})`)
/** Runs until its timeout: what holds a concurrency slot for as long as the test needs. */
const SPIN = wat(`(module (memory (export "memory") 1)
  (func (export "execute") (param i32 i32) (result i32) (loop $l (br $l)) (i32.const 0)))`)
/**
 * Counts to its first item and answers the count: what holds a concurrency slot for a second or
 * two (ITERATIONS), ending normally (a timeout would cost the worker, and a fresh one's start).
 */
const BUSY = wat(`(module (memory (export "memory") 1)
  (func (export "execute") (param $ptr i32) (param $len i32) (result i32) (local $i i32)
    (loop $l
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.load (local.get $ptr)))))
    (local.get $i)))`)
const ITERATIONS = 1_500_000_000
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64')

const root = t.testdir()
const edge = new Edge(
  loadConfig(
    { port: '0', name: 'edge-limits', 'state-dir': `${root}/a`, 'log-level': 'silent' },
    {
      SWARMLAMBDA_MAX_CONCURRENCY: '2',
      SWARMLAMBDA_MAX_DATASET_ITEMS: '1000',
      SWARMLAMBDA_MAX_TIMEOUT_MS: '60000',
      SWARMLAMBDA_MAX_MEMORY_MB: '64',
      SWARMLAMBDA_ASYNC_RETRY_DELAY_MS: '50'
    }
  )
)
await edge.ready()
t.teardown(() => edge.close())

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
  body: Record<string, unknown>
}

/** A request: JSON unless the body is bytes; the answer read as JSON when it is. */
async function http(
  url: string,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  headers: Record<string, string> = {}
): Promise<Answer> {
  const res = await request(url + path, {
    method,
    headers,
    ...(body === undefined ? {} : { body: Buffer.isBuffer(body) ? body : JSON.stringify(body) })
  })
  const text = await res.body.text()
  let parsed: unknown = {}
  try {
    parsed = JSON.parse(text)
  } catch {
    // not JSON (metrics)
  }
  return { status: res.statusCode, headers: res.headers, text, body: parsed as Answer['body'] }
}

const deploy = (name: string, wasm: Uint8Array, extra: object = {}) =>
  http(edge.url, 'POST', '/functions', { name, wasm_base64: b64(wasm), ...extra })
const invoke = (name: string, body: unknown, headers: Record<string, string> = {}) =>
  http(edge.url, 'POST', `/2015-03-31/functions/${name}/invocations`, body, headers)
/** Resolves once `n` calls run on the edge's executor (an event, polled; not a sleep). */
const running = (n: number) =>
  eventually(`${n} calls running`, async () => {
    const health = (await http(edge.url, 'GET', '/healthz')).body as {
      executor: { running: number }
    }
    return health.executor.running === n ? true : undefined
  })

t.test('deploys over this edge caps are refused with 400', async (t) => {
  for (const [extra, field] of [
    [{ timeoutMs: 60_001 }, /timeout/],
    [{ memoryMb: 65 }, /memory/],
    [{ concurrency: 3 }, /concurrency/],
    [{ concurrency: -1 }, /concurrency/],
    [{ maxDatasetItems: 1001 }, /maxDatasetItems/]
  ] as const) {
    const answer = await deploy('too-much', SUM, extra)
    t.equal(answer.status, 400, JSON.stringify(extra))
    t.equal(answer.headers['x-amzn-errortype'], 'InvalidParameterValueException')
    t.match(answer.body.message, field)
  }
  const fits = await deploy('fits', SUM)
  t.equal(fits.status, 201)
  t.match(fits.body, { MemorySize: 64, Timeout: 3 }, 'defaults are kept within the caps')
})

t.test('reserved concurrency: a second invocation of the function gets 429', async (t) => {
  t.equal((await deploy('busy', BUSY, { timeoutMs: 60_000, concurrency: 1 })).status, 201)
  t.equal((await deploy('sum', SUM)).status, 201)
  const first = invoke('busy', [ITERATIONS])
  await running(1)
  const throttled = await invoke('busy', [ITERATIONS])
  t.equal(throttled.status, 429)
  t.equal(throttled.headers['x-amzn-errortype'], 'TooManyRequestsException')
  t.equal(throttled.headers['retry-after'], '1')
  t.match(throttled.body, {
    Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded',
    Type: 'User',
    errorCode: 'TOO_MANY_REQUESTS'
  })
  // Async work is queued, as AWS queues it: throttled, it waits for a slot and runs then.
  const event = await invoke('busy', [ITERATIONS], { 'x-amz-invocation-type': 'Event' })
  t.equal(event.status, 202, 'an Event invocation is accepted while the function is busy')
  const other = await invoke('sum', [1, 2, 3])
  t.equal(other.status, 200, 'another function still runs')
  t.equal(other.body.result, 6)

  const done = await first
  t.equal(done.status, 200)
  t.equal(done.body.result, ITERATIONS)
  const queued = await eventually('the Event runs once the slot is free', async () => {
    const got = await http(edge.url, 'GET', `/api/v1/jobs/${event.headers['x-swarmlambda-job-id']}`)
    return got.status === 200 ? got : undefined
  })
  t.equal(queued.body.result, ITERATIONS)
  t.equal(queued.body.attempts, 1, 'a throttle is not an attempt')
  const again = invoke('busy', [ITERATIONS])
  await running(1)
  t.equal(
    (await invoke('busy', [ITERATIONS])).status,
    429,
    'the slot is taken again by the next one'
  )
  t.equal((await again).status, 200, 'and freed when it ends')
})

t.test('the edge cap: over SWARMLAMBDA_MAX_CONCURRENCY every function gets 429', async (t) => {
  t.equal((await deploy('busy-b', BUSY, { timeoutMs: 60_000 })).status, 201)
  const held = [invoke('busy', [ITERATIONS]), invoke('busy-b', [ITERATIONS])]
  await running(2)
  const throttled = await invoke('sum', [1, 2, 3])
  t.equal(throttled.status, 429)
  t.match(throttled.body, { Reason: 'ConcurrentInvocationLimitExceeded' })
  for (const answer of await Promise.all(held)) {
    t.equal(answer.status, 200)
    t.equal(answer.body.result, ITERATIONS)
  }
  t.equal((await invoke('sum', [1, 2, 3])).status, 200, 'free again once they ended')
  const metrics = await http(edge.url, 'GET', '/metrics')
  t.match(
    metrics.text,
    /swarmlambda_throttles_total\{function="sum",scope="edge"\} 1\n/,
    'throttles are counted'
  )
})

t.test('dataset limits: the function own, then the edge cap, as 413', async (t) => {
  t.equal((await deploy('small', SUM, { maxDatasetItems: 10 })).status, 201)
  t.equal(
    (
      await invoke(
        'small',
        Array.from({ length: 10 }, () => 1)
      )
    ).body.result,
    10
  )
  const over = await invoke(
    'small',
    Array.from({ length: 11 }, () => 1)
  )
  t.equal(over.status, 413)
  t.equal(over.headers['x-amzn-errortype'], 'RequestTooLargeException')
  t.match(over.body, {
    errorCode: 'DATASET_TOO_LARGE',
    message: /11 items.*function's limit of 10/
  })
  const binary = await http(
    edge.url,
    'POST',
    '/2015-03-31/functions/small/invocations',
    Buffer.alloc(44),
    { 'x-swarm-dataset-encoding': 'i32le' }
  )
  t.equal(binary.status, 413, 'i32le counts the same')
  const edgeCap = await invoke(
    'sum',
    Array.from({ length: 1001 }, () => 1)
  )
  t.equal(edgeCap.status, 413)
  t.match(edgeCap.body.message, /this edge's limit of 1000/)
  const job = await http(edge.url, 'POST', '/api/v1/jobs', {
    function: 'small',
    dataset: Array.from({ length: 11 }, () => 1)
  })
  t.equal(job.status, 413, 'jobs too')
})

t.test('reserved concurrency over the AWS API, as the SDK sends it', async (t) => {
  const lambda = new LambdaClient({
    endpoint: edge.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    maxAttempts: 1
  })
  t.teardown(() => lambda.destroy())
  t.equal((await deploy('sdk-busy', BUSY, { timeoutMs: 60_000 })).status, 201)
  t.same(
    (await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: 'sdk-busy' })))
      .ReservedConcurrentExecutions,
    undefined
  )
  const put = await lambda.send(
    new PutFunctionConcurrencyCommand({ FunctionName: 'sdk-busy', ReservedConcurrentExecutions: 1 })
  )
  t.equal(put.ReservedConcurrentExecutions, 1)
  const got = await lambda.send(new GetFunctionCommand({ FunctionName: 'sdk-busy' }))
  t.equal(got.Concurrency?.ReservedConcurrentExecutions, 1)
  const tooMany = await lambda
    .send(
      new PutFunctionConcurrencyCommand({
        FunctionName: 'sdk-busy',
        ReservedConcurrentExecutions: 3
      })
    )
    .then(
      () => null,
      (e: unknown) => (e as { name: string }).name
    )
  t.equal(tooMany, 'InvalidParameterValueException', 'over the edge cap')

  const first = lambda.send(
    new InvokeCommand({ FunctionName: 'sdk-busy', Payload: `[${ITERATIONS}]` })
  )
  await running(1)
  const err = await lambda
    .send(new InvokeCommand({ FunctionName: 'sdk-busy', Payload: `[${ITERATIONS}]` }))
    .then(
      () => null,
      (e: unknown) => e as { name: string; Reason?: string; $metadata: { httpStatusCode?: number } }
    )
  t.equal(err?.name, 'TooManyRequestsException')
  t.equal(err?.Reason, 'ReservedFunctionConcurrentInvocationLimitExceeded')
  t.equal(err?.$metadata.httpStatusCode, 429)
  const answered = await first
  t.equal(answered.StatusCode, 200)
  t.equal(answered.FunctionError, undefined)

  await lambda.send(new DeleteFunctionConcurrencyCommand({ FunctionName: 'sdk-busy' }))
  t.same(
    (await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: 'sdk-busy' })))
      .ReservedConcurrentExecutions,
    undefined,
    'removed'
  )
})

t.test('a stored function over this edge caps runs within them', async (t) => {
  // Deployed on an edge without caps, then served by an edge with a 1 s timeout cap.
  const dir = `${root}/b`
  const open = new Edge(
    loadConfig({ port: '0', name: 'edge-open', 'state-dir': dir, 'log-level': 'silent' }, {})
  )
  await open.ready()
  const deployed = await http(open.url, 'POST', '/functions', {
    name: 'long',
    wasm_base64: b64(SPIN),
    timeoutMs: 60_000
  })
  t.equal(deployed.status, 201)
  await open.close()
  const capped = new Edge(
    loadConfig(
      { port: '0', name: 'edge-open', 'state-dir': dir, 'log-level': 'silent' },
      { SWARMLAMBDA_MAX_TIMEOUT_MS: '1000' }
    )
  )
  await capped.ready()
  t.teardown(() => capped.close())
  const answer = await http(capped.url, 'POST', '/2015-03-31/functions/long/invocations', [1])
  t.equal(answer.status, 200)
  t.equal(answer.headers['x-amz-function-error'], 'Unhandled')
  t.match(answer.body, { errorType: 'Sandbox.Timedout', errorMessage: /after 1000 ms/ })
})
