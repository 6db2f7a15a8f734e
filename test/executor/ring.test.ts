import t, { type Test } from 'tap'
import { WasmPool } from '../../lib/executor/pool.js'
import { INLINE_BYTES, PoolRings, WorkerRings, ringBuffers } from '../../lib/executor/ring.js'
import { validate } from '../../lib/wasm/policy.js'
import { SEED_WASM_BASE64, wat } from '../wasm/wat.js'

t.test('records keep their order and contents across the int32 wrap of the counters', (t) => {
  const buffers = ringBuffers(3)
  t.equal(buffers.capacity, 4, 'a power of two at least the depth')
  const pool = new PoolRings(buffers)
  const worker = new WorkerRings(buffers)
  const start = 0x7fffffff - 1
  pool.written = start
  pool.read = start
  worker.written = start
  const ns = [start, 0x7fffffff, -0x80000000, -0x7fffffff]
  for (const [i, n] of ns.entries()) {
    // Three calls in records and one on the port, as the pool writes them.
    if (i === 2) pool.onPort(100 + i)
    else pool.inline(100 + i, 'wasm', 7, Int32Array.from([i, -i, 2 ** 31 - 1]), 250 + i)
    const call = worker.call(n)
    if (i === 2) t.equal(call, null, 'the port call is on the port')
    else {
      t.same(
        call === null ? null : { ...call, input: Array.from(call.input) },
        {
          id: 100 + i,
          runtime: 'wasm',
          handle: 7,
          input: [i, -i, 2 ** 31 - 1],
          timeoutMs: 250 + i
        },
        `call ${n}`
      )
    }
  }
  t.equal(pool.written, -0x7fffffff + 1, 'the counter wrapped')
  // Replies: plain ones in records, the others on the port (at most `capacity` unread).
  t.equal(worker.reply({ ok: true, id: 1, result: -5, output: null, micros: 3 }), false)
  t.equal(worker.reply({ ok: true, id: 2, result: 4, output: new ArrayBuffer(4), micros: 1 }), true)
  t.equal(worker.reply({ ok: false, id: 3, code: 'FUNCTION_TRAP', message: 'x', micros: 1 }), true)
  t.equal(worker.reply({ ok: true, id: 4, result: 9, output: null, micros: 2, logs: 'l\n' }), true)
  t.equal(pool.next(start), null, 'nothing until published')
  let published = worker.written
  t.same(
    [1, 2, 3, 4].map(() => pool.next(published)),
    [{ ok: true, id: 1, result: -5, output: null, micros: 3 }, 'port', 'port', 'port']
  )
  t.equal(pool.next(published), null, 'all read')
  t.equal(worker.reply({ ok: true, id: 5, result: 7, output: null, micros: 8 }), false)
  published = worker.written
  t.same(pool.next(published), { ok: true, id: 5, result: 7, output: null, micros: 8 })
  t.equal(pool.read, published, 'both counters past the wrap')
  t.end()
})

t.test('a WASI call travels in a record as bytes', (t) => {
  const buffers = ringBuffers(2)
  const pool = new PoolRings(buffers)
  const worker = new WorkerRings(buffers)
  pool.inline(9, 'wasi', 3, new Uint8Array(Buffer.from('stdin text')), 1000)
  const call = worker.call(0)
  t.equal(call?.runtime, 'wasi')
  t.ok(call?.input instanceof Uint8Array, 'bytes, not ints')
  t.equal(Buffer.from(call?.input ?? []).toString(), 'stdin text')
  t.end()
})

const seed = await validate(Buffer.from(SEED_WASM_BASE64, 'base64'), { memoryPages: 64 })
/** Copies its input to its output (ABI v2): every reply carries bytes, so goes on the port. */
const echo = await validate(
  wat(`(module (memory (export "memory") 2)
    (func (export "alloc") (param i32) (result i32) (i32.const 1024))
    (func (export "handle") (param $ptr i32) (param $len i32) (result i64)
      (i64.or (i64.shl (i64.extend_i32_u (local.get $ptr)) (i64.const 32))
              (i64.extend_i32_u (local.get $len)))))`),
  { memoryPages: 16 }
)
const trap = await validate(
  wat(`(module (memory (export "memory") 1)
    (func (export "execute") (param i32 i32) (result i32) unreachable))`),
  { memoryPages: 16 }
)

/** A mix of calls whose requests and replies take the records and the port in turns. */
async function mixed(t: Test, pool: WasmPool, count: number): Promise<void> {
  const big = INLINE_BYTES / 4 + 1 // one int over what a record holds
  const runs = Array.from({ length: count }, async (_, i) => {
    const kind = i % 4
    if (kind === 0) {
      const out = await pool.run(seed, { input: Int32Array.from([i, 1, 2]), timeoutMs: 5000 })
      return out.result === i + 3
    }
    if (kind === 1) {
      const input = new Int32Array(big).fill(1)
      input[0] = i
      const out = await pool.run(seed, { input, timeoutMs: 5000 })
      return out.result === i + big - 1
    }
    if (kind === 2) {
      const input = Buffer.from(`call ${i}`)
      const out = await pool.run(echo, { input: new Uint8Array(input), timeoutMs: 5000 })
      return Buffer.from(out.payload ?? []).toString() === `call ${i}`
    }
    const failed = await pool.run(trap, { input: Int32Array.from([i]), timeoutMs: 5000 }).then(
      () => null,
      (err: { code?: string }) => err.code
    )
    return failed === 'FUNCTION_TRAP'
  })
  const answers = await Promise.all(runs)
  t.same(
    answers.flatMap((ok, i) => (ok ? [] : [i])),
    [],
    `all ${count} calls answered right`
  )
}

t.test(
  'calls in records and on the port, replies in records and on the port, in order',
  async (t) => {
    const pool = new WasmPool({ size: 2, maxPipeline: 4 })
    t.teardown(() => pool.close())
    await mixed(t, pool, 400)
    t.equal(pool.stats().restarts, 0, 'no reply came out of order')
  }
)

t.test('with no polling on the main thread every reply is announced by a wake-up', async (t) => {
  const pool = new WasmPool({ size: 1, spares: 0, spinMicros: 0, maxPipeline: 2 })
  t.teardown(() => pool.close())
  await mixed(t, pool, 200)
  // One at a time too: each reply must wake the waiting thread by itself.
  for (let i = 0; i < 50; i++) {
    const out = await pool.run(seed, { input: Int32Array.from([i]), timeoutMs: 5000 })
    if (out.result !== i) t.fail(`call ${i} answered ${out.result}`)
  }
  t.equal(pool.stats().restarts, 0)
})
