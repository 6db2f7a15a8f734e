/**
 * JS benchmark: Node-style handlers in QuickJS (compiled to Wasm, in the edge's worker pool)
 * against what a user would otherwise run, in one run on this machine.
 *
 *   npm run bench -- --only js [--quick] [--json FILE]
 *
 * - hello over HTTP: `exports.handler = async (e) => ({ ok: true, e })` deployed on a lone edge
 *   (Invoke on the AWS path) and served by workerd from a module worker wrapping the same source;
 *   requests/s at 10 connections and p50/p99 at one, with invoke.ts's load generator (wrk when
 *   installed). Targets: edge/workerd rps ≥ 1, p50 edge/workerd ≤ 1.25.
 * - cold container: through the pool in-process, the first call of a function no worker has seen
 *   (a new name and sha256 each sample: QuickJS instance, prelude, module load, then the call)
 *   against the next, warm, call of it. Target: median cold ≤ 5 ms.
 * - CPU-bound: a recursive fib in QuickJS through the pool against the same source in this
 *   process's V8 (JIT): the interpreter's cost, reported with no target.
 */
import { performance } from 'node:perf_hooks'
import type { CallContext } from '../../lib/runtimes/contract.js'
import { compileEngine } from '../../lib/runtimes/js/engine.js'
import { jsFunction, type JsFunction } from '../../lib/runtimes/js/function.js'
import { WasmPool } from '../../lib/executor/pool.js'
import { Cleanups, median, round, type Bench, type Target as Goal } from './bench.js'
import {
  CONNECTIONS,
  created,
  figuresLine,
  measure,
  startEdge,
  workerd,
  WRK,
  type Context,
  type Figures,
  type Target
} from './invoke.js'

const HELLO = 'exports.handler=async(e)=>({ok:true,e});'
const HELLO_EVENT = JSON.stringify({ name: 'world' })
const HELLO_ANSWER = JSON.stringify({ ok: true, e: { name: 'world' } })
/** ~0.1 s in QuickJS on this VM; a few ms once V8's JIT has it. */
const FIB_N = 30
const FIB = `const fib = (n) => (n < 2 ? n : fib(n - 1) + fib(n - 2))
exports.handler = async (e) => ({ fib: fib(e.n) })`
const FIB_ANSWER = JSON.stringify({ fib: 832_040 })

/** Calls timed one at a time when wrk is not installed (a quarter with --quick). */
const LATENCY_CALLS = 2_000
const TARGET_RPS_RATIO = 1
const TARGET_P50_RATIO = 1.25
const TARGET_COLD_MS = 5
/**
 * Unmeasured cold starts first: the worker's first JS call loads the engine's glue, and the
 * next ones run while V8 still tiers QuickJS's Wasm up (a cold start on a warm edge is the figure).
 */
const COLD_WARMUP = 20

const CONTEXT: CallContext = {
  requestId: 'bench',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:bench'
}

/** The same CommonJS source as a workerd module worker: a JSON event in, JSON out. */
const WORKER = `const module = { exports: {} }
;((exports, module) => {
${HELLO}
})(module.exports, module)
const { handler } = module.exports
export default {
  async fetch(request) {
    const result = await handler(await request.json())
    return new Response(JSON.stringify(result), { headers: { 'content-type': 'application/json' } })
  }
}
`

/** The handler of a CommonJS source, loaded by this process's V8. */
function v8Handler(source: string): (event: unknown) => Promise<unknown> {
  const module = { exports: {} as { handler?: (event: unknown) => Promise<unknown> } }
  new Function('exports', 'module', source)(module.exports, module)
  if (module.exports.handler === undefined) throw new Error('no handler')
  return module.exports.handler
}

/** A JS function as the registry builds it; `name` is also its code's sha256 (unique = cold). */
function jsFn(name: string, source: string): JsFunction {
  return jsFunction({
    functionName: name,
    sha256: name,
    handler: 'index.handler',
    files: new Map([['index.js', source]]),
    environment: {},
    memoryMb: 128,
    region: 'us-east-1',
    runtime: 'nodejs20.x'
  })
}

