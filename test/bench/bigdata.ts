/**
 * Big-data benchmark: one Invoke of `sum` on a 1e6-int dataset (4 MB as i32le) over three
 * clustered edges, against the same sum run in-process on one thread, in one run.
 *
 *   npm run bench -- --only bigdata [--quick] [--json FILE]
 *
 * Every edge is its own process on 127.0.0.1 (with a local DHT); on one machine the three edges
 * share its cores, so the ratio says what the platform costs on a large input here (HTTP body,
 * shards cut to fit 1 MiB peer messages, RPC hops, reduce), not what three machines would give.
 * Baselines measured in the same run:
 * - in-process: the module instantiated once in this process; each run copies the 1e6 ints into
 *   its memory and calls execute (no HTTP, no worker, no shards);
 * - a lone edge (no peers, its own key) receiving the same i32le body.
 * The same dataset is also sent as JSON `{"dataset":[...]}` to the three edges: what i32le saves.
 * Edge timings are medians over a few runs after untimed warm-up rounds, i32le and JSON in turns.
 * The values are `i % 1000`, so no shard's i32 sum wraps and every answer must be exactly
 * 499,500,000 whatever the cut (`sum` reduces shard results as doubles; within a shard, the
 * function's i32 accumulator would wrap).
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { request } from 'undici'
import { converge, eventually, http, type TestEdge } from '../support/cluster.js'
import { startDht, startEdge, stop } from '../support/processes.js'
import { Cleanups, median, round, type Bench } from './bench.js'

const ITEMS = 1_000_000
const MODULO = 1_000
const EXPECTED = (ITEMS / MODULO) * ((MODULO * (MODULO - 1)) / 2) // 499,500,000
const INVOKE = '/2015-03-31/functions/sum/invocations'

interface SumExports {
  memory: WebAssembly.Memory
  execute: (ptr: number, len: number) => number
  alloc?: (bytes: number) => number
  _initialize?: () => void
}

interface ShardReport {
  edge: string | null
  items: number
  backup: boolean
}

/** The in-process baseline: one instance, then per run copy the ints in and execute. */
function inProcess(wasm: Uint8Array, dataset: Int32Array, runs: number): number {
  const module = new WebAssembly.Module(wasm)
  const exports = new WebAssembly.Instance(module, {}).exports as unknown as SumExports
  exports._initialize?.()
  const bytes = dataset.byteLength
  const ptr = exports.alloc === undefined ? 0 : exports.alloc(bytes) >>> 0
  const { memory } = exports
  if (memory.buffer.byteLength < ptr + bytes) {
    memory.grow(Math.ceil((ptr + bytes - memory.buffer.byteLength) / 65_536))
  }
  const samples: number[] = []
  for (let i = 0; i < runs + 1; i++) {
    const t0 = performance.now()
    new Int32Array(memory.buffer, ptr, dataset.length).set(dataset)
    const result = exports.execute(ptr, dataset.length)
    const ms = performance.now() - t0
    if (result !== EXPECTED) throw new Error(`in-process sum: ${result}, not ${EXPECTED}`)
    if (i > 0) samples.push(ms) // the first run warms up
  }
  return median(samples)
}

/** One Invoke with a raw body; checks the answer and returns its shards. */
async function invoke(
  url: string,
  body: Buffer,
  headers: Record<string, string>
): Promise<ShardReport[]> {
  const res = await request(url + INVOKE, { method: 'POST', body, headers })
  const text = await res.body.text()
  if (res.statusCode !== 200) throw new Error(`invoke: ${res.statusCode} ${text.slice(0, 500)}`)
  if (res.headers['x-amz-function-error'] !== undefined) {
    throw new Error(`invoke: function error ${text.slice(0, 500)}`)
  }
  const answer = JSON.parse(text) as { result: unknown; partial: boolean; shards: ShardReport[] }
  if (answer.partial) throw new Error(`invoke: a partial answer ${text.slice(0, 500)}`)
  if (answer.result !== EXPECTED) throw new Error(`invoke: ${answer.result}, not ${EXPECTED}`)
  const items = answer.shards.reduce((n, s) => n + s.items, 0)
  if (items !== ITEMS) throw new Error(`invoke: shards cover ${items} items, not ${ITEMS}`)
  return answer.shards
}

