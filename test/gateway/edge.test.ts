import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import t from 'tap'
import { request } from 'undici'
import { loadConfig } from '../../lib/config.js'
import { Edge } from '../../lib/edge.js'
import { SEED_WASM_BASE64, SUM_EXECUTE, wat } from '../wasm/wat.js'

const edge = new Edge(
  loadConfig({ port: '0', 'state-dir': t.testdir(), 'log-level': 'silent' }, {})
)
await edge.ready()
t.teardown(() => edge.close())

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
  json: () => Record<string, unknown>
}

async function http(
  method: 'GET' | 'POST' | 'DELETE' | 'PUT',
  path: string,
  body?: string | Buffer,
  headers: Record<string, string> = {},
  base = edge.url
): Promise<Answer> {
  const res = await request(base + path, { method, body: body ?? null, headers })
  const text = await res.body.text()
  return { status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text) }
}

const post = (path: string, value: unknown, headers?: Record<string, string>) =>
  http('POST', path, JSON.stringify(value), headers)
const invoke = (name: string, value: unknown, headers?: Record<string, string>) =>
  post(`/2015-03-31/functions/${encodeURIComponent(name)}/invocations`, value, headers)
const deploy = (name: string, wasm: Uint8Array, extra: Record<string, unknown> = {}) =>
  post('/functions', { name, wasm_base64: Buffer.from(wasm).toString('base64'), ...extra })

/** The assertions awsError needs (a subtest has them too). */
type Asserts = Pick<typeof t, 'equal' | 'match'>

/** Asserts an AWS-shaped error: status, x-amzn-ErrorType, and the body's Type/message/Message. */
function awsError(t: Asserts, answer: Answer, status: number, type: string, message?: RegExp) {
  t.equal(answer.status, status, `status ${status}`)
  t.equal(answer.headers['x-amzn-errortype'], type)
  t.equal(answer.headers['content-length'], String(Buffer.byteLength(answer.text)))
  const body = answer.json()
  t.equal(body.Type, status >= 500 ? 'Service' : 'User')
  t.equal(body.message, body.Message)
  if (message !== undefined) t.match(body.message, message)
}

/** Polls a job until it is no longer pending, within a bounded deadline. */
async function settle(jobId: string): Promise<Answer> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const answer = await http('GET', `/api/v1/jobs/${jobId}`)
    if (answer.status !== 202 || Date.now() > deadline) return answer
    await new Promise((resolve) => setImmediate(resolve))
  }
}

const seed = Buffer.from(SEED_WASM_BASE64, 'base64')
const loop = wat(`(module (memory (export "memory") 1)
  (func (export "execute") (param i32 i32) (result i32) (loop $l (br $l)) (i32.const 0)))`)
const trap = wat(`(module (memory (export "memory") 1)
  (func (export "execute") (param i32 i32) (result i32) unreachable))`)
const bomb = wat(`(module (memory (export "memory") 1)
  (func (export "execute") (param i32 i32) (result i32)
    (loop $more (br_if $more (i32.ne (memory.grow (i32.const 1)) (i32.const -1)))) (i32.const 0)))`)

