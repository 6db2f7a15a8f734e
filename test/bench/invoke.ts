/**
 * Invoke benchmark: one edge against what a user would otherwise run, in one run on this machine.
 *
 *   npm run bench:invoke [-- --quick] [-- --json FILE]
 *
 * The same 100-int `sum` module (functions/build/sum.wasm) served three ways, each its own
 * process on 127.0.0.1, each answering `{"result":5050,...}` to the same JSON request:
 * - edge: a lone `swarm-lambda edge`, Invoke on the AWS path;
 * - roofline: a bare node:http server running the module in-process (test/bench/roofline.ts);
 * - workerd: Cloudflare's runtime (npm `workerd`) serving it from a module worker.
 * Measured: requests/s with 10 connections (closed loop), and p50/p99 with one connection.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { Pool } from 'undici'
import { CLI } from '../support/processes.js'

const { values: args } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, json: { type: 'string' } }
})
const SECONDS = args.quick ? 2 : 5
const LATENCY_CALLS = args.quick ? 500 : 2_000
const CONNECTIONS = 10
const WORKERD_VERSION = '1.20261117.1'
const WASM = fileURLToPath(new URL('../../../functions/build/sum.wasm', import.meta.url))
const BODY = JSON.stringify({ dataset: Array.from({ length: 100 }, (_, i) => i + 1) })

interface Target {
  name: 'edge' | 'roofline' | 'workerd'
  origin: string
  path: string
}
interface Figures {
  rps: number
  p50_us: number
  p99_us: number
}

const children: ChildProcess[] = []
const dir = await mkdtemp(join(tmpdir(), 'swarm-lambda-invoke-'))

/** Spawns a process and resolves with the first JSON line of stdout that has `msg`. */
async function started(
  command: string,
  argv: string[],
  msg: string
): Promise<Record<string, unknown>> {
  const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'inherit'], cwd: dir })
  children.push(child)
  for await (const line of createInterface({ input: child.stdout! })) {
    try {
      const entry = JSON.parse(line) as Record<string, unknown>
      if (entry.msg === msg) {
        child.stdout!.resume()
        return entry
      }
    } catch {
      // not JSON
    }
  }
  throw new Error(`${command} exited before "${msg}"`)
}

/**
 * The workerd binary from npm's `workerd` package. It is not a dependency of the project (its
 * lockfile entries for other platforms are not served here, which breaks `npm ci`): the bench
 * installs it without saving on first use.
 */
function workerdBinary(): string {
  const require = createRequire(import.meta.url)
  const find = () => join(require.resolve('workerd/package.json'), '..', 'bin', 'workerd')
  try {
    return find()
  } catch {
    const root = fileURLToPath(new URL('../../../', import.meta.url))
    console.error(`installing workerd@${WORKERD_VERSION} (--no-save) for the baseline…`)
    const npm = spawnSync(
      'npm',
      ['install', '--no-save', '--no-audit', '--no-fund', `workerd@${WORKERD_VERSION}`],
      { cwd: root, stdio: 'inherit' }
    )
    if (npm.status !== 0) throw new Error('could not install workerd')
    return find()
  }
}

