import t from 'tap'
import { validate } from '../../lib/wasm/policy.js'
import { WasmPool } from '../../lib/executor/pool.js'
import { SEED_WASM_BASE64, SUM_EXECUTE, wat } from '../wasm/wat.js'

const pool = new WasmPool({ size: 2 })
await pool.ready()
t.teardown(() => pool.close())

const seed = await validate(Buffer.from(SEED_WASM_BASE64, 'base64'), { memoryPages: 16 })
const ints = (...values: number[]) => Int32Array.from(values)

const infiniteLoop = await validate(
  wat(`(module (memory (export "memory") 1)
    (func (export "execute") (param i32 i32) (result i32) (loop $forever (br $forever)) (i32.const 0)))`),
  { memoryPages: 16 }
)

/** Grows one page at a time forever; AssemblyScript's allocator does the same when it runs out. */
const memoryBomb = await validate(
  wat(`(module (memory (export "memory") 1)
    (func (export "execute") (param i32 i32) (result i32)
      (loop $more (br_if $more (i32.ne (memory.grow (i32.const 1)) (i32.const -1))))
      (i32.const 0)))`),
  { memoryPages: 32 }
)

/** Asks for far more than the cap in one step, then writes past the end when refused. */
const bigGrow = await validate(
  wat(`(module (memory (export "memory") 1)
    (func (export "execute") (param i32 i32) (result i32)
      (drop (memory.grow (i32.const 1000)))
      (i32.store (i32.const 1000000) (i32.const 1))
      (i32.const 0)))`),
  { memoryPages: 32 }
)

const recursion = await validate(
  wat(`(module (memory (export "memory") 1)
    (func $down (export "execute") (param i32 i32) (result i32)
      (i32.add (call $down (local.get 0) (local.get 1)) (i32.const 1))))`),
  { memoryPages: 16 }
)

const unreachable = await validate(
  wat(`(module (memory (export "memory") 1)
    (func (export "execute") (param i32 i32) (result i32) unreachable))`),
  { memoryPages: 16 }
)

/** Copies its input to the output: a round trip through the executor, byte for byte. */
const identity = await validate(
  wat(`(module (memory (export "memory") 1)
    (global $ptr (mut i32) (i32.const 0)) (global $len (mut i32) (i32.const 0))
    (func (export "alloc") (param $bytes i32) (result i32)
      (local $pages i32)
      (local.set $pages (i32.shr_u (i32.add (local.get $bytes) (i32.const 65535)) (i32.const 16)))
      (i32.mul (memory.grow (local.get $pages)) (i32.const 65536)))
    (func (export "execute") (param $ptr i32) (param $len i32) (result i32)
      (global.set $ptr (local.get $ptr)) (global.set $len (local.get $len)) (local.get $len))
    (func (export "output_ptr") (result i32) (global.get $ptr))
    (func (export "output_len") (result i32) (global.get $len)))`),
  { memoryPages: 256 }
)

t.test('the seed module gives 100 for [10,20,30,40]', async (t) => {
  const out = await pool.run(seed, { input: ints(10, 20, 30, 40), timeoutMs: 1000 })
  t.equal(out.result, 100)
  t.equal(out.output, undefined)
})

t.test('an infinite loop stops at its deadline and the pool serves the next call', async (t) => {
  const before = pool.stats().restarts
  await t.rejects(pool.run(infiniteLoop, { input: ints(), timeoutMs: 200 }), {
    code: 'FUNCTION_TIMEOUT',
    message: /200 ms/,
    kind: 'function'
  })
  t.equal(pool.stats().restarts, before + 1, 'only that worker was replaced')
  t.equal(pool.stats().workers, 2)
  t.equal(pool.stats().spares, 1, 'a new warm spare replaced the one that took over')
  const out = await pool.run(seed, { input: ints(1, 2, 3), timeoutMs: 1000 })
  t.equal(out.result, 6)
})

t.test('the deadline counts from when a call starts, not from when it was queued', async (t) => {
  const single = new WasmPool({ size: 1, spares: 0 })
  t.teardown(() => single.close())
  await single.ready()
  // Both go to the one worker; the second waits 300 ms behind the first, longer than its own
  // 150 ms deadline, and must still succeed once it runs.
  const stuck = single.run(infiniteLoop, { input: ints(), timeoutMs: 300 })
  const queued = single.run(seed, { input: ints(5, 6), timeoutMs: 150 })
  await t.rejects(stuck, { code: 'FUNCTION_TIMEOUT' })
  t.equal((await queued).result, 11)
  t.equal(single.stats().restarts, 1)
})