t.test("the seed's module: deploy, invoke on the AWS path, and as a seed job", async (t) => {
  const created = await deploy('seed', seed)
  t.equal(created.status, 201)
  const config = created.json()
  t.equal(config.FunctionName, 'seed')
  t.equal(config.CodeSize, 148)
  t.equal(config.Version, '$LATEST')
  t.equal(config.FunctionArn, 'arn:aws:lambda:us-west-sfo:000000000000:function:seed')

  const answer = await invoke('seed', { dataset: [10, 20, 30, 40] })
  t.equal(answer.status, 200)
  t.equal(answer.headers['x-amz-executed-version'], '$LATEST')
  t.match(answer.headers['x-amzn-requestid'], /^[0-9a-f-]{36}$/)
  // Framed as AWS frames it: a length, not chunks.
  t.equal(answer.headers['content-length'], String(Buffer.byteLength(answer.text)))
  t.equal(answer.headers['transfer-encoding'], undefined)
  t.equal(answer.headers['content-type'], 'application/json')
  const body = answer.json()
  t.equal(body.result, 100)
  t.equal(body.partial, false)
  const shards = body.shards as { index: number; edge: string; attempts: number; items: number }[]
  t.equal(
    shards.reduce((n, s) => n + s.items, 0),
    4
  )
  for (const [i, shard] of shards.entries()) {
    t.match(shard, { index: i, edge: 'edge-a', attempts: 1, failures: [], backup: false })
  }

  const job = await post('/api/v1/jobs', {
    wasm_base64: SEED_WASM_BASE64,
    dataset: [10, 20, 30, 40]
  })
  t.equal(job.status, 202)
  t.equal(job.json().status, 'pending')
  const done = await settle(job.json().job_id as string)
  t.equal(done.status, 200)
  t.equal(done.json().status, 'completed')
  t.equal(done.json().result, 100)

  const byName = await post('/api/v1/jobs', { function: 'seed', dataset: [1, 2, 3] })
  t.equal((await settle(byName.json().job_id as string)).json().result, 6)
})

t.test('invoke by name:$LATEST, by ARN, a bare array, and a binary dataset', async (t) => {
  await deploy('adder', seed)
  t.equal((await invoke('adder:$LATEST', { dataset: [1, 2] })).json().result, 3)
  const arn = 'arn:aws:lambda:us-west-sfo:000000000000:function:adder'
  t.equal((await invoke(arn, [4, 5])).json().result, 9)
  t.equal((await invoke(`${arn}:$LATEST`, [1])).json().result, 1)
  const binary = await http(
    'POST',
    '/2015-03-31/functions/adder/invocations',
    Buffer.from(Int32Array.of(7, 8, 9).buffer),
    { 'x-swarm-dataset-encoding': 'i32le' }
  )
  t.equal(binary.json().result, 24)
  awsError(t, await invoke('adder:7', [1]), 404, 'ResourceNotFoundException', /adder:7/)
})

t.test('example functions with array output', async (t) => {
  const wasm = await readFile(new URL('../../../functions/build/mandelbrot.wasm', import.meta.url))
  await deploy('mandel', wasm, { reduce: 'concat', headerItems: 7 })
  const answer = await invoke('mandel', [4, 2, 10, -2_000_000, -1_000_000, 1_000_000, 1_000_000, 1])
  t.equal(answer.status, 200)
  t.equal((answer.json().result as number[]).length, 4)
})

t.test('Event answers 202 and runs as a job; DryRun 204; Tail returns the log', async (t) => {
  await deploy('events', seed)
  const event = await invoke('events', [5, 5], { 'x-amz-invocation-type': 'Event' })
  t.equal(event.status, 202)
  t.equal(event.text, '')
  const jobId = event.headers['x-swarmlambda-job-id'] as string
  t.match(jobId, /^[0-9a-f]{32}$/)
  t.equal((await settle(jobId)).json().result, 10)

  const dry = await invoke('events', [1], { 'x-amz-invocation-type': 'DryRun' })
  t.equal(dry.status, 204)
  awsError(
    t,
    await invoke('events', [], { 'x-amz-invocation-type': 'DryRun' }),
    400,
    'InvalidRequestContentException',
    /empty/
  )

  const tail = await invoke('events', [1, 2], { 'x-amz-log-type': 'Tail' })
  const log = Buffer.from(tail.headers['x-amz-log-result'] as string, 'base64').toString()
  t.match(log, /^START RequestId: [0-9a-f-]{36} Version: \$LATEST\n/)
  t.match(log, /shard 0: edge-a, 1 attempt\(s\)/)
  t.match(log, /END RequestId: .*\nREPORT RequestId: .*Duration: [\d.]+ ms.*Memory Size: 128 MB\n$/)

  awsError(
    t,
    await invoke('events', [1], { 'x-amz-invocation-type': 'Sometimes' }),
    400,
    'InvalidParameterValueException'
  )
})

