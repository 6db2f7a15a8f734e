/**
 * Executor benchmark: the worker pool against in-process execution of the same module, in one run.
 *
 *   npm run bench -- --only executor [--quick] [--json FILE]
 *
 * Baselines (same process, same run, so machine noise hits both):
 * - in-process/naive: what a host would write: new memory + new instance per call, on the main thread;
 * - in-process/runner: the pool's own per-call code (lib/wasm/runner.ts) on the main thread, so
 *   "pool − runner" is exactly what the thread hop costs.
 * Targets (issue 2): pool overhead per tiny call ≤ 60 µs p50; ≥ 50,000 tiny calls/s pipelined.
 */
import { readFile } from 'node:fs/promises'
import { performance } from 'node:perf_hooks'
import { validate, type ValidatedFunction } from '../../lib/wasm/policy.js'
import { WasmPool } from '../../lib/executor/pool.js'
import { moduleSpec, type CallMessage } from '../../lib/executor/protocol.js'
import { Runner } from '../../lib/wasm/runner.js'
import { MEMORY_IMPORT } from '../../lib/wasm/rewrite.js'
import { SEED_WASM_BASE64 } from '../wasm/wat.js'
import { round, type Bench } from './bench.js'

const WINDOW = 256 // calls outstanding at once in the throughput test
const TARGET_OVERHEAD_US = 60
const TARGET_RPS = 50_000

const TINY_INPUT = Int32Array.of(10, 20, 30, 40)

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] as number
}

function summarize(samplesUs: number[]): { p50: number; p99: number } {
  const sorted = [...samplesUs].sort((a, b) => a - b)
  return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99) }
}

function naiveCall(module: WebAssembly.Module, min: number, max: number): number {
  const memory = new WebAssembly.Memory({ initial: min, maximum: max })
  const instance = new WebAssembly.Instance(module, {
    [MEMORY_IMPORT.module]: { [MEMORY_IMPORT.name]: memory }
  })
  new Int32Array(memory.buffer, 0, TINY_INPUT.length).set(TINY_INPUT)
  return (instance.exports.execute as (p: number, l: number) => number)(0, TINY_INPUT.length)
}

function runnerMessage(fn: ValidatedFunction, id: number, load: boolean): CallMessage {
  const msg: CallMessage = {
    id,
    key: fn.sha256,
    runtime: 'wasm',
    input: TINY_INPUT,
    timeoutMs: 1_000
  }
  if (load) msg.load = moduleSpec(fn)
  return msg
}

function measureSync(calls: number, call: () => void): { p50: number; p99: number; rps: number } {
  for (let i = 0; i < 500; i++) call() // warm-up
  const samples: number[] = []
  const started = performance.now()
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now()
    call()
    samples.push((performance.now() - t0) * 1000)
  }
  const seconds = (performance.now() - started) / 1000
  return { ...summarize(samples), rps: Math.round(calls / seconds) }
}

async function poolLatency(
  pool: WasmPool,
  fn: ValidatedFunction,
  calls: number
): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < 500; i++) await pool.run(fn, { input: TINY_INPUT, timeoutMs: 1000 })
  const samples: number[] = []
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now()
    await pool.run(fn, { input: TINY_INPUT, timeoutMs: 1000 })
    samples.push((performance.now() - t0) * 1000)
  }
  return summarize(samples)
}

async function poolThroughput(
  pool: WasmPool,
  fn: ValidatedFunction,
  calls: number
): Promise<number> {
  let issued = 0
  let wrong = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: WINDOW }, async () => {
      while (issued < calls) {
        issued++
        const out = await pool.run(fn, { input: TINY_INPUT, timeoutMs: 1000 })
        if (out.result !== 100) wrong++
      }
    })
  )
  if (wrong > 0) throw new Error(`${wrong} calls returned a wrong result`)
  return Math.round(calls / ((performance.now() - started) / 1000))
}

async function coldStart(pool: WasmPool, name: string, bytes: Uint8Array, input: Int32Array) {
  const t0 = performance.now()
  const fn = await validate(bytes, { memoryPages: 256 })
  const t1 = performance.now()
  await pool.run(fn, { input, timeoutMs: 10_000 })
  const t2 = performance.now()
  await pool.run(fn, { input, timeoutMs: 10_000 })
  const t3 = performance.now()
  return {
    name,
    bytes: bytes.length,
    validate_compile_us: Math.round((t1 - t0) * 1000),
    first_call_us: Math.round((t2 - t1) * 1000),
    warm_call_us: Math.round((t3 - t2) * 1000)
  }
}