t.test(
  'growing memory past the cap is a memory error, while other calls keep running',
  async (t) => {
    const others = Array.from({ length: 50 }, (_, i) =>
      pool.run(seed, { input: ints(i, i), timeoutMs: 5000 })
    )
    await t.rejects(pool.run(memoryBomb, { input: ints(), timeoutMs: 5000 }), {
      code: 'FUNCTION_MEMORY_LIMIT',
      message: /32 pages/
    })
    await t.rejects(pool.run(bigGrow, { input: ints(), timeoutMs: 5000 }), {
      code: 'FUNCTION_MEMORY_LIMIT'
    })
    t.same(
      (await Promise.all(others)).map((o) => o.result),
      Array.from({ length: 50 }, (_, i) => 2 * i)
    )
  }
)

t.test('an input larger than the memory cap is a memory error', async (t) => {
  await t.rejects(pool.run(seed, { input: new Int32Array(16 * 16_384 + 1), timeoutMs: 5000 }), {
    code: 'FUNCTION_MEMORY_LIMIT',
    message: /does not fit/
  })
})

t.test('a trap and deep recursion are function traps, distinct from timeouts', async (t) => {
  await t.rejects(pool.run(unreachable, { input: ints(), timeoutMs: 5000 }), {
    code: 'FUNCTION_TRAP',
    message: /unreachable/
  })
  await t.rejects(pool.run(recursion, { input: ints(), timeoutMs: 5000 }), {
    code: 'FUNCTION_TRAP',
    message: /recursion/
  })
  t.equal((await pool.run(seed, { input: ints(7), timeoutMs: 1000 })).result, 7)
})

t.test('an allow-listed abort() is a trap carrying its message', async (t) => {
  const fn = await validate(
    wat(`(module (import "env" "abort" (func $abort (param i32 i32 i32 i32)))
      (memory (export "memory") 1)
      (data (i32.const 16) "\\0a\\00\\00\\00b\\00o\\00o\\00m\\00!\\00")
      (func (export "execute") (param i32 i32) (result i32)
        (call $abort (i32.const 20) (i32.const 0) (i32.const 7) (i32.const 3)) (i32.const 0)))`),
    { memoryPages: 16, allowImports: ['env.abort'] }
  )
  await t.rejects(pool.run(fn, { input: ints(), timeoutMs: 1000 }), {
    code: 'FUNCTION_TRAP',
    message: /abort\(boom!\) at \?:7:3/
  })
})

t.test('an output pointing outside memory is a bad-output function error', async (t) => {
  const fn = await validate(
    wat(`(module (memory (export "memory") 1) ${SUM_EXECUTE}
      (func (export "output_ptr") (result i32) (i32.const 65000))
      (func (export "output_len") (result i32) (i32.const 1000)))`),
    { memoryPages: 16 }
  )
  await t.rejects(pool.run(fn, { input: ints(1), timeoutMs: 1000 }), {
    code: 'FUNCTION_BAD_OUTPUT'
  })
})

t.test('1e6 integers round-trip through the pool', async (t) => {
  const input = new Int32Array(1_000_000)
  for (let i = 0; i < input.length; i++) input[i] = (i * 2_654_435_761) | 0
  const expected = input.slice()
  const out = await pool.run(identity, { input, timeoutMs: 10_000 })
  t.equal(out.result, 1_000_000)
  t.ok(out.output instanceof Int32Array)
  t.ok(Buffer.from(out.output!.buffer).equals(Buffer.from(expected.buffer)), 'identical bytes')
  const moved = await pool.run(identity, { input, timeoutMs: 10_000, transfer: true })
  t.equal(input.byteLength, 0, 'with transfer, the buffer moved instead of being copied')
  t.ok(Buffer.from(moved.output!.buffer).equals(Buffer.from(expected.buffer)))
})

t.test('1,000 concurrent tiny calls all return correct results', async (t) => {
  const fresh = await validate(Buffer.from(SEED_WASM_BASE64, 'base64'), { memoryPages: 17 })
  const loadsBefore = pool.stats().loads
  await Promise.all(
    Array.from({ length: 100 }, () => pool.run(fresh, { input: ints(1), timeoutMs: 5000 }))
  )
  t.ok(pool.stats().loads - loadsBefore <= 2, 'a module is posted once per worker, not per call')
  const results = await Promise.all(
    Array.from({ length: 1000 }, (_, i) =>
      pool.run(seed, { input: ints(i, 1, 2), timeoutMs: 5000 })
    )
  )
  t.same(
    results.map((r) => r.result),
    Array.from({ length: 1000 }, (_, i) => i + 3)
  )
})

t.test('a fresh instance per call: globals and memory never leak between calls', async (t) => {
  const fn = await validate(
    wat(`(module (memory (export "memory") 1) (global $calls (mut i32) (i32.const 0))
      (func (export "execute") (param i32 i32) (result i32)
        (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
        (i32.store (i32.const 60000) (i32.add (i32.load (i32.const 60000)) (i32.const 1)))
        (i32.add (global.get $calls) (i32.mul (i32.load (i32.const 60000)) (i32.const 100)))))`),
    { memoryPages: 16 }
  )
  const results = await Promise.all(
    Array.from({ length: 20 }, () => pool.run(fn, { input: ints(), timeoutMs: 1000 }))
  )
  t.same(
    results.map((r) => r.result),
    Array(20).fill(101)
  )
})

