/**
 * Python benchmark: AWS-style handlers on Pyodide (CPython in Wasm, in the edge's worker pool)
 * against the JS runtime, in one run on this machine.
 *
 *   npm run bench -- --only python [--quick] [--json FILE]
 *
 * - hello over HTTP: a Python hello and the JS hello (the js bench's handler) deployed on one
 *   lone edge, Invoked on the AWS path; requests/s at 10 connections and p50/p99 at one, with
 *   invoke.ts's load generator (wrk when installed). Reported as ratios to JS, no target: the
 *   request path is the same, the interpreter is not.
 * - cold container: through the pool in-process, the first call of a function no worker has
 *   seen (an interpreter from the memory snapshot, the files written, the module imported, the
 *   call) against the next, warm, call. Target: median ≤ 300 ms.
 * - memory: what a warm container weighs (its interpreter's memory plus Pyodide's JS around
 *   it, as the worker's budget counts it), and the process's resident growth per container.
 */
import { performance } from 'node:perf_hooks'
import type { CallContext } from '../../lib/runtimes/contract.js'
import { compileEngine } from '../../lib/runtimes/js/engine.js'
import { pythonFunction, type PyFunction } from '../../lib/runtimes/python/function.js'
import { WasmPool } from '../../lib/executor/pool.js'
import { Cleanups, median, round, type Bench } from './bench.js'
import {
  created,
  figuresLine,
  measure,
  startEdge,
  WRK,
  type Context,
  type Figures,
  type Target
} from './invoke.js'

const PY_HELLO = 'def lambda_handler(event, context):\n    return {"ok": True, "e": event}\n'
const JS_HELLO = 'exports.handler=async(e)=>({ok:true,e});'
const EVENT = JSON.stringify({ name: 'world' })
const PY_ANSWER = '{"ok": true, "e": {"name": "world"}}'
const JS_ANSWER = JSON.stringify({ ok: true, e: { name: 'world' } })
const LATENCY_CALLS = 2_000
const TARGET_COLD_MS = 300
/** Cold starts before those measured: the worker's first loads the snapshot from disk. */
const COLD_WARMUP = 2

const CONTEXT: CallContext = {
  requestId: 'bench',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:bench'
}

function pyFn(name: string): PyFunction {
  return pythonFunction({
    functionName: name,
    sha256: name,
    handler: 'lambda_function.lambda_handler',
    files: new Map([['lambda_function.py', PY_HELLO]]),
    environment: {},
    memoryMb: 128,
    region: 'us-east-1',
    runtime: 'python3.13'
  })
}

/** The Python and the JS hello on one lone edge, over HTTP (each warmed up first). */
async function hello(quick: boolean) {
  const seconds = quick ? 2 : 5
  const cleanups = new Cleanups()
  const context: Context = { dir: await cleanups.dir('python'), cleanups }
  try {
    const edge = await startEdge(context)
    await created(`${edge}/functions`, {
      name: 'py',
      runtime: 'python3.13',
      files: { 'lambda_function.py': PY_HELLO }
    })
    await created(`${edge}/functions`, { name: 'js', files: { 'index.js': JS_HELLO } })
    const targets: Target[] = [
      {
        name: 'python',
        origin: edge,
        path: '/2015-03-31/functions/py/invocations',
        body: EVENT,
        answer: PY_ANSWER
      },
      {
        name: 'js',
        origin: edge,
        path: '/2015-03-31/functions/js/invocations',
        body: EVENT,
        answer: JS_ANSWER
      }
    ]
    const figures = {} as Record<'python' | 'js', Figures>
    for (const target of targets) {
      if (!quick) await measure(context, target, LATENCY_CALLS, 2) // warm-up, discarded
      figures[target.name as 'python' | 'js'] = await measure(
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

/** Cold and warm first calls of new functions through a one-worker pool, and their weight. */
async function coldStarts(samples: number) {
  const pool = new WasmPool({
    size: 1,
    assets: { quickjs: await compileEngine() },
    containerBudgetBytes: 4 * 1024 * 1024 * 1024
  })
  await pool.ready()
  try {
    const cold: number[] = []
    const warm: number[] = []
    const time = async (f: PyFunction) => {
      const t0 = performance.now()
      const out = await pool.run(f, {
        input: new TextEncoder().encode(EVENT),
        timeoutMs: 10_000,
        context: CONTEXT
      })
      const text = Buffer.from(out.payload ?? []).toString()
      if (text !== PY_ANSWER) throw new Error(`${f.spec.functionName}: ${text.slice(0, 200)}`)
      return performance.now() - t0
    }
    const rssBefore = process.memoryUsage().rss
    for (let i = -COLD_WARMUP; i < samples; i++) {
      const f = pyFn(`bench-cold-${i + COLD_WARMUP}`)
      const coldMs = await time(f)
      const warmMs = await time(f)
      if (i < 0) continue
      cold.push(coldMs)
      warm.push(warmMs)
    }
    const { containers } = pool.stats()
    const rssGrowth = process.memoryUsage().rss - rssBefore
    return {
      samples,
      cold_p50_ms: round(median(cold)),
      warm_p50_ms: round(median(warm), 3),
      container_mb: round(containers.bytes / containers.containers / 2 ** 20, 1),
      rss_per_container_mb: round(rssGrowth / (samples + COLD_WARMUP) / 2 ** 20, 1)
    }
  } finally {
    await pool.close()
  }
}

export const run: Bench = async (options) => {
  const http = await hello(options.quick)
  const cold = await coldStarts(options.quick ? 4 : 12)
  const { python: p, js: j } = http
  const rpsRatio = round(p.rps / j.rps)
  const p50Ratio = round(p.p50_us / j.p50_us)
  console.log(
    `python benchmark (${options.quick ? '--quick, ' : ''}hello handler, ${http.seconds} s per load run, load from ${WRK ? 'wrk' : 'undici'})`
  )
  console.log(figuresLine('python', p))
  console.log(figuresLine('js', j))
  console.log(
    `  ratios: python/js rps ${rpsRatio.toFixed(2)}x, p50 python/js ${p50Ratio.toFixed(2)}x`
  )
  console.log(
    `  cold container + first call (pool, in-process, median of ${cold.samples}): ${cold.cold_p50_ms} ms (target ≤ ${TARGET_COLD_MS} ms)   next (warm) call ${cold.warm_p50_ms} ms`
  )
  console.log(
    `  a warm container weighs ${cold.container_mb} MB (budget's count); resident growth ${cold.rss_per_container_mb} MB per container`
  )
  return {
    figures: {
      python: {
        python_rps: p.rps,
        python_p50_us: p.p50_us,
        python_p99_us: p.p99_us,
        js_rps: j.rps,
        js_p50_us: j.p50_us,
        rps_ratio: rpsRatio,
        p50_ratio: p50Ratio,
        ...cold
      }
    },
    targets: [
      {
        name: 'python cold container + first call (median)',
        value: cold.cold_p50_ms,
        limit: TARGET_COLD_MS,
        better: 'lower',
        unit: 'ms'
      }
    ]
  }
}