/** An invocation body and its headers. */
interface Body {
  body: Buffer
  headers: Record<string, string>
}

/** One timed series: the median ms, and the shards and edges of the last answer. */
interface Timed {
  ms: number
  shards: number
  edges: string[]
  /** Shard counts of every timed run (they may differ as the edge learns the function's cost). */
  shardCounts: number[]
  /** Shards, over the timed runs, whose answer came from a speculative backup. */
  backups: number
}

/**
 * Median ms of `runs` invocations per body, after `warmups` untimed rounds. The bodies take
 * turns (one round sends each once), so warm-up effects and machine noise hit them alike.
 */
async function time(url: string, bodies: Body[], runs: number, warmups: number): Promise<Timed[]> {
  for (let i = 0; i < warmups; i++) {
    for (const b of bodies) await invoke(url, b.body, b.headers)
  }
  const samples = bodies.map(() => [] as number[])
  const reports = bodies.map(() => [] as ShardReport[][])
  for (let i = 0; i < runs; i++) {
    for (const [k, b] of bodies.entries()) {
      const t0 = performance.now()
      const shards = await invoke(url, b.body, b.headers)
      samples[k]!.push(performance.now() - t0)
      reports[k]!.push(shards)
    }
  }
  return bodies.map((_, k) => {
    const all = reports[k]!
    const last = all[all.length - 1] ?? []
    return {
      ms: median(samples[k]!),
      shards: last.length,
      edges: [...new Set(last.map((s) => s.edge ?? '?'))].sort(),
      shardCounts: all.map((r) => r.length),
      backups: all.reduce((n, r) => n + r.filter((s) => s.backup).length, 0)
    }
  })
}