t.test('function errors are 200 with X-Amz-Function-Error, each with its own type', async (t) => {
  await deploy('trap', trap)
  await deploy('bomb', bomb, { memoryMb: 2 })
  const trapped = await invoke('trap', [1], { 'x-amz-log-type': 'Tail' })
  t.equal(trapped.status, 200)
  t.equal(trapped.headers['x-amz-function-error'], 'Unhandled')
  t.match(trapped.json(), {
    errorType: 'Runtime.Trap',
    errorMessage: /shard 0 on edge-a: .*unreachable/
  })
  t.match(
    Buffer.from(trapped.headers['x-amz-log-result'] as string, 'base64').toString(),
    /ERROR Runtime\.Trap/
  )
  const bombed = await invoke('bomb', [1])
  t.equal(bombed.headers['x-amz-function-error'], 'Unhandled')
  t.match(bombed.json(), { errorType: 'Runtime.OutOfMemory', errorMessage: /32 pages/ })

  const job = await post('/api/v1/jobs', { function: 'trap', dataset: [1] })
  const failed = await settle(job.json().job_id as string)
  t.equal(failed.status, 200)
  t.match(failed.json(), { status: 'failed', error: { errorType: 'Runtime.Trap' } })
})

t.test(
  'an infinite loop answers with the timeout at its deadline while /healthz answers',
  async (t) => {
    await deploy('loop', loop, { timeoutMs: 1500 })
    let settled = false
    const looping = invoke('loop', [1]).finally(() => (settled = true))
    for (let i = 0; i < 5; i++) {
      const health = await http('GET', '/healthz')
      t.equal(health.status, 200)
      t.match(health.json(), { status: 'ok', node: 'edge-a', region: 'us-west-sfo' })
    }
    t.equal(settled, false, 'health answered while the loop was still running')
    const answer = await looping
    t.equal(answer.status, 200)
    t.equal(answer.headers['x-amz-function-error'], 'Unhandled')
    t.match(answer.json(), { errorType: 'Sandbox.Timedout', errorMessage: /1500 ms/ })
    t.equal((await invoke('seed', [2, 2])).json().result, 4, 'the edge serves the next call')
  }
)

t.test('deploy refusals are 400 InvalidParameterValueException naming the problem', async (t) => {
  awsError(
    t,
    await deploy('bad name!', seed),
    400,
    'InvalidParameterValueException',
    /function name/
  )
  awsError(
    t,
    await post('/functions', { name: 'b64', wasm_base64: '!!!' }),
    400,
    'InvalidParameterValueException',
    /wasm_base64.*base64/
  )
  awsError(
    t,
    await deploy('notwasm', Buffer.from('hello, this is not wasm')),
    400,
    'InvalidParameterValueException',
    /magic number/
  )
  awsError(
    t,
    await deploy('noexec', wat(`(module (memory (export "memory") 1) (func (export "run")))`)),
    400,
    'InvalidParameterValueException',
    /requires an export named "execute"/
  )
  awsError(
    t,
    await deploy(
      'imports',
      wat(`(module (import "env" "f" (func)) (memory (export "memory") 1) ${SUM_EXECUTE})`)
    ),
    400,
    'InvalidParameterValueException',
    /"env"\."f"/
  )
  awsError(
    t,
    await deploy('slow', seed, { timeoutMs: 0 }),
    400,
    'InvalidParameterValueException',
    /timeout/
  )
  awsError(
    t,
    await deploy('reducer', seed, { reduce: 'avg' }),
    400,
    'InvalidParameterValueException',
    /reduce/
  )
  awsError(
    t,
    await post('/functions', { wasm_base64: SEED_WASM_BASE64 }),
    400,
    'InvalidParameterValueException',
    /name/
  )
  awsError(
    t,
    await http('POST', '/functions', '{"name":'),
    400,
    'InvalidRequestContentException',
    /not valid JSON/
  )
  awsError(
    t,
    await http('POST', '/functions', '[1]'),
    400,
    'InvalidRequestContentException',
    /object/
  )
  awsError(
    t,
    await http('POST', '/functions', Buffer.alloc(6 * 1024 * 1024 + 1, 32)),
    413,
    'RequestTooLargeException'
  )
})

