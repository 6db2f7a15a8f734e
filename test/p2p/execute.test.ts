import { createHash } from 'node:crypto'
import { pino } from 'pino'
import t from 'tap'
import { loadConfig } from '../../lib/config.js'
import { Edge } from '../../lib/edge.js'
import { SwarmError } from '../../lib/errors.js'
import type { PeerRpc } from '../../lib/rpc/peer-rpc.js'
import type { ExecuteRequest } from '../../lib/wire/rpc.js'
import { clusterView, eventually, http, startClusterEdge } from '../support/cluster.js'
import { startDht } from '../support/processes.js'
import { SUM_EXECUTE, wat } from '../wasm/wat.js'

const SUM = wat(`(module (memory (export "memory") 1) ${SUM_EXECUTE})`)
const TRAP = wat(`(module (memory (export "memory") 1)
  (func (export "execute") (param i32 i32) (result i32) unreachable))`)
const SPIN = wat(`(module (memory (export "memory") 1)
  (func (export "execute") (param i32 i32) (result i32) (loop $forever (br $forever)) (i32.const 0)))`)
const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

const shard = (
  wasm: Uint8Array,
  input: number[],
  timeoutMs = 3_000
): Omit<ExecuteRequest, 'token'> => ({
  sha256: sha(wasm),
  abi: 'v1',
  memoryMb: 16,
  timeoutMs,
  input: Int32Array.from(input),
  requestId: 'test-request'
})

/** Resolves with the coded error a promise rejects with. */
async function failure(promise: Promise<unknown>): Promise<SwarmError> {
  try {
    await promise
  } catch (err) {
    if (err instanceof SwarmError) return err
    throw err
  }
  throw new Error('expected a rejection')
}

// B is an edge in this process (so the test holds its RPC channels); C is an edge process.
const { bootstrap } = await startDht(t)
const key = 'cd'.repeat(32)
const dir = t.testdir({ b: {}, c: {} })
const c = await startClusterEdge(
  t,
  { name: 'edge-c', region: 'eu-central-fra', dir: `${dir}/c` },
  bootstrap,
  key
)
const b = new Edge(
  loadConfig(
    {
      name: 'edge-b',
      region: 'us-east-iad',
      port: '0',
      'state-dir': `${dir}/b`,
      'cluster-key': key,
      bootstrap
    },
    {}
  ),
  { log: pino({ level: 'silent' }), poolSize: 1 }
)
t.teardown(() => b.close())
await b.ready()
const cId = (await clusterView(c.url)).self
const rpc: PeerRpc = await eventually('B reaches C', async () => b.member(cId) ?? undefined)

// The modules are deployed on B and reach C through the registry, never in a request.
for (const [name, wasm] of Object.entries({ sum: SUM, trap: TRAP, spin: SPIN })) {
  const deployed = await http(b.url, 'POST', '/functions', {
    name,
    wasm_base64: Buffer.from(wasm).toString('base64'),
    timeoutMs: 60_000
  })
  if (deployed.status !== 201) throw new Error(`deploy ${name}: ${deployed.status}`)
  await eventually(`${name} on C`, async () => {
    const got = await http(c.url, 'GET', `/functions/${name}`)
    return got.status === 200 ? true : undefined
  })
}

t.test('execute from B runs a shard on C and returns its result', async (t) => {
  const input = Array.from({ length: 100 }, (_, i) => i + 1)
  const reply = await rpc.execute(shard(SUM, input), 5_000)
  t.equal(reply.result, 5050)
  t.equal(reply.output, null)
  t.equal(reply.payload, null)
  t.ok(reply.micros > 0, 'C reports the time it ran')
  const health = (await http(c.url, 'GET', '/healthz')).body as {
    executor: { loads: number }
  }
  t.ok(health.executor.loads >= 1, "C's executor loaded the module")
  const line = await eventually('C logged the shard', async () =>
    c.logs().find((l) => l.msg === 'member shard' && l.requestId === 'test-request')
  )
  t.match(line, { outcome: 'ok', module: sha(SUM).slice(0, 16) }, 'the request id crossed the RPC')
})

t.test('errors keep their codes across the hop', async (t) => {
  const trap = await failure(rpc.execute(shard(TRAP, [1]), 5_000))
  t.equal(trap.code, 'FUNCTION_TRAP')
  t.equal(trap.kind, 'function')
  t.match(trap.message, /unreachable/)

  const timeout = await failure(rpc.execute(shard(SPIN, [1], 200), 5_000))
  t.equal(timeout.code, 'FUNCTION_TIMEOUT')
  t.match(timeout.message, /200 ms/)

  const unknown = await failure(rpc.execute({ ...shard(SUM, [1]), sha256: 'ab'.repeat(32) }, 8_000))
  t.equal(unknown.code, 'WASM_UNAVAILABLE')
  t.equal(unknown.kind, 'service')

  const mismatch = await failure(rpc.execute({ ...shard(SUM, [1]), memoryMb: 0 }, 5_000))
  t.equal(mismatch.code, 'INVALID_PARAMETER')

  const large = await failure(rpc.execute(shard(SUM, new Array<number>(300_000).fill(1)), 5_000))
  t.equal(large.code, 'MESSAGE_TOO_LARGE', 'a shard over 1 MiB is refused before it is sent')

  const late = await failure(rpc.execute(shard(SPIN, [1], 2_000), 300))
  t.equal(late.code, 'PEER_TIMEOUT', 'a deadline shorter than the run fails as the peer being late')

  // C still serves.
  t.equal((await rpc.execute(shard(SUM, [2, 3]), 5_000)).result, 5)
})

t.test(
  'C killed mid-request fails the request promptly (its connection times out) with a coded error',
  async (t) => {
    const running = rpc.execute(shard(SPIN, [1], 60_000), 60_000)
    running.catch(() => undefined)
    await eventually('the shard runs on C', async () => {
      const health = (await http(c.url, 'GET', '/healthz')).body as {
        executor: { running: number }
      }
      return health.executor.running > 0 ? true : undefined
    })
    const killed = Date.now()
    c.child.kill('SIGKILL')
    const lost = await failure(running)
    t.comment(`failed ${Date.now() - killed} ms after the kill (deadline 60000 ms)`)
    t.equal(lost.code, 'PEER_UNAVAILABLE', 'the closed connection, not the deadline, failed it')
    t.equal(lost.kind, 'service')
    t.equal(b.member(cId), null, 'C left the peer table')
  }
)
