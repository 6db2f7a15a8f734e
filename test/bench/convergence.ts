/**
 * Convergence benchmark: how long a deploy takes to reach every edge of a 5-edge cluster.
 *
 *   npm run bench -- --only convergence [--quick]
 *
 * A local DHT and five edge processes (edge-a..edge-e, five regions, one cluster key) on
 * 127.0.0.1. For each of N distinct functions, deployed on each edge in turn: the time from the
 * deploy's 201 until the last of the four other edges answers an Invoke of it with 200 (each
 * edge polled every ~2 ms on its own keep-alive connection). Baseline, in the same run: deploy →
 * invocable on the deploying edge itself.
 *
 * The edges log at warn (at info, every poll writes lines the edges must format and this
 * process would have to read on the same two cores); they say they are ready over IPC instead.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { Pool } from 'undici'
import { converge } from '../support/cluster.js'
import { CLI, startDht } from '../support/processes.js'
import { SUM_EXECUTE, wat } from '../wasm/wat.js'
import { Cleanups, edgeReady, median, owned, percentile, round, type Bench } from './bench.js'

const NAMES = ['edge-a', 'edge-b', 'edge-c', 'edge-d', 'edge-e'] as const
const REGIONS = ['us-west-sfo', 'us-east-iad', 'eu-central-fra', 'eu-west-lhr', 'ap-northeast-nrt']
/** Polling interval for "is it invocable yet" (ms). */
const POLL_MS = 2
/** A function not invocable everywhere after this long fails the benchmark (ms). */
const GIVE_UP_MS = 30_000

interface BenchEdge {
  name: string
  url: string
  child: ChildProcess
  pool: Pool
}

/**
 * Starts `swarm-lambda edge` on a free port of 127.0.0.1 with an IPC channel, and resolves with
 * its URL once it sends {msg: 'edge ready'} (whatever its log level); stopped at cleanup.
 */
async function spawnEdge(
  cleanups: Cleanups,
  stateDir: string,
  env: Record<string, string>
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [CLI, 'edge', '--host', '127.0.0.1', '--port', '0', '--state-dir', stateDir],
    { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], env: { ...process.env, ...env } }
  )
  owned(cleanups, child)
  return { child, url: await edgeReady(child, `the edge in ${stateDir}`) }
}

async function call(pool: Pool, method: 'GET' | 'POST', path: string, body?: string) {
  const res = await pool.request({ method, path, ...(body === undefined ? {} : { body }) })
  const text = await res.body.text()
  return { status: res.statusCode, text }
}

/** A sum module made distinct by an exported constant (its own sha256, its own blob). */
function module(n: number): Uint8Array {
  return wat(
    `(module (memory (export "memory") 1) (global (export "n") i32 (i32.const ${n})) ${SUM_EXECUTE})`
  )
}

/** Polls an Invoke of `name` on `edge` every POLL_MS until it answers 200; ms since `t0`. */
async function invocable(edge: BenchEdge, name: string, t0: number): Promise<number> {
  const path = `/2015-03-31/functions/${name}/invocations`
  for (;;) {
    const res = await call(edge.pool, 'POST', path, '[1,2]')
    if (res.status === 200) {
      if (!res.text.startsWith('{"result":3,'))
        throw new Error(`${name} on ${edge.name}: ${res.text}`)
      return performance.now() - t0
    }
    if (performance.now() - t0 > GIVE_UP_MS) {
      throw new Error(`${name} not invocable on ${edge.name} after ${GIVE_UP_MS} ms: ${res.status}`)
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS))
  }
}

