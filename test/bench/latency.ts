/**
 * Far-members benchmark: does placement weigh a member's round trip against the work it would
 * take over? Members 5, 40 and 150 ms away (the `SWARMLAMBDA_TEST_RPC_DELAY_MS` hook delays
 * every RPC answer they send or receive: Linux netem is not available here), calls of about 1, 20
 * and 500 ms of work, against the same calls on a lone edge, in one run.
 *
 *   npm run bench -- --only latency [--quick]
 *
 * Edges stand for one-core machines (`taskset`, one executor worker each): the lone edge and
 * edge-a (the receiving edge) on core 0, edge-near (5 ms), edge-mid (40 ms) and edge-far (150 ms)
 * on core 1. The function is the mandelbrot example over a region inside the set, so every row
 * costs the same; the rows per call are calibrated on the lone edge. After warm-up calls (which
 * teach both receiving edges the function's cost), the lone edge and edge-a take turns. Targets:
 * no call on edge-a slower than on the lone edge by more than 10%, and the 500 ms call uses the
 * near members. Without taskset the edges are not pinned and the figures say less.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { converge } from '../support/cluster.js'
import { startDht } from '../support/processes.js'
import { Cleanups, median, round, type Bench, type Target } from './bench.js'
import { call, deployMandelbrot, pinnedEdge, tasksetWorks, type PinnedEdge } from './pinned.js'

const PATH = '/2015-03-31/functions/mandelbrot/invocations'
/** Pixels per row and iterations: a row is ~0.1 ms of work, its output 80 bytes. */
const [WIDTH, ITERATIONS] = [20, 5_000]
/** A region inside the main cardioid (fixed-point, 1e6): every pixel runs all iterations. */
const REGION = [-400_000, -200_000, 0, 200_000]
const MEMBERS = [
  { name: 'edge-near', delayMs: 5 },
  { name: 'edge-mid', delayMs: 40 },
  { name: 'edge-far', delayMs: 150 }
]

interface Shard {
  edge: string | null
  items: number
  ms: number
  backup: boolean
}

const bodyOf = (rows: number) =>
  JSON.stringify({
    dataset: [WIDTH, rows, ITERATIONS, ...REGION, ...Array.from({ length: rows }, (_, i) => i)]
  })

async function invoke(edge: PinnedEdge, body: string) {
  const t0 = performance.now()
  const res = await call(edge.pool, 'POST', PATH, body)
  const ms = performance.now() - t0
  if (res.status !== 200) throw new Error(`${edge.name}: ${res.status} ${res.text.slice(0, 300)}`)
  const answer = JSON.parse(res.text) as { result: number[]; shards: Shard[] }
  if (answer.result.some((n) => n !== ITERATIONS)) throw new Error(`${edge.name}: wrong answer`)
  return { ms, shards: answer.shards }
}

