import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { EdgeDirectory } from '../../lib/directory.js'
import { createLogger } from '../../lib/log.js'
import { mandelbrotRef } from '../functions/reference.js'
import {
  clusterView,
  eventually,
  http,
  startClusterEdge,
  TEST_REGIONS,
  type TestEdge
} from '../support/cluster.js'
import { stop } from '../support/processes.js'
import { SUM_EXECUTE, wat } from '../wasm/wat.js'

// Twenty edge processes with maxPeers 8, and no bootstrap process: the first edge is the mesh's
// first DHT node, the others --join it. Not everyone is connected to everyone, yet the
// membership (gossiped), the registry (replicated through members) and placement (direct
// members only) hold; five edges die and the rest converge again.

const COUNT = Number(process.env.MANY_EDGES ?? 20)
const MAX_PEERS = Number(process.env.MANY_MAX_PEERS ?? 8)
const KILLED = 5
const KEY = 'ef'.repeat(32)
const SUM = Buffer.from(wat(`(module (memory (export "memory") 1) ${SUM_EXECUTE})`)).toString(
  'base64'
)
const ENV = { SWARMLAMBDA_MAX_PEERS: String(MAX_PEERS) }

/** Resident memory of a process, MB (from /proc). */
async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024
}

/** CPU seconds a process has used (user + system, from /proc). */
async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/**
 * Resolves once the edges' processes are quiet: less than half a core between them over a
 * second. Twenty processes joining a mesh on a 2-core machine keep it saturated for a while
 * after they all list each other (Noise handshakes, replication of every writer's cores over
 * every connection); a deploy measured then measures the machine, not the mesh.
 */
async function settled(pids: readonly number[]): Promise<number> {
  const started = Date.now()
  let before: number | null = null
  await eventually(
    'the edges go quiet',
    async () => {
      // The first look only reads the counters: a window is the second between two looks.
      const now = (await Promise.all(pids.map(cpuSeconds))).reduce((a, b) => a + b, 0)
      const used = before === null ? Infinity : now - before
      before = now
      return used < 0.5 ? true : undefined
    },
    120_000,
    1_000
  )
  return Date.now() - started
}

/** Every edge's /cluster lists exactly `names`; resolves with how long that took. */
async function converged(edges: readonly TestEdge[], what: string, deadlineMs: number) {
  const started = Date.now()
  const want = edges.map((e) => e.name).sort()
  await eventually(
    what,
    async () => {
      const views = await Promise.all(edges.map((e) => clusterView(e.url)))
      const ok = views.every(
        (v) => JSON.stringify(v.nodes.map((n) => n.name).sort()) === JSON.stringify(want)
      )
      return ok ? views : undefined
    },
    deadlineMs,
    500 // twenty requests a round: a lighter poll, not to load the edges it waits for
  )
  return Date.now() - started
}

