import { pino } from 'pino'
import t from 'tap'
import { loadConfig } from '../../lib/config.js'
import { PEER_UNAVAILABLE } from '../../lib/errors.js'
import type { RouteContext } from '../../lib/gateway/context.js'
import { JsonCodec } from '../../lib/gateway/json.js'
import { Concurrency } from '../../lib/limits.js'
import { invokeRoutes } from '../../lib/gateway/routes/invoke.js'
import { jobRoutes } from '../../lib/gateway/routes/jobs.js'
import { Gateway } from '../../lib/gateway/server.js'
import Corestore from 'corestore'
import { asyncParts } from '../../lib/gateway/async.js'
import { JobService } from '../../lib/jobs/service.js'
import { Registry } from '../../lib/registry/registry.js'
import type { FunctionService } from '../../lib/registry/functions.js'
import type { VersionService } from '../../lib/registry/versions.js'
import type { Executor, ShardRun } from '../../lib/scheduler/executors.js'
import { Scheduler } from '../../lib/scheduler/run.js'
import { validate } from '../../lib/wasm/policy.js'
import type { FunctionRecord } from '../../lib/wire/function-record.js'
import { http } from '../support/cluster.js'
import { SEED_WASM_BASE64 } from '../wasm/wat.js'

// The gateway's answers when shards are lost: a real gateway and scheduler, with executors that
// lose what the test says (real edges lose shards only to deadlines and crashes).
const fn = await validate(Buffer.from(SEED_WASM_BASE64, 'base64'), { memoryPages: 16 })
const record = (name: string, timeoutMs: number): FunctionRecord => ({
  name,
  sha256: fn.sourceSha256,
  size: 148,
  abi: 'v1',
  reduce: 'sum',
  timeoutMs,
  memoryMb: 1,
  headerItems: 0,
  concurrency: 0,
  maxDatasetItems: 0,
  runtime: 'provided.al2023',
  role: '',
  handler: 'execute',
  description: '',
  kind: 'wasm',
  environment: {},
  version: 1,
  created: 0,
  modified: 0,
  deleted: false,
  blob: { byteOffset: 0, blockOffset: 0, blockLength: 1, byteLength: 148 }
})
const functions = {
  resolve: async (name: string) => ({ record: record(name, name === 'stuck' ? 30 : 2_000), fn }),
  prepare: async (stored: FunctionRecord) => ({ record: stored, fn })
} as unknown as FunctionService
const versions = {
  target: async (name: string) => ({
    record: record(name, name === 'stuck' ? 30 : 2_000),
    version: '$LATEST'
  })
} as unknown as VersionService

/** Loses shard 1 everywhere; never answers at all for the function `stuck`. */
const executor = (id: string): Executor => ({
  id,
  name: id === '' ? 'edge-a' : id,
  run(invocation, shard): Promise<ShardRun> {
    if (invocation.functionName === 'stuck') return new Promise<ShardRun>(() => undefined)
    if (shard.index === 1) return Promise.reject(PEER_UNAVAILABLE(id))
    return Promise.resolve({ result: Array.from(shard.input).reduce((a, b) => a + b, 0) })
  }
})
const member = (id: string) => ({
  executor: executor(id),
  candidate: {
    id,
    name: id,
    self: false,
    distanceKm: 10,
    rttMs: 1,
    load: 0,
    workers: 1,
    healthy: true
  }
})
// Durable jobs on a Corestore of the test's own, as an edge has them.
const log = pino({ level: 'silent' })
const store = new Corestore(t.testdir())
const registry = new Registry(store, { log })
await registry.ready()
const jobs = new JobService({
  store,
  registry,
  ack: 'local',
  retentionMs: 60_000,
  leaseMs: 6_000,
  retryDelayMs: 10,
  maxInFlight: 4,
  clustered: false,
  parts: asyncParts(
    () => ctx,
    { id: 'a'.repeat(64), name: 'edge-a' },
    () => [],
    () => undefined,
    log
  ),
  log
})
t.teardown(async () => {
  await jobs.close()
  await registry.close()
  await store.close()
})
const json = new JsonCodec()
t.teardown(() => json.close())
const ctx = {
  config: loadConfig({}, {}),
  functions,
  versions,
  scheduler: new Scheduler({
    local: executor(''),
    workers: 1,
    maxShards: 16,
    members: () => [member('edge-b'), member('edge-c')]
  }),
  jobs,
  eventInvoke: {
    settings: () => ({ maxRetryAttempts: 0, maxEventAgeSeconds: 60, onSuccess: '', onFailure: '' })
  },
  json,
  concurrency: new Concurrency(100)
} as unknown as RouteContext
const gateway = new Gateway({
  host: '127.0.0.1',
  port: 0,
  routes: [...invokeRoutes(ctx), ...jobRoutes(ctx)],
  log: pino({ level: 'silent' })
})
await jobs.ready()
await gateway.listen()
t.teardown(() => gateway.close())
const url = `http://127.0.0.1:${gateway.address.port}`

t.test('lost shards: Invoke answers 206 with partial and the missing indexes', async (t) => {
  const answer = await http(url, 'POST', '/2015-03-31/functions/lossy/invocations', {
    dataset: [1, 2, 3]
  })
  t.equal(answer.status, 206)
  t.equal(answer.body.partial, true)
  t.same(answer.body.missing, [1])
  t.equal(answer.body.result, 4)
  const shards = answer.body.shards as { edge: string | null; attempts: number }[]
  t.same(
    shards.map((s) => s.edge),
    ['edge-a', null, 'edge-c']
  )
  t.equal(shards[1]!.attempts, 3)
})

t.test('lost shards: the job answers 206 too', async (t) => {
  const job = await http(url, 'POST', '/api/v1/jobs', { function: 'lossy', dataset: [1, 2, 3] })
  t.equal(job.status, 202)
  const done = await (async () => {
    for (;;) {
      const got = await http(url, 'GET', `/api/v1/jobs/${job.body.job_id as string}`)
      if (got.status !== 202) return got
      await new Promise((resolve) => setImmediate(resolve))
    }
  })()
  t.equal(done.status, 206)
  t.equal(done.body.status, 'partial')
  t.same(done.body.missing, [1])
})

t.test('no shard by the deadline: 504, AWS-shaped', async (t) => {
  const answer = await http(url, 'POST', '/2015-03-31/functions/stuck/invocations', [1, 2, 3])
  t.equal(answer.status, 504)
  t.equal(answer.headers['x-amzn-errortype'], 'ServiceException')
  t.match(answer.body.message, /No shard of stuck answered before the deadline/)
  t.equal(answer.body.errorCode, 'INVOCATION_TIMEOUT')
})