/** Waits until `edge` serves the function (a one-row call: one local shard). */
async function serves(edge: PinnedEdge): Promise<void> {
  const deadline = performance.now() + 30_000
  while ((await call(edge.pool, 'POST', PATH, bodyOf(1))).status !== 200) {
    if (performance.now() > deadline) throw new Error(`${edge.name} never got the module`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** Waits until edge-a's heartbeats have measured every member at least its injected delay. */
async function measured(a: PinnedEdge): Promise<Record<string, number>> {
  const deadline = performance.now() + 30_000
  for (;;) {
    const view = JSON.parse((await call(a.pool, 'GET', '/cluster')).text) as {
      nodes: { name: string; rttMs?: number }[]
    }
    const rtt = Object.fromEntries(view.nodes.map((n) => [n.name, n.rttMs ?? 0]))
    if (MEMBERS.every((m) => (rtt[m.name] ?? 0) >= m.delayMs)) return rtt
    if (performance.now() > deadline) throw new Error(`RTTs never measured: ${JSON.stringify(rtt)}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

const edgesOf = (shards: readonly Shard[]) => {
  const counts = new Map<string, number>()
  for (const s of shards)
    counts.set(s.edge ?? 'missing', (counts.get(s.edge ?? 'missing') ?? 0) + 1)
  return Object.fromEntries(counts)
}

export const run: Bench = async (options) => {
  const pinned = tasksetWorks()
  const cleanups = new Cleanups()
  try {
    const dir = await cleanups.dir('latency')
    const wasm = await readFile(
      new URL('../../../functions/build/mandelbrot.wasm', import.meta.url)
    )
    const core = (n: number) => (pinned ? n : -1)
    const lone = await pinnedEdge(cleanups, 'lone', core(0), join(dir, 'lone'), {})
    await deployMandelbrot(lone, wasm)

    // Calibration on the lone edge: ms per row.
    for (let i = 0; i < 3; i++) await invoke(lone, bodyOf(400))
    const calibration = await invoke(lone, bodyOf(400))
    const perRow = calibration.shards.reduce((n, s) => n + s.ms, 0) / 400
    const jobs = (options.quick ? [1, 20, 200] : [1, 20, 500]).map((ms) => ({
      ms,
      rows: Math.max(2, Math.round(ms / perRow))
    }))

    const { bootstrap } = await startDht(cleanups)
    const env = { SWARMLAMBDA_CLUSTER_KEY: '6e'.repeat(32), SWARMLAMBDA_BOOTSTRAP: bootstrap }
    const edges = await Promise.all([
      pinnedEdge(cleanups, 'edge-a', core(0), join(dir, 'edge-a'), env),
      ...MEMBERS.map((m) =>
        pinnedEdge(cleanups, m.name, core(1), join(dir, m.name), {
          ...env,
          SWARMLAMBDA_TEST_RPC_DELAY_MS: String(m.delayMs)
        })
      )
    ])
    const a = edges[0] as PinnedEdge
    await converge(edges)
    await deployMandelbrot(a, wasm)
    for (const e of edges) await serves(e)
    const rtt = await measured(a)

    console.log(
      `latency benchmark (${options.quick ? 'quick, ' : ''}members at ${MEMBERS.map((m) => `${m.delayMs}`).join('/')} ms; ` +
        `${pinned ? 'one core per edge group' : 'NOT pinned: taskset missing'}; ${perRow.toFixed(3)} ms per row)`
    )
    console.log(
      `  RTT measured by edge-a: ${MEMBERS.map((m) => `${m.name} ${(rtt[m.name] ?? 0).toFixed(1)} ms`).join(', ')}`
    )
    const figures: Record<string, number | string> = {}
    const targets: Target[] = []
    for (const job of jobs) {
      const body = bodyOf(job.rows)
      for (let i = 0; i < 3; i++) {
        await invoke(lone, body)
        await invoke(a, body)
      }
      const rounds = options.quick ? 3 : job.ms >= 100 ? 7 : 21
      const alone: number[] = []
      const mesh: { ms: number; shards: Shard[] }[] = []
      for (let i = 0; i < rounds; i++) {
        alone.push((await invoke(lone, body)).ms)
        mesh.push(await invoke(a, body))
      }
      const aloneMs = median(alone)
      const meshMs = median(mesh.map((m) => m.ms))
      const ratio = meshMs / aloneMs
      const used = new Set(mesh.flatMap((m) => m.shards.map((s) => s.edge)))
      const typical = mesh.find((m) => m.ms === meshMs) ?? mesh[0]
      console.log(
        `  ~${job.ms} ms of work (${job.rows} rows): lone edge ${aloneMs.toFixed(1)} ms, edge-a ${meshMs.toFixed(1)} ms ` +
          `(${ratio.toFixed(2)}x; target ≤ 1.10x); shards ${JSON.stringify(edgesOf(typical?.shards ?? []))}`
      )
      figures[`work_${job.ms}ms_alone_ms`] = round(aloneMs)
      figures[`work_${job.ms}ms_mesh_ms`] = round(meshMs)
      figures[`work_${job.ms}ms_edges`] = [...used].sort().join(',')
      targets.push({
        name: `far members: ~${job.ms} ms call on edge-a / lone edge`,
        value: round(ratio),
        limit: 1.1,
        better: 'lower',
        unit: 'x'
      })
      if (job === jobs.at(-1)) {
        const near = ['edge-near', 'edge-mid'].filter((n) => used.has(n)).length
        targets.push({
          name: `far members: near members used by the ~${job.ms} ms call`,
          value: near,
          limit: 1,
          better: 'higher',
          unit: 'members'
        })
      }
    }
    return { figures: { latency: { ...figures, ms_per_row: round(perRow, 4) } }, targets }
  } finally {
    await cleanups.run()
  }
}