/** One call through the pool; its JSON answer must be `answer`. Resolves with the wall time, µs. */
async function call(pool: WasmPool, f: JsFunction, event: string, answer: string) {
  const t0 = performance.now()
  const out = await pool.run(f, {
    input: new TextEncoder().encode(event),
    timeoutMs: 10_000,
    context: CONTEXT
  })
  const us = (performance.now() - t0) * 1000
  const text = Buffer.from(out.payload ?? []).toString()
  if (text !== answer) throw new Error(`${f.spec.functionName}: ${text.slice(0, 200)}`)
  return us
}

/** The edge and workerd both answer exactly HELLO_ANSWER as application/json. */
async function checkAnswer(name: string, url: string): Promise<void> {
  const res = await fetch(url, { method: 'POST', body: HELLO_EVENT })
  const text = await res.text()
  const type = res.headers.get('content-type') ?? ''
  if (res.status !== 200 || text !== HELLO_ANSWER || !type.startsWith('application/json')) {
    throw new Error(`${name}: ${res.status} ${type} ${text.slice(0, 200)}`)
  }
}

/** The hello function on a lone edge and on workerd, over HTTP (each warmed up first). */
async function hello(quick: boolean) {
  const seconds = quick ? 2 : 5
  const cleanups = new Cleanups()
  const context: Context = { dir: await cleanups.dir('js'), cleanups }
  try {
    const edge = await startEdge(context)
    await created(`${edge}/functions`, { name: 'hello', files: { 'index.js': HELLO } })
    const path = '/2015-03-31/functions/hello/invocations'
    const worker = await workerd(context, { worker: WORKER, probe: HELLO_EVENT })
    await checkAnswer('edge', edge + path)
    await checkAnswer('workerd', worker)
    const request = { body: HELLO_EVENT, answer: HELLO_ANSWER }
    const targets: Target[] = [
      { name: 'edge', origin: edge, path, ...request },
      { name: 'workerd', origin: worker, path: '/', ...request }
    ]
    const figures = {} as Record<'edge' | 'workerd', Figures>
    for (const target of targets) {
      // A first, discarded measurement warms the server up: the edge's code and QuickJS's Wasm
      // tier up over the first few thousand calls (p50 halves from the first seconds to the next).
      if (!quick) await measure(context, target, LATENCY_CALLS, 2)
      figures[target.name as 'edge' | 'workerd'] = await measure(
        context,
        target,
        quick ? LATENCY_CALLS / 4 : LATENCY_CALLS,
        seconds
      )
    }
    return { seconds, ...figures }
  } finally {
    await cleanups.run()
  }
}

/** Median first call of a function new to the worker, and of the warm call after it, in µs. */
async function coldStarts(pool: WasmPool, samples: number) {
  const before = pool.stats().containers.colds
  const cold: number[] = []
  const warm: number[] = []
  let first = 0
  for (let i = -COLD_WARMUP; i < samples; i++) {
    const f = jsFn(`bench-cold-${i + COLD_WARMUP}`, HELLO)
    const coldUs = await call(pool, f, HELLO_EVENT, HELLO_ANSWER)
    const warmUs = await call(pool, f, HELLO_EVENT, HELLO_ANSWER)
    if (i === -COLD_WARMUP) first = coldUs
    if (i < 0) continue
    cold.push(coldUs)
    warm.push(warmUs)
  }
  const colds = pool.stats().containers.colds - before
  if (colds !== samples + COLD_WARMUP) {
    throw new Error(`${colds} cold containers for ${samples + COLD_WARMUP} new functions`)
  }
  return {
    samples,
    first_us: Math.round(first),
    cold_p50_us: median(cold),
    warm_p50_us: median(warm)
  }
}

