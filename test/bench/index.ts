/**
 * The benchmarks, in one run on this machine: each measures against a baseline taken in the same
 * run and prints ratios; then every target is checked, and `--json FILE` writes all the figures.
 *
 *   npm run bench [-- --quick] [-- --json FILE] [-- --only invoke,mesh,...]
 *
 * Benchmarks: executor (worker pool vs in-process), invoke (edge vs bare node:http vs workerd),
 * js (a QuickJS handler: edge vs workerd, cold container, CPU-bound vs V8), mesh (shard RPC vs
 * HTTP, 2-edge deploy → invocable), convergence (5 edges), shards (1 vs 3 edges, failover),
 * scaling (taskset: 1 vs 2 pinned edges; work-stealing vs static), latency (members 5/40/150 ms
 * away: calls of 1/20/500 ms of work against a lone edge), bigdata (1e6 ints over 3 edges), wasi (a WASI echo vs a v2
 * echo through one worker), url (a JS hello as a function URL: edge vs workerd), async (Event
 * accept latency with replicated and local acks, jobs/s through one edge), python (a Python hello
 * against the JS hello on one edge; a cold container from the snapshot; a container's weight).
 */
import { writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { met, type Bench, type Json, type Target } from './bench.js'

const BENCHES: Record<string, () => Promise<{ run: Bench }>> = {
  executor: () => import('./executor.js'),
  invoke: () => import('./invoke.js'),
  js: () => import('./js.js'),
  mesh: () => import('./mesh.js'),
  convergence: () => import('./convergence.js'),
  shards: () => import('./shards.js'),
  scaling: () => import('./scaling.js'),
  latency: () => import('./latency.js'),
  bigdata: () => import('./bigdata.js'),
  wasi: () => import('./wasi.js'),
  url: () => import('./url.js'),
  async: () => import('./async.js'),
  python: () => import('./python.js')
}

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    json: { type: 'string' },
    only: { type: 'string' }
  }
})
const names = args.only === undefined ? Object.keys(BENCHES) : args.only.split(',')
for (const name of names) {
  if (BENCHES[name] === undefined) {
    console.error(`unknown benchmark "${name}" (known: ${Object.keys(BENCHES).join(', ')})`)
    process.exit(2)
  }
}

const figures: Record<string, Json> = {
  machine: { quick: args.quick, started: new Date().toISOString() }
}
const targets: Target[] = []
for (const name of names) {
  const { run } = await BENCHES[name]!()
  const result = await run({ quick: args.quick })
  Object.assign(figures, result.figures)
  targets.push(...result.targets)
  console.log('')
}

if (targets.length > 0) {
  console.log('targets')
  for (const target of targets) {
    const sign = target.better === 'higher' ? '≥' : '≤'
    console.log(
      `  ${met(target) ? 'MET   ' : 'MISSED'} ${target.name}: ${target.value} ${target.unit} (target ${sign} ${target.limit} ${target.unit})`
    )
  }
}
figures.targets = targets.map((t) => ({ ...t, met: met(t) }))
if (args.json !== undefined) {
  await writeFile(args.json, JSON.stringify(figures, null, 2) + '\n')
  console.log(`figures written to ${args.json}`)
}