export const run: Bench = async (options) => {
  const FUNCTIONS = options.quick ? 5 : 20
  const cleanups = new Cleanups()
  try {
    const dir = await cleanups.dir('convergence')
    const key = '5c'.repeat(32)
    const { bootstrap } = await startDht(cleanups)
    const edges: BenchEdge[] = await Promise.all(
      NAMES.map(async (name, i) => {
        const started = await spawnEdge(cleanups, join(dir, name), {
          SWARMLAMBDA_NODE_NAME: name,
          SWARMLAMBDA_REGION: REGIONS[i] as string,
          SWARMLAMBDA_CLUSTER_KEY: key,
          SWARMLAMBDA_BOOTSTRAP: bootstrap,
          SWARMLAMBDA_LOG_LEVEL: 'warn'
        })
        const pool = new Pool(started.url, { connections: 1 })
        cleanups.teardown(() => pool.close())
        return { name, ...started, pool }
      })
    )
    const converging = performance.now()
    await converge(edges)
    const convergedMs = performance.now() - converging

    const deploy = async (edge: BenchEdge, name: string, n: number) => {
      const body = JSON.stringify({ name, wasm_base64: Buffer.from(module(n)).toString('base64') })
      const res = await call(edge.pool, 'POST', '/functions', body)
      if (res.status !== 201) throw new Error(`deploy ${name} on ${edge.name}: ${res.status}`)
    }
    /** Deploys on `from`; ms until it is invocable there, and on each other edge. */
    const sample = async (from: BenchEdge, name: string, n: number) => {
      await deploy(from, name, n)
      const t0 = performance.now()
      const times = await Promise.all(edges.map((e) => invocable(e, name, t0)))
      const local = times[edges.indexOf(from)] as number
      const others = edges.flatMap((e, i) => (e === from ? [] : [[e.name, times[i] as number]]))
      return { local, others: others as [string, number][] }
    }

    // One unmeasured round first: each edge's first deploy and first replicated module.
    for (const [i, edge] of edges.entries()) await sample(edge, `warm-${i}`, 1_000 + i)

    const lastEdge: number[] = []
    const local: number[] = []
    const perEdge = new Map<string, number[]>(NAMES.map((n) => [n, []]))
    for (let i = 0; i < FUNCTIONS; i++) {
      const from = edges[i % edges.length] as BenchEdge
      const s = await sample(from, `fn-${i}`, i)
      local.push(s.local)
      lastEdge.push(Math.max(...s.others.map(([, ms]) => ms)))
      for (const [name, ms] of s.others) perEdge.get(name)?.push(ms)
    }

    const p50 = median(lastEdge)
    const p99 = percentile(lastEdge, 0.99)
    const max = Math.max(...lastEdge)
    const localP50 = median(local)
    const ms = (n: number) => `${n.toFixed(1)} ms`
    console.log(
      `convergence benchmark (${options.quick ? 'quick, ' : ''}5 edges on 127.0.0.1, ${FUNCTIONS} functions, deploying edge rotated; polled every ${POLL_MS} ms)`
    )
    console.log(`  cluster formed (every edge lists the 4 others): ${ms(convergedMs)}`)
    console.log(
      `  deploy → invocable on the deploying edge (baseline): p50 ${ms(localP50)}  max ${ms(Math.max(...local))}`
    )
    console.log(
      `  deploy → invocable on all 4 others               : p50 ${ms(p50)}  p99 ${ms(p99)}  max ${ms(max)}`
    )
    for (const [name, samples] of perEdge) {
      console.log(
        `    on ${name} (as a receiver, ${samples.length} deploys): p50 ${ms(median(samples))}  max ${ms(Math.max(...samples))}`
      )
    }
    console.log(`  ratio all-edges/local p50: ${(p50 / localP50).toFixed(1)}x`)

    return {
      figures: {
        convergence: {
          edges: edges.length,
          functions: FUNCTIONS,
          p50_ms: round(p50),
          p99_ms: round(p99),
          max_ms: round(max),
          local_p50_ms: round(localP50),
          per_edge_p50_ms: Object.fromEntries(
            [...perEdge].map(([name, samples]) => [name, round(median(samples))])
          )
        }
      },
      targets: [
        { name: 'convergence p99', value: round(p99), limit: 500, better: 'lower', unit: 'ms' }
      ]
    }
  } finally {
    await cleanups.run()
  }
}
