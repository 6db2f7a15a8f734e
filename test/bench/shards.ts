/**
 * Sharding benchmark: a CPU-bound mandelbrot on one edge and on three, and what losing an edge
 * mid-job costs, in one run.
 *
 *   npm run bench -- --only shards [--quick]
 *
 * Every edge is its own process on 127.0.0.1 (with a local DHT). Baselines measured in the same
 * run: a lone edge cut to one shard (`--max-shards 1`: one worker), and a lone edge sharding over
 * its own workers. Then three clustered edges. On one machine the three edges share its cores,
 * so the ratio says what the mesh costs or gains here, not what three machines would give.
 * Failover: the same slow job on the three edges, calm and with one non-receiving edge
 * SIGKILLed as soon as it runs a shard; the added latency must stay under the shard deadline
 * (the function's timeout, after which a silent shard is re-run anyway) + 250 ms.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { eventually, http, converge, type TestEdge } from '../support/cluster.js'
import { startDht, startEdge, stop } from '../support/processes.js'
import { Cleanups, round, type Bench } from './bench.js'

/** The failover job's timeout: the shard deadline its added latency is held to. */
const FAILOVER_TIMEOUT_MS = 5_000

export const run: Bench = async (options) => {
  const RUNS = options.quick ? 2 : 5
  const SIZE = options.quick ? [256, 192] : [512, 384]
  const cleanups = new Cleanups()
  const dir = await cleanups.dir('shards')
  const key = '12'.repeat(32)

  async function edge(name: string, env: Record<string, string>): Promise<TestEdge> {
    const started = await startEdge(cleanups, join(dir, name), {
      SWARMLAMBDA_NODE_NAME: name,
      SWARMLAMBDA_CLUSTER_KEY: key,
      ...env
    })
    return { name, region: '', dir: join(dir, name), ...started }
  }

  async function deploy(target: TestEdge, name: string, wasm: Uint8Array, extra: object) {
    const body = { name, wasm_base64: Buffer.from(wasm).toString('base64'), ...extra }
    const answer = await http(target.url, 'POST', '/functions', body)
    if (answer.status !== 201) throw new Error(`deploy ${name}: ${answer.status}`)
  }

  /** Median ms of `runs` invocations, checking each answer against the first. */
  async function time(target: TestEdge, name: string, dataset: number[], runs: number) {
    const samples: number[] = []
    let reference: string | null = null
    for (let i = 0; i < runs + 1; i++) {
      const t0 = performance.now()
      const answer = await http(target.url, 'POST', `/2015-03-31/functions/${name}/invocations`, {
        dataset
      })
      const ms = performance.now() - t0
      if (answer.status !== 200)
        throw new Error(`${name}: ${answer.status} ${JSON.stringify(answer.body)}`)
      const result = JSON.stringify(answer.body.result)
      reference ??= result
      if (result !== reference) throw new Error(`${name}: a different result`)
      if (i > 0) samples.push(ms) // the first run warms up
    }
    samples.sort((a, b) => a - b)
    return { ms: samples[Math.floor(samples.length / 2)] as number, result: reference }
  }

  try {
    const mandelbrot = await readFile(
      new URL('../../../functions/build/mandelbrot.wasm', import.meta.url)
    )
    const [width, height] = SIZE as [number, number]
    const dataset = [width, height, 1_000, -2_000_000, -1_200_000, 1_000_000, 1_200_000]
    dataset.push(...Array.from({ length: height }, (_, i) => i))
    const spec = { reduce: 'concat', headerItems: 7, timeoutMs: 120_000 }

    const one = await edge('lone-1', { SWARMLAMBDA_MAX_SHARDS: '1' })
    await deploy(one, 'mandelbrot', mandelbrot, spec)
    const single = await time(one, 'mandelbrot', dataset, RUNS)
    await stop(one.child)

    const lone = await edge('lone', {})
    await deploy(lone, 'mandelbrot', mandelbrot, spec)
    const local = await time(lone, 'mandelbrot', dataset, RUNS)
    await stop(lone.child)
    if (local.result !== single.result) throw new Error('sharded output differs from one shard')

    const { bootstrap } = await startDht(cleanups)
    const edges = await Promise.all(
      ['edge-a', 'edge-b', 'edge-c'].map((name) => edge(name, { SWARMLAMBDA_BOOTSTRAP: bootstrap }))
    )
    await converge(edges)
    await deploy(edges[0]!, 'mandelbrot', mandelbrot, spec)
    await deploy(edges[0]!, 'failover', mandelbrot, { ...spec, timeoutMs: FAILOVER_TIMEOUT_MS })
    for (const e of edges) {
      for (const name of ['mandelbrot', 'failover']) {
        await eventually('replicated', async () =>
          (await http(e.url, 'GET', `/functions/${name}`)).status === 200 ? true : undefined
        )
      }
    }
    const mesh = await time(edges[0]!, 'mandelbrot', dataset, RUNS)
    if (mesh.result !== single.result) throw new Error('mesh output differs from one shard')

    // Failover: a slow job, calm, then with edge-c killed as soon as it runs a shard.
    const slowDataset = [...dataset.slice(0, 2), 4_000, ...dataset.slice(3)]
    const calm = await time(edges[0]!, 'failover', slowDataset, 1)
    const t0 = performance.now()
    const answering = http(edges[0]!.url, 'POST', '/2015-03-31/functions/failover/invocations', {
      dataset: slowDataset
    })
    await eventually('edge-c runs a shard', async () => {
      const health = (await http(edges[2]!.url, 'GET', '/healthz')).body as {
        executor: { running: number }
      }
      return health.executor.running > 0 ? true : undefined
    })
    edges[2]!.child.kill('SIGKILL')
    const failed = await answering
    const failoverMs = performance.now() - t0
    if (failed.status !== 200 || JSON.stringify(failed.body.result) !== calm.result) {
      throw new Error('the answer after a failover is wrong')
    }
    const shards = failed.body.shards as { attempts: number; backup: boolean }[]
    const moved = shards.filter((s) => s.attempts > 1)

    const ms = (n: number) => `${n.toFixed(0)} ms`
    console.log(
      `sharding benchmark (${options.quick ? '--quick, ' : ''}mandelbrot ${width}x${height}, 1000 iterations; median of ${RUNS})`
    )
    console.log(`  lone edge, one shard (baseline) : ${ms(single.ms)}`)
    console.log(
      `  lone edge, a shard per worker   : ${ms(local.ms)}  ${(single.ms / local.ms).toFixed(2)}x`
    )
    console.log(
      `  three edges (one machine)       : ${ms(mesh.ms)}  ${(single.ms / mesh.ms).toFixed(2)}x`
    )
    console.log(
      `  failover (4000 iterations)      : calm ${ms(calm.ms)}, edge-c killed mid-shard ${ms(failoverMs)} ` +
        `(+${ms(failoverMs - calm.ms)}; ${moved.length} shards re-run, ${moved.filter((s) => s.backup).length} of them by backup)`
    )
    await Promise.all(edges.slice(0, 2).map((e) => stop(e.child)))
    const added = failoverMs - calm.ms
    return {
      figures: {
        shards: {
          width,
          height,
          one_shard_ms: round(single.ms),
          shard_per_worker_ms: round(local.ms),
          three_edges_ms: round(mesh.ms),
          three_edges_speedup: round(single.ms / mesh.ms)
        },
        failover: {
          calm_ms: round(calm.ms),
          killed_ms: round(failoverMs),
          added_ms: round(added),
          shard_deadline_ms: FAILOVER_TIMEOUT_MS,
          shards_rerun: moved.length,
          by_backup: moved.filter((s) => s.backup).length
        }
      },
      targets: [
        {
          name: 'failover added latency',
          value: round(added),
          limit: FAILOVER_TIMEOUT_MS + 250,
          better: 'lower',
          unit: 'ms'
        }
      ]
    }
  } finally {
    await cleanups.run()
  }
}