t.test(`${COUNT} edges, maxPeers ${MAX_PEERS}: one mesh by gossip`, async (t) => {
  const root = t.testdir()
  const spec = (i: number) => ({
    name: `edge-${String(i + 1).padStart(2, '0')}`,
    region: TEST_REGIONS[i % TEST_REGIONS.length] as string,
    dir: join(root, `edge-${i + 1}`)
  })
  const started = Date.now()
  const first = await startClusterEdge(t, spec(0), '', KEY, { ...ENV, SWARMLAMBDA_DHT_PORT: '0' })
  const seed = (await clusterView(first.url)).nodes[0]!.dht
  const rest = await Promise.all(
    Array.from({ length: COUNT - 1 }, (_, i) =>
      startClusterEdge(t, spec(i + 1), '', KEY, { ...ENV, SWARMLAMBDA_JOIN: seed })
    )
  )
  const edges = [first, ...rest]
  const up = Date.now() - started
  const meshMs = await converged(edges, `every edge lists all ${COUNT}`, 120_000)
  t.comment(`${COUNT} edges up in ${up} ms; every /cluster lists ${COUNT} ${meshMs} ms later`)

  const views = await Promise.all(edges.map((e) => clusterView(e.url)))
  const direct = views.map((v) => v.nodes.filter((n) => !n.self && n.direct).length)
  // Hyperswarm's maxPeers bounds the connections an edge opens; members may still connect to it.
  t.ok(
    direct.every((d) => d >= 1),
    `direct connections per edge: ${direct.join(' ')}`
  )
  t.ok(
    direct.some((d) => d < COUNT - 1),
    'not a full graph: members known by gossip only'
  )

  // The proxy's directory, given one edge, discovers all twenty from its /cluster.
  const directory = new EdgeDirectory({
    edges: [{ host: '127.0.0.1', port: Number(new URL(edges[5]!.url).port) }],
    discover: true,
    region: 'us-west-sfo',
    log: createLogger({ logLevel: 'silent', nodeName: 'directory' })
  })
  await directory.start()
  t.teardown(() => directory.close())
  await eventually(
    'the directory knows every edge, healthy',
    async () => (directory.list().filter((e) => e.healthy).length === COUNT ? true : undefined),
    30_000,
    500
  )
  directory.close()
  t.pass(`the proxy's directory discovered all ${COUNT} edges from one`)

  const quietMs = await settled(edges.map((e) => e.child.pid as number))
  t.comment(`the machine went quiet ${quietMs} ms later`)
  // Every edge has opened every edge's registry writer (learned by gossip, replicated through
  // members): the mesh is formed, and a deploy now measures replication, not joining.
  const writersMs = Date.now()
  await eventually(
    `every edge merges all ${COUNT} registry writers`,
    async () => {
      const all = await Promise.all(edges.map((e) => clusterView(e.url)))
      return all.every((v) => v.writers.length === COUNT) ? true : undefined
    },
    120_000,
    500
  )
  t.comment(`every edge merged all ${COUNT} writers ${Date.now() - writersMs} ms later`)

  // A deploy on one edge is invocable on all twenty.
  const deployedAt = Date.now()
  t.equal(
    (await http(edges[4]!.url, 'POST', '/functions', { name: 'sum', wasm_base64: SUM })).status,
    201
  )
  t.comment(`the deploy answered in ${Date.now() - deployedAt} ms`)
  // One round of twenty invocations every 100 ms; each edge's delay is the round it first ran.
  const delays = new Map<string, number>()
  await eventually(
    `every edge runs sum`,
    async () => {
      const waiting = edges.filter((e) => !delays.has(e.name))
      const answers = await Promise.all(
        waiting.map((e) =>
          http(e.url, 'POST', '/2015-03-31/functions/sum/invocations', { dataset: [1, 2, 3, 4] })
        )
      )
      answers.forEach((got, i) => {
        if (got.status !== 200) return
        t.equal(got.body.result, 10, `${waiting[i]!.name}: exact`)
        delays.set(waiting[i]!.name, Date.now() - deployedAt)
      })
      return delays.size === edges.length ? true : undefined
    },
    30_000,
    100
  )
  const sorted = [...delays.values()].sort((a, b) => a - b)
  const p99 = sorted[Math.ceil(0.99 * sorted.length) - 1] as number
  t.comment(`deploy to invocable: p50 ${sorted[sorted.length >> 1]} ms, p99 ${p99} ms`)
  t.ok(p99 <= 2_000, `invocable on all ${COUNT} within 2 s of the deploy (p99 ${p99} ms)`)

  // A sharded render completes exactly (shards go to directly connected members only).
  const wasm = await readFile(new URL('../../../functions/build/mandelbrot.wasm', import.meta.url))
  const deployed = await http(edges[7]!.url, 'POST', '/functions', {
    name: 'mandelbrot',
    wasm_base64: wasm.toString('base64'),
    reduce: 'concat',
    headerItems: 7,
    timeoutMs: 30_000
  })
  t.equal(deployed.status, 201)
  const dataset = [160, 120, 2000, -2_000_000, -1_200_000, 1_000_000, 1_200_000]
  dataset.push(...Array.from({ length: 120 }, (_, i) => i))
  const render = await eventually('edge-08 renders', async () => {
    const got = await http(edges[7]!.url, 'POST', '/2015-03-31/functions/mandelbrot/invocations', {
      dataset
    })
    return got.status === 200 ? got : undefined
  })
  t.same(render.body.result, Array.from(mandelbrotRef(Int32Array.from(dataset))), 'exact')
  const shardEdges = new Set((render.body.shards as { edge: string }[]).map((s) => s.edge))
  const renderView = await clusterView(edges[7]!.url)
  const reachable = new Set(renderView.nodes.filter((n) => n.self || n.direct).map((n) => n.name))
  t.ok(
    [...shardEdges].every((e) => reachable.has(e)),
    `shards ran on edge-08 and its direct members: ${[...shardEdges].join(', ')}`
  )

  const memory = await Promise.all(edges.map((e) => rssMb(e.child.pid as number)))
  t.comment(
    `memory per edge (RSS): mean ${Math.round(memory.reduce((a, b) => a + b, 0) / COUNT)} MB, max ${Math.round(Math.max(...memory))} MB`
  )

  // Five edges die (the join point among them); the fifteen left converge and keep answering.
  const doomed = [0, 3, 9, 14, 19]
  await Promise.all(doomed.map((i) => stop(edges[i]!.child, 'SIGKILL')))
  const alive = edges.filter((_, i) => !doomed.includes(i))
  const againMs = await converged(alive, `the ${COUNT - KILLED} left list each other only`, 60_000)
  t.comment(`after ${KILLED} SIGKILLs: converged again in ${againMs} ms`)
  for (const e of alive) {
    const got = await http(e.url, 'POST', '/2015-03-31/functions/sum/invocations', {
      dataset: [5, 6]
    })
    t.equal(got.status, 200, `${e.name} answers`)
    t.equal(got.body.result, 11)
  }
  const exits = await Promise.all(alive.map((e) => stop(e.child)))
  t.same(
    exits,
    alive.map(() => [0, null]),
    'every edge stops cleanly'
  )
})