export const run: Bench = async (options) => {
  const RUNS = options.quick ? 3 : 7
  // The first calls after a deploy are slower (the first is cut as wide as placement allows,
  // then the edge learns the function's cost, and the RPC path warms up): a few rounds untimed.
  const WARMUPS = options.quick ? 2 : 3
  const cleanups = new Cleanups()
  try {
    const wasm = await readFile(new URL('../../../functions/build/sum.wasm', import.meta.url))
    const dataset = Int32Array.from({ length: ITEMS }, (_, i) => i % MODULO)
    const i32le = Buffer.from(dataset.buffer, dataset.byteOffset, dataset.byteLength)
    const json = Buffer.from(`{"dataset":[${dataset.join(',')}]}`)
    const binary: Body = {
      body: i32le,
      headers: { 'content-type': 'application/octet-stream', 'x-swarm-dataset-encoding': 'i32le' }
    }
    const asJson: Body = { body: json, headers: { 'content-type': 'application/json' } }

    const inProcessMs = inProcess(wasm, dataset, RUNS)

    const dir = await cleanups.dir('bigdata')
    const edge = async (name: string, env: Record<string, string>): Promise<TestEdge> => {
      const started = await startEdge(cleanups, join(dir, name), {
        SWARMLAMBDA_NODE_NAME: name,
        ...env
      })
      return { name, region: '', dir: join(dir, name), ...started }
    }
    const deploy = async (target: TestEdge) => {
      const body = { name: 'sum', wasm_base64: wasm.toString('base64'), reduce: 'sum' }
      const answer = await http(target.url, 'POST', '/functions', body)
      if (answer.status !== 201) throw new Error(`deploy sum: ${answer.status}`)
    }

    // A lone edge first (stopped before the cluster starts, so it has the cores to itself).
    const lone = await edge('lone', { SWARMLAMBDA_CLUSTER_KEY: '34'.repeat(32) })
    await deploy(lone)
    const [loneI32le] = (await time(lone.url, [binary], RUNS, WARMUPS)) as [Timed]
    await stop(lone.child)

    const { bootstrap } = await startDht(cleanups)
    const edges = await Promise.all(
      ['edge-a', 'edge-b', 'edge-c'].map((name) =>
        edge(name, { SWARMLAMBDA_CLUSTER_KEY: '56'.repeat(32), SWARMLAMBDA_BOOTSTRAP: bootstrap })
      )
    )
    await converge(edges)
    const a = edges[0]!
    await deploy(a)
    for (const e of edges.slice(1)) {
      await eventually(`${e.name} invokes sum`, async () => {
        const answer = await http(e.url, 'POST', INVOKE, { dataset: [1, 2, 3] })
        return answer.status === 200 && answer.body.result === 6 ? true : undefined
      })
    }
    const [meshI32le, meshJson] = (await time(a.url, [binary, asJson], RUNS, WARMUPS)) as [
      Timed,
      Timed
    ]
    await Promise.all(edges.map((e) => stop(e.child)))

    const ratio = meshI32le.ms / inProcessMs
    const jsonRatio = meshJson.ms / meshI32le.ms
    const ms = (n: number) => `${n.toFixed(1)} ms`
    const cut = (t: Timed) =>
      `${t.shards} shards on ${t.edges.join(', ')}` +
      (new Set(t.shardCounts).size > 1 ? ` (per run: ${t.shardCounts.join(', ')})` : '') +
      (t.backups > 0 ? `; ${t.backups} shards won by a backup over the ${RUNS} runs` : '')
    console.log(
      `big-data benchmark (${options.quick ? '--quick, ' : ''}sum of ${ITEMS} ints, ` +
        `${(i32le.length / 1e6).toFixed(1)} MB i32le / ${(json.length / 1e6).toFixed(1)} MB JSON; median of ${RUNS})`
    )
    console.log(`  in-process, one thread (baseline): ${ms(inProcessMs)}  (copy in + execute)`)
    console.log(
      `  lone edge, i32le body             : ${ms(loneI32le.ms)}  ${(loneI32le.ms / inProcessMs).toFixed(1)}x  ${cut(loneI32le)}`
    )
    console.log(
      `  three edges, i32le body           : ${ms(meshI32le.ms)}  ${ratio.toFixed(1)}x  ${cut(meshI32le)}`
    )
    console.log(
      `  three edges, JSON body            : ${ms(meshJson.ms)}  ${(meshJson.ms / inProcessMs).toFixed(1)}x  ${cut(meshJson)}`
    )
    console.log(
      `  ratios: three edges i32le / in-process ${ratio.toFixed(1)}x, JSON / i32le ${jsonRatio.toFixed(2)}x, ` +
        `three edges / lone edge (i32le) ${(meshI32le.ms / loneI32le.ms).toFixed(2)}x`
    )
    // Bytes of body per second, end to end (request sent to answer parsed).
    const mbps = i32le.length / 1e6 / (meshI32le.ms / 1000)
    console.log(`  three edges, i32le: ${mbps.toFixed(0)} MB/s of body end to end (target ≥ 400)`)

    return {
      figures: {
        bigdata: {
          items: ITEMS,
          runs: RUNS,
          in_process_ms: round(inProcessMs),
          lone_edge_i32le_ms: round(loneI32le.ms),
          edges_i32le_ms: round(meshI32le.ms),
          edges_json_ms: round(meshJson.ms),
          shards: meshI32le.shards,
          edges_used: meshI32le.edges.length,
          backups: meshI32le.backups,
          ratio: round(ratio),
          json_ratio: round(jsonRatio),
          edges_i32le_mb_per_s: round(mbps)
        }
      },
      targets: [
        {
          name: '1e6 ints as i32le over 3 edges, MB/s of body',
          value: round(mbps, 0),
          limit: 400,
          better: 'higher',
          unit: 'MB/s'
        }
      ]
    }
  } finally {
    await cleanups.run()
  }
}
