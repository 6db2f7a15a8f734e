import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import {
  clusterView,
  converge,
  eventually,
  http,
  startClusterEdge,
  type TestEdge
} from '../support/cluster.js'
import { startDht } from '../support/processes.js'

/**
 * A member 400 ms away (the SWARMLAMBDA_TEST_RPC_DELAY_MS hook on edge-b): its shard of a call
 * whose cost is not known yet is backed up here once this edge is idle; once the cost is known,
 * a short call never goes to it, a long one does. (At 150 ms, a loaded CI machine could slow
 * this edge's own first shards enough that a backup was not worth it, and edge-b's answers won.)
 */
const MANDELBROT = new URL('../../../functions/build/mandelbrot.wasm', import.meta.url)
const [WIDTH, ITERATIONS] = [20, 5_000]
/** Inside the main cardioid: every pixel runs all iterations, so every row costs the same. */
const REGION = [-400_000, -200_000, 0, 200_000]
const DELAY_MS = 400

interface Shard {
  edge: string | null
  items: number
  backup: boolean
}

const body = (rows: number) => ({
  dataset: [WIDTH, rows, ITERATIONS, ...REGION, ...Array.from({ length: rows }, (_, i) => i)]
})

async function invoke(edge: TestEdge, rows: number) {
  const answer = await http(
    edge.url,
    'POST',
    '/2015-03-31/functions/mandelbrot/invocations',
    body(rows)
  )
  if (answer.status !== 200) throw new Error(`invoke: ${answer.status}`)
  return answer.body as { result: number[]; shards: Shard[] }
}

t.test('placement weighs a member 400 ms away against the work', async (t) => {
  const { bootstrap } = await startDht(t)
  const root = t.testdir({ a: {}, b: {} })
  const key = 'fa'.repeat(32)
  const [a, b] = await Promise.all([
    startClusterEdge(
      t,
      { name: 'edge-a', region: 'us-west-sfo', dir: join(root, 'a') },
      bootstrap,
      key
    ),
    startClusterEdge(
      t,
      { name: 'edge-b', region: 'us-west-sfo', dir: join(root, 'b') },
      bootstrap,
      key,
      { SWARMLAMBDA_TEST_RPC_DELAY_MS: String(DELAY_MS) }
    )
  ])
  await converge([a, b])
  const wasm = await readFile(MANDELBROT)
  const deployed = await http(a.url, 'POST', '/functions', {
    name: 'mandelbrot',
    wasm_base64: wasm.toString('base64'),
    reduce: 'concat',
    headerItems: 7,
    timeoutMs: 60_000
  })
  t.equal(deployed.status, 201)
  await eventually('edge-b has the function', async () =>
    (await http(b.url, 'GET', '/functions/mandelbrot')).status === 200 ? true : undefined
  )
  const rtt = await eventually('edge-a measured edge-b', async () => {
    const node = (await clusterView(a.url)).nodes.find((n) => n.name === 'edge-b')
    return node?.rttMs !== undefined && node.rttMs >= DELAY_MS ? node.rttMs : undefined
  })
  t.ok(rtt < DELAY_MS + 100, `edge-b measured at ${rtt} ms`)

  // Not known yet: one shard each; edge-b's is re-run here once edge-a is idle, and wins.
  const first = await invoke(a, 40)
  t.equal(first.result.length, 40 * WIDTH)
  t.ok(
    first.result.every((n) => n === ITERATIONS),
    'exact'
  )
  // One shard per worker of each edge, taken in turns: edge-b's were re-run here and won.
  t.same(
    first.shards.map((s) => s.edge),
    first.shards.map(() => 'edge-a'),
    'every shard answered here'
  )
  t.same(
    first.shards.map((s) => s.backup),
    first.shards.map((_, i) => i % 2 === 1),
    "edge-b's shards (every other one) answered by their backups"
  )

  // Known now: a call of a few ms is not worth 400 ms; it never goes to edge-b.
  for (let i = 0; i < 3; i++) {
    const short = await invoke(a, 40)
    t.ok(short.result.every((n) => n === ITERATIONS))
    t.same(new Set(short.shards.map((s) => s.edge)), new Set(['edge-a']), 'short: edge-a only')
  }

  // A call long enough to gain from edge-b uses it: 400 ms plus two of its first shards (an
  // eighth of the work each, 2 + 2 workers) within the work ÷ 2, i.e. ≥ 1.6 s of work. A row
  // is ~0.28 ms of work on this machine kind: 10,000 rows are ~2.8 s.
  const rows = 10_000
  await invoke(a, rows) // teaches the cost at this size too
  const long = await invoke(a, rows)
  t.equal(long.result.length, rows * WIDTH)
  t.ok(
    long.result.every((n) => n === ITERATIONS),
    'exact'
  )
  t.ok(
    long.shards.some((s) => s.edge === 'edge-b'),
    `long (${rows} rows): ${JSON.stringify(long.shards.map((s) => s.edge))}`
  )
})
