/**
 * WASI benchmark: a WASI echo (stdin → stdout through our preview1 host) against a v2 echo of the
 * same bytes (input placed at alloc(), handed back by handle()), both through one pool worker, in
 * one run.
 *
 *   npm run bench -- --only wasi [--quick]
 *
 * Target (issue 15): the WASI call costs at most 1.5x the v2 call (the host's share of a call).
 * The figure justifies the runner: an in-memory preview1 host of our own (lib/runtimes/wasi/host.ts)
 * rather than @bjorn3/browser_wasi_shim (2x ours on this machine kind, DESIGN.md) or node:wasi
 * (crashes worker threads on Node 20).
 */
import { performance } from 'node:perf_hooks'
import { WasmPool } from '../../lib/executor/pool.js'
import type { Executable } from '../../lib/runtimes/contract.js'
import { wasiFunction } from '../../lib/runtimes/wasi/function.js'
import { validate } from '../../lib/wasm/policy.js'
import { wat } from '../wasm/wat.js'
import { percentile, round, type Bench } from './bench.js'

const TARGET_RATIO = 1.5
const PAYLOAD = new Uint8Array(200).map((_, i) => 32 + (i % 90))

const V2_ECHO = wat(`(module (memory (export "memory") 1)
  (func (export "alloc") (param $n i32) (result i32) (i32.const 1024))
  (func (export "handle") (param $ptr i32) (param $len i32) (result i64)
    (i64.or (i64.shl (i64.extend_i32_u (local.get $ptr)) (i64.const 32)) (i64.extend_i32_u (local.get $len)))))`)

const WASI_ECHO = wat(`(module
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start") (local $n i32) (local $total i32)
    (block $done (loop $more
      (i32.store (i32.const 0) (i32.add (i32.const 1024) (local.get $total)))
      (i32.store (i32.const 4) (i32.sub (i32.const 60000) (local.get $total)))
      (drop (call $read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
      (local.set $n (i32.load (i32.const 8)))
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $total (i32.add (local.get $total) (local.get $n)))
      (br $more)))
    (i32.store (i32.const 0) (i32.const 1024)) (i32.store (i32.const 4) (local.get $total))
    (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))`)

/** Calls per turn: the two echoes take turns, so the machine's drift falls on both alike. */
const TURN = 250

/** A call's time on the worker (µs, as the worker reports it) and its round trip, per call. */
interface Samples {
  worker: number[]
  trip: number[]
}

async function turn(pool: WasmPool, fn: Executable, calls: number, into: Samples | null) {
  for (let i = 0; i < calls; i++) {
    const started = performance.now()
    const out = await pool.run(fn, { input: PAYLOAD.slice(), timeoutMs: 1_000 })
    if (out.payload?.length !== PAYLOAD.length) throw new Error('the echo answered something else')
    if (into === null) continue // warm-up
    into.trip.push((performance.now() - started) * 1000)
    into.worker.push(out.micros)
  }
}

/** Median and p99 of the samples. */
function figures({ worker, trip }: Samples) {
  return {
    worker_p50_us: round(percentile(worker, 0.5), 1),
    trip_p50_us: round(percentile(trip, 0.5), 1),
    trip_p99_us: round(percentile(trip, 0.99), 1)
  }
}

export const run: Bench = async ({ quick }) => {
  const calls = quick ? 500 : 5_000
  const pool = new WasmPool({ size: 1, spares: 0 })
  await pool.ready()
  try {
    const v2 = await validate(V2_ECHO, { memoryPages: 16 })
    const wasi = wasiFunction(await validate(WASI_ECHO, { memoryPages: 16 }), {
      functionName: 'echo',
      environment: {},
      memoryMb: 1,
      region: 'us-east-1'
    })
    const samples = { v2: { worker: [], trip: [] }, wasi: { worker: [], trip: [] } }
    await turn(pool, v2, 200, null)
    await turn(pool, wasi, 200, null)
    for (let done = 0; done < calls; done += TURN) {
      await turn(pool, v2, Math.min(TURN, calls - done), samples.v2)
      await turn(pool, wasi, Math.min(TURN, calls - done), samples.wasi)
    }
    const a = figures(samples.v2)
    const b = figures(samples.wasi)
    // The call as the pool sees it (its round trip); the worker's own figure is whole µs only.
    const ratio = round(b.trip_p50_us / a.trip_p50_us, 2)
    const workerRatio = round(b.worker_p50_us / Math.max(a.worker_p50_us, 1), 2)
    console.log(
      `wasi benchmark (a 200 B echo through one pool worker, ${calls} calls each, in turns of ${TURN})`
    )
    console.log(
      `  v2 echo   : worker ${a.worker_p50_us} µs p50, round trip ${a.trip_p50_us} µs p50 (p99 ${a.trip_p99_us})`
    )
    console.log(
      `  WASI echo : worker ${b.worker_p50_us} µs p50, round trip ${b.trip_p50_us} µs p50 (p99 ${b.trip_p99_us})`
    )
    console.log(
      `  ratio WASI/v2 per call: ${ratio}x (target ≤ ${TARGET_RATIO}x); on the worker alone ${workerRatio}x`
    )
    return {
      figures: { wasi: { v2: a, wasi: b, ratio, worker_ratio: workerRatio } },
      targets: [
        {
          name: 'WASI echo / v2 echo per call',
          value: ratio,
          limit: TARGET_RATIO,
          better: 'lower',
          unit: 'x'
        }
      ]
    }
  } finally {
    await pool.close()
  }
}