t.test('ABI v2 takes bytes and returns bytes', async (t) => {
  // Echoes its input reversed.
  const fn = await validate(
    wat(`(module (memory (export "memory") 1)
      (func (export "alloc") (param i32) (result i32) (i32.const 1024))
      (func (export "handle") (param $ptr i32) (param $len i32) (result i64)
        (local $i i32)
        (block $done (loop $next
          (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
          (i32.store8 (i32.add (i32.const 4096) (local.get $i))
            (i32.load8_u (i32.sub (i32.add (local.get $ptr) (local.get $len))
              (i32.add (local.get $i) (i32.const 1)))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $next)))
        (i64.or (i64.shl (i64.const 4096) (i64.const 32)) (i64.extend_i32_u (local.get $len)))))`),
    { memoryPages: 16 }
  )
  const out = await pool.run(fn, { input: Buffer.from('{"hello":"world"}'), timeoutMs: 1000 })
  t.equal(Buffer.from(out.payload!).toString(), '}"dlrow":"olleh"{')
  t.equal(out.result, 17)
  await t.rejects(pool.run(fn, { input: ints(1), timeoutMs: 1000 }), TypeError)
})

t.test('bad timeouts are refused before queueing', async (t) => {
  for (const timeoutMs of [0, -5, Number.NaN, Infinity]) {
    await t.rejects(pool.run(seed, { input: ints(1), timeoutMs }), { code: 'INVALID_LIMIT' })
  }
})

t.test('close() fails queued calls, refuses new ones, and is idempotent', async (t) => {
  const closing = new WasmPool({ size: 1, spares: 0 })
  await closing.ready()
  const running = closing.run(infiniteLoop, { input: ints(), timeoutMs: 300 })
  const queued = Array.from({ length: 3 }, () =>
    closing.run(seed, { input: ints(1), timeoutMs: 1000 })
  )
  const closed = closing.close()
  t.equal(closing.close(), closed)
  for (const q of queued) await t.rejects(q, { code: 'EXECUTOR_CLOSED' })
  await t.rejects(running, { code: 'FUNCTION_TIMEOUT' })
  await closed
  await t.rejects(closing.run(seed, { input: ints(1), timeoutMs: 1000 }), {
    code: 'EXECUTOR_CLOSED'
  })
})

t.test(
  'a call known to be short waits for the hot worker, an unknown one wakes an idle one',
  async (t) => {
    // A worker descheduled mid-call looks busy with a long one, and then a short call rightly
    // goes elsewhere: on a loaded machine the round is tried again (up to three fresh pools).
    // A pipeline of 8 and 7 calls: past its half the hot worker is not refilled, and the idle
    // one must not take the rest while the hot one still has room (the refill spilled them).
    let two = new WasmPool({ size: 2, spares: 0, maxPipeline: 8 })
    const loads: number[] = []
    for (let round = 0; round < 3; round++) {
      if (round > 0) {
        await two.close()
        two = new WasmPool({ size: 2, spares: 0, maxPipeline: 8 })
      }
      await two.ready()
      // A worker learns a module once: `loads` counts the workers that ran it. One at a time,
      // the calls go to the first worker, whose average call time falls to what a short call
      // takes (its first, with the module's instantiation, counts for more).
      for (let i = 0; i < 12; i++) await two.run(seed, { input: ints(1, 2), timeoutMs: 1000 })
      t.equal(two.stats().loads, 1)
      const pool = two
      const short = () => pool.run(seed, { input: ints(1, 2), timeoutMs: 1000, expectedMicros: 5 })
      const answers = await Promise.all(Array.from({ length: 7 }, short))
      t.strictSame(
        answers.map((a) => a.result),
        Array(7).fill(3)
      )
      loads.push(two.stats().loads)
      if (two.stats().loads === 1) break
    }
    t.teardown(() => two.close())
    t.equal(loads.at(-1), 1, `short calls all went to the worker already running it (${loads})`)
    await Promise.all(
      Array.from({ length: 8 }, () => two.run(seed, { input: ints(1), timeoutMs: 1000 }))
    )
    t.equal(two.stats().loads, 2, 'calls of unknown length go to the idle worker too')
  }
)

t.test(
  'large inputs reach the workers through shared memory, intact, call after call',
  async (t) => {
    const big = Int32Array.from({ length: 100_000 }, (_, i) => i % 10)
    const runs = await Promise.all(
      [1, 2, 3, 4].map(() => pool.run(seed, { input: big, timeoutMs: 5_000 }))
    )
    t.same(
      runs.map((r) => r.result),
      [450_000, 450_000, 450_000, 450_000]
    )
    t.equal(big.byteLength, 400_000, 'the caller keeps its input')
    t.equal(
      (await pool.run(seed, { input: big.subarray(10, 20_010), timeoutMs: 5_000 })).result,
      90_000
    )
  }
)