/** Median fib(FIB_N) time in QuickJS (through the pool) and in this process's V8, in ms. */
async function cpu(pool: WasmPool, runs: number) {
  const event = JSON.stringify({ n: FIB_N })
  const f = jsFn('bench-fib', FIB)
  await call(pool, f, event, FIB_ANSWER) // the cold container
  const quickjs: number[] = []
  for (let i = 0; i < runs; i++) quickjs.push((await call(pool, f, event, FIB_ANSWER)) / 1000)

  const handler = v8Handler(FIB)
  const once = async () => {
    const t0 = performance.now()
    const out = JSON.stringify(await handler({ n: FIB_N }))
    if (out !== FIB_ANSWER) throw new Error(`V8: ${out}`)
    return performance.now() - t0
  }
  for (let i = 0; i < 20; i++) await once() // let the JIT optimize fib
  const v8: number[] = []
  for (let i = 0; i < runs; i++) v8.push(await once())
  return { work: `fib(${FIB_N}) recursive`, runs, quickjs_ms: median(quickjs), v8_ms: median(v8) }
}

/** The cold-start and CPU parts, on a one-worker pool of this process (no HTTP). */
async function inProcess(quick: boolean) {
  const pool = new WasmPool({ size: 1, assets: { quickjs: await compileEngine() } })
  try {
    await pool.ready()
    return {
      cold: await coldStarts(pool, quick ? 10 : 50),
      heavy: await cpu(pool, quick ? 3 : 10)
    }
  } finally {
    await pool.close()
  }
}

export const run: Bench = async (options) => {
  const http = await hello(options.quick)
  const { cold, heavy } = await inProcess(options.quick)

  const { edge: e, workerd: w } = http
  const rpsRatio = round(e.rps / w.rps)
  const p50Ratio = round(e.p50_us / w.p50_us)
  const coldMs = round(cold.cold_p50_us / 1000)
  const ms = (us: number) => `${(us / 1000).toFixed(2)} ms`
  console.log(
    `js benchmark (${options.quick ? '--quick, ' : ''}hello handler, ${http.seconds} s per load run, load from ${WRK ? 'wrk' : 'undici (install wrk for a lighter client)'})`
  )
  console.log(figuresLine('edge', e))
  console.log(figuresLine('workerd', w))
  console.log(
    `  ratios: edge/workerd rps ${rpsRatio.toFixed(2)}x (target ≥ ${TARGET_RPS_RATIO}x), p50 edge/workerd ${p50Ratio.toFixed(2)}x (target ≤ ${TARGET_P50_RATIO}x)`
  )
  console.log(
    `  cold container + first call (pool, in-process, median of ${cold.samples}): ${ms(cold.cold_p50_us)} (target ≤ ${TARGET_COLD_MS} ms)   next (warm) call ${ms(cold.warm_p50_us)}   worker's first JS call ${ms(cold.first_us)}`
  )
  console.log(
    `  CPU-bound ${heavy.work}, median of ${heavy.runs}: QuickJS ${heavy.quickjs_ms.toFixed(1)} ms   V8 ${heavy.v8_ms.toFixed(2)} ms   QuickJS/V8 ${(heavy.quickjs_ms / heavy.v8_ms).toFixed(1)}x`
  )

  const targets: Goal[] = [
    {
      name: 'js hello edge rps / workerd rps',
      value: rpsRatio,
      limit: TARGET_RPS_RATIO,
      better: 'higher',
      unit: 'x'
    },
    {
      name: 'js hello edge p50 / workerd p50',
      value: p50Ratio,
      limit: TARGET_P50_RATIO,
      better: 'lower',
      unit: 'x'
    },
    {
      name: 'js cold container + first call (median)',
      value: coldMs,
      limit: TARGET_COLD_MS,
      better: 'lower',
      unit: 'ms'
    }
  ]
  return {
    figures: {
      js: {
        hello: {
          edge: { ...e },
          workerd: { ...w },
          rps_ratio: rpsRatio,
          p50_ratio: p50Ratio,
          client: WRK ? 'wrk' : 'undici',
          connections: CONNECTIONS,
          seconds: http.seconds
        },
        cold: {
          ...cold,
          cold_p50_us: round(cold.cold_p50_us),
          warm_p50_us: round(cold.warm_p50_us)
        },
        cpu: {
          ...heavy,
          quickjs_ms: round(heavy.quickjs_ms),
          v8_ms: round(heavy.v8_ms, 3),
          ratio: round(heavy.quickjs_ms / heavy.v8_ms, 1)
        }
      }
    },
    targets
  }
}
