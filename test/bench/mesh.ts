/**
 * Mesh benchmark: what a hop to another edge costs, in one run.
 *
 *   npm run bench -- --only mesh [--quick]
 *
 * Edge B runs in this process, edge C in its own; both on 127.0.0.1 with a local DHT.
 * - Round trip of a tiny shard (4 ints, sum): the `execute` RPC from B to C over the swarm
 *   connection, against the baseline of an HTTP Invoke of the same function on C (undici,
 *   keep-alive) measured in the same run.
 * - Deploy-to-invocable: a new function deployed on B, until C answers an Invoke of it with 200
 *   (polled every 2 ms); and until C lists it.
 */
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { pino } from 'pino'
import { Pool } from 'undici'
import { loadConfig } from '../../lib/config.js'
import { Edge } from '../../lib/edge.js'
import { startDht, startEdge } from '../support/processes.js'
import { SUM_EXECUTE, wat } from '../wasm/wat.js'
import { Cleanups, percentile, round, type Bench } from './bench.js'

export const run: Bench = async (options) => {
  const ROUND_TRIPS = options.quick ? 300 : 2_000
  const DEPLOYS = options.quick ? 5 : 20
  const cleanups = new Cleanups()
  const dir = await cleanups.dir('mesh')
  try {
    const key = 'ef'.repeat(32)
    const { bootstrap } = await startDht(cleanups)
    const c = await startEdge(cleanups, join(dir, 'c'), {
      SWARMLAMBDA_NODE_NAME: 'edge-c',
      SWARMLAMBDA_CLUSTER_KEY: key,
      SWARMLAMBDA_BOOTSTRAP: bootstrap
    })
    const b = new Edge(
      loadConfig(
        { name: 'edge-b', port: '0', 'state-dir': join(dir, 'b'), 'cluster-key': key, bootstrap },
        {}
      ),
      { log: pino({ level: 'silent' }) }
    )
    cleanups.teardown(() => b.close())
    await b.ready()
    const http = { b: new Pool(b.url, { connections: 1 }), c: new Pool(c.url, { connections: 1 }) }
    cleanups.teardown(() => Promise.all([http.b.close(), http.c.close()]))
    const call = async (pool: Pool, method: 'GET' | 'POST', path: string, body?: string) => {
      const res = await pool.request({ method, path, ...(body === undefined ? {} : { body }) })
      const text = await res.body.text()
      return { status: res.statusCode, text }
    }
    const cluster = JSON.parse((await call(http.c, 'GET', '/cluster')).text) as { self: string }
    let rpc = b.member(cluster.self)
    const connecting = performance.now()
    while (rpc === null) {
      if (performance.now() - connecting > 30_000) throw new Error('B never reached C')
      await new Promise((resolve) => setTimeout(resolve, 10))
      rpc = b.member(cluster.self)
    }

    // Distinct modules: the same sum with a different constant added.
    const module = (n: number) =>
      wat(
        `(module (memory (export "memory") 1) (global (export "n") i32 (i32.const ${n})) ${SUM_EXECUTE})`
      )
    const deploy = async (name: string, wasm: Uint8Array) => {
      const body = JSON.stringify({ name, wasm_base64: Buffer.from(wasm).toString('base64') })
      const res = await call(http.b, 'POST', '/functions', body)
      if (res.status !== 201) throw new Error(`deploy ${name}: ${res.status} ${res.text}`)
    }

    // Deploy-to-listed and deploy-to-invocable on C.
    const listed: number[] = []
    const invocable: number[] = []
    for (let i = 0; i < DEPLOYS; i++) {
      const name = `fn-${i}`
      await deploy(name, module(i))
      const t0 = performance.now()
      let seen = false
      for (;;) {
        if (!seen && (await call(http.c, 'GET', `/functions/${name}`)).status === 200) {
          seen = true
          listed.push(performance.now() - t0)
        }
        const res = await call(http.c, 'POST', `/2015-03-31/functions/${name}/invocations`, '[1,2]')
        if (res.status === 200) {
          if (!seen) listed.push(performance.now() - t0)
          invocable.push(performance.now() - t0)
          break
        }
        if (performance.now() - t0 > 30_000) throw new Error(`${name} never reached C`)
        await new Promise((resolve) => setTimeout(resolve, 2))
      }
    }

    // Round trips of a tiny shard: RPC vs HTTP, interleaved in rounds so drift hits both.
    const wasm = module(1_000)
    await deploy('tiny', wasm)
    const sha256 = createHash('sha256').update(wasm).digest('hex')
    const input = Int32Array.of(10, 20, 30, 40)
    const shard = {
      sha256,
      abi: 'v1' as const,
      memoryMb: 128,
      timeoutMs: 1_000,
      input,
      requestId: 'bench'
    }
    for (;;) {
      if (
        (await call(http.c, 'POST', '/2015-03-31/functions/tiny/invocations', '[1]')).status === 200
      )
        break
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    const viaRpc: number[] = []
    const viaHttp: number[] = []
    const peer = rpc
    const rounds = 10
    for (let round = 0; round < rounds + 1; round++) {
      const n = ROUND_TRIPS / rounds
      for (let i = 0; i < n; i++) {
        const t0 = performance.now()
        const reply = await peer.execute(shard, 2_000)
        if (round > 0) viaRpc.push(performance.now() - t0) // round 0 warms up
        if (reply.result !== 100) throw new Error(`rpc result ${reply.result}`)
      }
      for (let i = 0; i < n; i++) {
        const t0 = performance.now()
        const res = await call(
          http.c,
          'POST',
          '/2015-03-31/functions/tiny/invocations',
          '[10,20,30,40]'
        )
        if (round > 0) viaHttp.push(performance.now() - t0)
        if (res.status !== 200 || !res.text.startsWith('{"result":100,')) throw new Error(res.text)
      }
    }

    const pct = percentile
    const ms = (n: number) => `${n.toFixed(2)} ms`
    console.log(
      `mesh benchmark (${options.quick ? '--quick, ' : ''}B in-process, C a process, 127.0.0.1)`
    )
    console.log(
      `  deploy on B → listed on C    : p50 ${ms(pct(listed, 0.5))}  max ${ms(Math.max(...listed))}  (${DEPLOYS} functions)`
    )
    console.log(
      `  deploy on B → invocable on C : p50 ${ms(pct(invocable, 0.5))}  max ${ms(Math.max(...invocable))}`
    )
    const rpcP50 = pct(viaRpc, 0.5)
    const httpP50 = pct(viaHttp, 0.5)
    console.log(
      `  tiny shard, execute RPC B→C  : p50 ${ms(rpcP50)}  p99 ${ms(pct(viaRpc, 0.99))}  (${viaRpc.length} calls)`
    )
    console.log(
      `  tiny Invoke, HTTP → C        : p50 ${ms(httpP50)}  p99 ${ms(pct(viaHttp, 0.99))}  (baseline)`
    )
    console.log(`  ratio RPC/HTTP p50: ${(rpcP50 / httpP50).toFixed(2)}x`)
    const timing = (samples: number[]) => ({
      p50_ms: round(pct(samples, 0.5), 3),
      p99_ms: round(pct(samples, 0.99), 3),
      calls: samples.length
    })
    return {
      figures: {
        rpc: timing(viaRpc),
        http: timing(viaHttp),
        deploy_two_edges: {
          listed_p50_ms: round(pct(listed, 0.5)),
          invocable_p50_ms: round(pct(invocable, 0.5)),
          invocable_max_ms: round(Math.max(...invocable)),
          functions: DEPLOYS
        }
      },
      targets: [
        {
          name: 'shard RPC p50 / HTTP p50',
          value: round(rpcP50 / httpP50),
          limit: 1,
          better: 'lower',
          unit: 'x'
        }
      ]
    }
  } finally {
    await cleanups.run()
  }
}