t.test('invoke refusals', async (t) => {
  awsError(
    t,
    await invoke('missing', [1]),
    404,
    'ResourceNotFoundException',
    /Function not found: missing/
  )
  awsError(
    t,
    await http('POST', '/2015-03-31/functions/seed/invocations', '{oops'),
    400,
    'InvalidRequestContentException'
  )
  awsError(
    t,
    await http('POST', '/2015-03-31/functions/seed/invocations'),
    400,
    'InvalidRequestContentException',
    /empty/
  )
  awsError(
    t,
    await invoke('seed', { dataset: [1, 2.5] }),
    400,
    'InvalidRequestContentException',
    /item 1 \(2\.5\)/
  )
  awsError(
    t,
    await invoke('seed', { dataset: [2 ** 31] }),
    400,
    'InvalidRequestContentException',
    /item 0/
  )
  awsError(
    t,
    await invoke('seed', { dataset: 'abc' }),
    400,
    'InvalidRequestContentException',
    /array/
  )
  awsError(t, await invoke('seed', []), 400, 'InvalidRequestContentException', /empty/)
  awsError(
    t,
    await http('POST', '/2015-03-31/functions/seed/invocations', Buffer.alloc(6), {
      'x-swarm-dataset-encoding': 'i32le'
    }),
    400,
    'InvalidRequestContentException',
    /multiple of 4/
  )
  const huge = Buffer.alloc(6 * 1024 * 1024 + 10, 0x31)
  awsError(
    t,
    await http('POST', '/2015-03-31/functions/seed/invocations', huge),
    413,
    'RequestTooLargeException'
  )
  awsError(t, await http('GET', '/nowhere'), 404, 'UnknownOperationException')
  awsError(
    t,
    await http('PUT', '/functions'),
    405,
    'MethodNotAllowedException',
    /allowed: POST, GET/
  )
  awsError(
    t,
    await http('GET', '/api/v1/jobs/0123'),
    404,
    'ResourceNotFoundException',
    /Job not found/
  )
})

t.test('the control plane: list, get, replace, delete', async (t) => {
  await deploy('listed', seed, { reduce: 'max', timeoutMs: 2500, memoryMb: 4 })
  const got = await http('GET', '/functions/listed')
  t.match(got.json(), {
    FunctionName: 'listed',
    Timeout: 3,
    MemorySize: 4,
    SwarmLambda: { reduce: 'max', version: 1 }
  })
  const replaced = await deploy('listed', seed)
  t.match(replaced.json(), { SwarmLambda: { version: 2, reduce: 'sum' } })
  const names = (await http('GET', '/functions')).json().functions as { FunctionName: string }[]
  t.ok(names.some((f) => f.FunctionName === 'listed'))
  for (const path of ['/2015-03-31/functions', '/2015-03-31/functions/']) {
    const listed = await http('GET', path)
    t.equal(listed.status, 200)
    t.ok(
      (listed.json().Functions as { FunctionName: string }[]).some(
        (f) => f.FunctionName === 'listed'
      )
    )
  }
  const wasm = await request(`${edge.url}/functions/listed/wasm`)
  t.same(Buffer.from(await wasm.body.arrayBuffer()), seed)
  t.equal((await http('DELETE', '/functions/listed')).status, 204)
  awsError(t, await http('GET', '/functions/listed'), 404, 'ResourceNotFoundException')
  awsError(t, await http('DELETE', '/functions/listed'), 404, 'ResourceNotFoundException')
  const again = await deploy('listed', seed)
  t.match(again.json(), { SwarmLambda: { version: 4 } }, 'the tombstone kept the clock')
})

t.test('ABI v2: bytes in, bytes out', async (t) => {
  const upper = wat(`(module (memory (export "memory") 1)
    (func (export "alloc") (param i32) (result i32) (i32.const 1024))
    (func (export "handle") (param $p i32) (param $n i32) (result i64)
      (local $i i32) (local $c i32)
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $c (i32.load8_u (i32.add (local.get $p) (local.get $i))))
        (if (i32.and (i32.ge_u (local.get $c) (i32.const 97)) (i32.le_u (local.get $c) (i32.const 122)))
          (then (local.set $c (i32.sub (local.get $c) (i32.const 32)))))
        (i32.store8 (i32.add (local.get $p) (local.get $i)) (local.get $c))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
      (i64.or (i64.shl (i64.extend_i32_u (local.get $p)) (i64.const 32)) (i64.extend_i32_u (local.get $n)))))`)
  const created = await deploy('upper', upper)
  t.match(created.json(), { SwarmLambda: { abi: 'v2', reduce: 'none' } })
  const answer = await http('POST', '/2015-03-31/functions/upper/invocations', '{"hello":"world"}')
  t.equal(answer.status, 200)
  t.equal(answer.text, '{"HELLO":"WORLD"}')
})