export const run: Bench = async (options) => {
  const SCALE = options.quick ? 0.2 : 1
  const LATENCY_CALLS = Math.round(5_000 * SCALE)
  const THROUGHPUT_CALLS = Math.round(100_000 * SCALE)
  const seedBytes = Buffer.from(SEED_WASM_BASE64, 'base64')
  const seed = await validate(seedBytes, { memoryPages: 16 })
  if (naiveCall(seed.module, seed.memory.min, seed.memory.max) !== 100)
    throw new Error('bad baseline')

  const naive = measureSync(LATENCY_CALLS, () =>
    naiveCall(seed.module, seed.memory.min, seed.memory.max)
  )
  const runner = new Runner()
  let nextId = 1
  runner.handle(runnerMessage(seed, nextId++, true))
  const inProcess = measureSync(LATENCY_CALLS, () => {
    const reply = runner.handle(runnerMessage(seed, nextId++, false))
    if (!reply.ok || reply.result !== 100) throw new Error('bad runner result')
  })

  const pool = new WasmPool()
  await pool.ready()
  const latency = await poolLatency(pool, seed, LATENCY_CALLS)
  await poolThroughput(pool, seed, Math.round(THROUGHPUT_CALLS / 5)) // warm-up
  const rpsRuns = [] as number[]
  for (let i = 0; i < 3; i++) rpsRuns.push(await poolThroughput(pool, seed, THROUGHPUT_CALLS))
  const rps = Math.max(...rpsRuns)

  const examples = []
  for (const [name, input] of [
    ['sum', Int32Array.from({ length: 100 }, (_, i) => i)],
    [
      'mandelbrot',
      Int32Array.of(256, 256, 500, -2_000_000, -1_500_000, 1_000_000, 1_500_000, 0, 1, 2, 3)
    ],
    ['matmul', Int32Array.of(64, 7, 0, 1, 2, 3)],
    ['sha256', Int32Array.of(1000, 1, 2, 3, 4)]
  ] as const) {
    const bytes = await readFile(new URL(`../../../functions/build/${name}.wasm`, import.meta.url))
    examples.push(await coldStart(pool, name, bytes, input))
  }
  await pool.close()

  const overhead = latency.p50 - inProcess.p50
  const figures = {
    cores: pool.size,
    tiny_call: {
      input_ints: TINY_INPUT.length,
      latency_calls: LATENCY_CALLS,
      throughput_calls: THROUGHPUT_CALLS
    },
    in_process_naive: naive,
    in_process_runner: inProcess,
    pool: { p50_us: latency.p50, p99_us: latency.p99, rps, rps_runs: rpsRuns, window: WINDOW },
    overhead_p50_us: overhead,
    cold: examples
  }

  const us = (n: number) => `${n.toFixed(1)} µs`
  console.log(`executor benchmark (${pool.size} workers${options.quick ? ', --quick' : ''})`)
  console.log(
    `  in-process naive  (new memory + instance): p50 ${us(naive.p50)}  p99 ${us(naive.p99)}  ${naive.rps} calls/s`
  )
  console.log(
    `  in-process runner (the pool's call code) : p50 ${us(inProcess.p50)}  p99 ${us(inProcess.p99)}  ${inProcess.rps} calls/s`
  )
  console.log(
    `  pool, one call at a time                 : p50 ${us(latency.p50)}  p99 ${us(latency.p99)}`
  )
  console.log(
    `  pool, ${WINDOW} in flight                     : ${rps} calls/s (runs: ${rpsRuns.join(', ')})`
  )
  console.log(
    `  ratios: pool/runner p50 ${(latency.p50 / inProcess.p50).toFixed(2)}x, pool rps/runner rps ${(rps / inProcess.rps).toFixed(2)}x, pool rps/naive rps ${(rps / naive.rps).toFixed(2)}x`
  )
  console.log(
    `  overhead per tiny call (pool p50 − runner p50): ${us(overhead)}  target ≤ ${TARGET_OVERHEAD_US} µs: ${overhead <= TARGET_OVERHEAD_US ? 'MET' : 'MISSED'}`
  )
  console.log(
    `  throughput target ≥ ${TARGET_RPS} calls/s: ${rps >= TARGET_RPS ? 'MET' : 'MISSED'}`
  )
  console.log('  cold module (validate + compile, first call, warm call):')
  for (const e of examples) {
    console.log(
      `    ${e.name.padEnd(10)} ${String(e.bytes).padStart(5)} B  ${e.validate_compile_us} µs, ${e.first_call_us} µs, ${e.warm_call_us} µs`
    )
  }
  return {
    figures: { executor: figures },
    targets: [
      {
        name: 'pool overhead per tiny call p50',
        value: round(overhead, 1),
        limit: TARGET_OVERHEAD_US,
        better: 'lower',
        unit: 'µs'
      },
      {
        name: 'pool tiny calls/s',
        value: rps,
        limit: TARGET_RPS,
        better: 'higher',
        unit: 'calls/s'
      }
    ]
  }
}