/** Starts workerd serving the module; resolves once it answers. */
async function workerd(): Promise<string> {
  await copyFile(WASM, join(dir, 'sum.wasm'))
  const port = 18_000 + Math.floor(Math.random() * 2_000)
  await writeFile(
    join(dir, 'worker.js'),
    `import mod from './sum.wasm'
export default {
  async fetch(request) {
    const body = await request.json()
    const dataset = Array.isArray(body) ? body : body.dataset
    const { memory, execute, alloc } = new WebAssembly.Instance(mod, {}).exports
    const bytes = dataset.length * 4
    const ptr = alloc ? alloc(bytes) : 0
    if (memory.buffer.byteLength < ptr + bytes) memory.grow(Math.ceil((ptr + bytes - memory.buffer.byteLength) / 65536))
    new Int32Array(memory.buffer, ptr, dataset.length).set(dataset)
    return Response.json({ result: execute(ptr, dataset.length) })
  }
}
`
  )
  await writeFile(
    join(dir, 'config.capnp'),
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .mainWorker) ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);
const mainWorker :Workerd.Worker = (
  modules = [ (name = "worker", esModule = embed "worker.js"), (name = "sum.wasm", wasm = embed "sum.wasm") ],
  compatibilityDate = "2024-09-01",
);
`
  )
  const bin = workerdBinary()
  const child = spawn(bin, ['serve', join(dir, 'config.capnp')], {
    stdio: ['ignore', 'inherit', 'inherit']
  })
  children.push(child)
  const origin = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 30_000
  for (;;) {
    try {
      const res = await fetch(origin, { method: 'POST', body: BODY })
      if (res.ok) return origin
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('workerd did not start')
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

async function call(pool: Pool, target: Target): Promise<void> {
  const res = await pool.request({ method: 'POST', path: target.path, body: BODY })
  const text = await res.body.text()
  if (res.statusCode !== 200 || !text.startsWith('{"result":5050')) {
    throw new Error(`${target.name}: ${res.statusCode} ${text.slice(0, 200)}`)
  }
}

async function measure(target: Target): Promise<Figures> {
  const one = new Pool(target.origin, { connections: 1 })
  for (let i = 0; i < 200; i++) await call(one, target) // warm-up
  const samples: number[] = []
  for (let i = 0; i < LATENCY_CALLS; i++) {
    const t0 = performance.now()
    await call(one, target)
    samples.push((performance.now() - t0) * 1000)
  }
  await one.close()
  samples.sort((a, b) => a - b)
  const pct = (p: number) =>
    Math.round(samples[Math.min(samples.length - 1, Math.floor(samples.length * p))] as number)

  const many = new Pool(target.origin, { connections: CONNECTIONS })
  let done = 0
  const end = performance.now() + SECONDS * 1000
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < end) {
        await call(many, target)
        done++
      }
    })
  )
  await many.close()
  return { rps: Math.round(done / SECONDS), p50_us: pct(0.5), p99_us: pct(0.99) }
}

try {
  // The edge logs at warn: at info it writes two lines per call, which the bench would have to
  // read on the cores it shares with the load generator (and workerd and the roofline log none).
  const edgePort = 20_000 + Math.floor(Math.random() * 2_000)
  const edgeChild = spawn(
    process.execPath,
    [CLI, 'edge', '--port', String(edgePort), '--state-dir', join(dir, 'edge')],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, SWARMLAMBDA_LOG_LEVEL: 'warn' }
    }
  )
  children.push(edgeChild)
  const edge = { url: `http://127.0.0.1:${edgePort}` }
  await until(
    async () => (await fetch(`${edge.url}/healthz`)).ok,
    () => edgeChild.exitCode !== null
  )
  const wasm = await readFile(WASM)
  const deployed = await fetch(`${edge.url}/functions`, {
    method: 'POST',
    body: JSON.stringify({ name: 'sum', wasm_base64: wasm.toString('base64') })
  })
  if (deployed.status !== 201) throw new Error(`deploy: ${deployed.status}`)
  const roofline = await started(
    process.execPath,
    [fileURLToPath(new URL('./roofline.js', import.meta.url)), WASM],
    'roofline ready'
  )
  const targets: Target[] = [
    { name: 'edge', origin: edge.url, path: '/2015-03-31/functions/sum/invocations' },
    { name: 'roofline', origin: `http://127.0.0.1:${roofline.port as number}`, path: '/' },
    { name: 'workerd', origin: await workerd(), path: '/' }
  ]
  const figures = {} as Record<Target['name'], Figures>
  for (const target of targets) figures[target.name] = await measure(target)

  const { edge: e, roofline: r, workerd: w } = figures
  const line = (name: string, f: Figures) =>
    `  ${name.padEnd(9)}: ${String(f.rps).padStart(6)} req/s (${CONNECTIONS} connections)   p50 ${f.p50_us} µs   p99 ${f.p99_us} µs (1 connection)`
  console.log(
    `invoke benchmark (${args.quick ? '--quick, ' : ''}100-int sum, ${SECONDS} s per load run)`
  )
  console.log(line('edge', e))
  console.log(line('roofline', r))
  console.log(line('workerd', w))
  console.log(
    `  ratios: edge/workerd rps ${(e.rps / w.rps).toFixed(2)}x (target ≥ 1.25x), ` +
      `p50 edge/workerd ${(e.p50_us / w.p50_us).toFixed(2)}x (target ≤ 1), edge/roofline rps ${(e.rps / r.rps).toFixed(2)}x`
  )
  if (args.json !== undefined) await writeFile(args.json, JSON.stringify(figures, null, 2) + '\n')
} finally {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM')
  await Promise.all(children.map((c) => (c.exitCode === null ? once(c, 'exit') : null)))
  await rm(dir, { recursive: true, force: true })
}

/** Polls `ready` every 100 ms until it is true; fails after 30 s or once `dead`. */
async function until(ready: () => Promise<boolean>, dead: () => boolean): Promise<void> {
  const deadline = Date.now() + 30_000
  for (;;) {
    if (await ready().catch(() => false)) return
    if (Date.now() > deadline || dead()) throw new Error('a process did not start')
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