t.test('closing: 503 while an in-flight call finishes; then the listener closes', async (t) => {
  const closing = new Edge(
    loadConfig({ port: '0', 'state-dir': t.testdir(), 'log-level': 'silent' }, {})
  )
  await closing.ready()
  const url = closing.url
  const wasm = Buffer.from(loop).toString('base64')
  const body = JSON.stringify({ name: 'slow', wasm_base64: wasm, timeoutMs: 800 })
  t.equal((await http('POST', '/functions', body, {}, url)).status, 201)
  const invocation = `${url}/2015-03-31/functions/slow/invocations`
  const inflight = request(invocation, { method: 'POST', body: '[1]' })
  const deadline = Date.now() + 10_000
  while (closing.stats().pool.running === 0 && Date.now() < deadline) {
    await new Promise((resolve) => setImmediate(resolve)) // until the call runs on the executor
  }
  const closed = closing.close()
  const refused = await request(`${url}/healthz`)
  t.equal(refused.statusCode, 503)
  t.equal(refused.headers['x-amzn-errortype'], 'ServiceException')
  t.equal(refused.headers.connection, 'close')
  t.match(await refused.body.json(), { message: 'The edge is shutting down' })
  const finished = await inflight
  t.equal(finished.statusCode, 200)
  t.match(await finished.body.json(), { errorType: 'Sandbox.Timedout' })
  await closed
  await t.rejects(request(`${url}/healthz`), { code: 'ECONNREFUSED' }, 'no longer listening')
})

t.test('a Wasm function is updated like a JS one: code, then configuration', async (t) => {
  t.equal((await deploy('updatable', seed)).status, 201)
  t.match((await invoke('updatable', [1, 2, 3])).json(), { result: 6 })
  // The new code answers its item count (additive, so sharded or not): the next call runs it.
  const counting = wat(`(module (memory (export "memory") 1)
    (func (export "execute") (param $ptr i32) (param $len i32) (result i32) (local.get $len)))`)
  const code = await http(
    'PUT',
    '/2015-03-31/functions/updatable/code',
    JSON.stringify({ ZipFile: Buffer.from(counting).toString('base64') })
  )
  t.equal(code.status, 200)
  t.equal(code.json().CodeSha256, createHash('sha256').update(counting).digest('base64'))
  t.match((await invoke('updatable', [1, 2, 3])).json(), { result: 3 })

  const config = await http(
    'PUT',
    '/2015-03-31/functions/updatable/configuration',
    JSON.stringify({
      Timeout: 9,
      MemorySize: 64,
      Description: 'counts',
      Environment: { Variables: { SWARMLAMBDA_REDUCE: 'max', MODE: 'x' } }
    })
  )
  t.equal(config.status, 200)
  t.match(config.json(), {
    Timeout: 9,
    MemorySize: 64,
    Description: 'counts',
    CodeSha256: createHash('sha256').update(counting).digest('base64'),
    Environment: { Variables: { MODE: 'x', SWARMLAMBDA_REDUCE: 'max' } }
  })
  const refused = await http(
    'PUT',
    '/2015-03-31/functions/updatable/code',
    JSON.stringify({ ZipFile: Buffer.from('not a module').toString('base64') })
  )
  t.equal(refused.status, 400)
  t.match(
    (await invoke('updatable', [5])).json(),
    { result: 1 },
    'a refused update changes nothing'
  )
  t.equal((await http('PUT', '/2015-03-31/functions/nope/code', '{"ZipFile":"AA=="}')).status, 404)
})
