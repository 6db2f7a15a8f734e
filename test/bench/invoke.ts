/**
 * Invoke benchmark: one edge against what a user would otherwise run, in one run on this machine.
 *
 *   npm run bench -- --only invoke [--quick] [--json FILE]
 *
 * The same 100-int `sum` module (functions/build/sum.wasm) served three ways, each its own
 * process on 127.0.0.1, each answering `{"result":5050,...}` to the same JSON request:
 * - edge: a lone `swarm-lambda edge`, Invoke on the AWS path;
 * - roofline: a bare node:http server running the module in-process (test/bench/roofline.ts);
 * - workerd: Cloudflare's runtime (npm `workerd`) serving it from a module worker.
 * Measured: requests/s with 10 connections (closed loop), and p50/p99 with one connection, by
 * wrk when it is installed (else by undici from this process; the JSON says which).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { copyFile, readFile, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { basename, join } from 'node:path'
import { createInterface } from 'node:readline'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { Pool } from 'undici'
import { CLI } from '../support/processes.js'
import { Cleanups, percentile, round, type Bench } from './bench.js'

export const CONNECTIONS = 10
const WORKERD_VERSION = '1.20261117.1'
const WASM = fileURLToPath(new URL('../../../functions/build/sum.wasm', import.meta.url))
const BODY = JSON.stringify({ dataset: Array.from({ length: 100 }, (_, i) => i + 1) })
/** The servers the Invoke benchmark loads, in turn. */
type Server = 'edge' | 'roofline' | 'reuse' | 'workerd'

/**
 * A server under load: where it listens, what it is sent (a POST of JSON unless `method` says
 * GET; `headers` added, e.g. a function URL's Host) and how its answer starts.
 */
export interface Target {
  name: string
  origin: string
  path: string
  body: string
  answer: string
  method?: 'GET' | 'POST'
  headers?: Record<string, string>
}
export interface Figures {
  rps: number
  p50_us: number
  p99_us: number
}

/** Where the processes run, and how they are stopped. */
export interface Context {
  dir: string
  cleanups: Cleanups
}

/** Kills `child` (SIGTERM) at cleanup and waits for it to exit. */
function owned(context: Context, child: ChildProcess): ChildProcess {
  context.cleanups.teardown(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGTERM')
    await once(child, 'exit')
  })
  return child
}

/** Spawns a process and resolves with the first JSON line of stdout that has `msg`. */
async function started(
  context: Context,
  command: string,
  argv: string[],
  msg: string
): Promise<Record<string, unknown>> {
  const child = owned(
    context,
    spawn(command, argv, { stdio: ['ignore', 'pipe', 'inherit'], cwd: context.dir })
  )
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

/** A module worker for workerd: its source, a JSON body it answers 200 to, and its Wasm module. */
export interface WorkerdApp {
  worker: string
  probe: string
  /** A .wasm file the worker imports by its base name ('./sum.wasm'). */
  wasm?: string
}

const SUM_WORKER = `import mod from './sum.wasm'
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

/** Starts workerd serving `app` (by default the `sum` module); resolves once it answers. */
export async function workerd(
  context: Context,
  app: WorkerdApp = { worker: SUM_WORKER, probe: BODY, wasm: WASM }
): Promise<string> {
  const { dir } = context
  const wasm = app.wasm === undefined ? '' : basename(app.wasm)
  if (app.wasm !== undefined) await copyFile(app.wasm, join(dir, wasm))
  const port = 18_000 + Math.floor(Math.random() * 2_000)
  await writeFile(join(dir, 'worker.js'), app.worker)
  await writeFile(
    join(dir, 'config.capnp'),
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .mainWorker) ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);
const mainWorker :Workerd.Worker = (
  modules = [ (name = "worker", esModule = embed "worker.js")${wasm === '' ? '' : `, (name = "${wasm}", wasm = embed "${wasm}")`} ],
  compatibilityDate = "2024-09-01",
);
`
  )
  const bin = workerdBinary()
  const child = owned(
    context,
    spawn(bin, ['serve', join(dir, 'config.capnp')], { stdio: ['ignore', 'inherit', 'inherit'] })
  )
  const origin = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 30_000
  for (;;) {
    try {
      const res = await fetch(origin, { method: 'POST', body: app.probe })
      if (res.ok) return origin
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('workerd did not start')
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

async function call(pool: Pool, target: Target): Promise<void> {
  const res = await pool.request({
    method: target.method ?? 'POST',
    path: target.path,
    ...(target.method === 'GET' ? {} : { body: target.body }),
    ...(target.headers === undefined ? {} : { headers: target.headers })
  })
  const text = await res.body.text()
  if (res.statusCode !== 200 || !text.startsWith(target.answer)) {
    throw new Error(`${target.name}: ${res.statusCode} ${text.slice(0, 200)}`)
  }
}

/**
 * Load from wrk (Debian `wrk`) when it is installed: a C load generator takes far less of the
 * cores it shares with the servers than a Node one, so the servers, not the client, set the
 * figures. Otherwise undici from this process.
 */
export const WRK = (() => {
  const found = spawnSync('wrk', ['--version'], { encoding: 'utf8' })
  return found.error === undefined
})()

/** rps at CONNECTIONS connections and p50/p99 at one, after a checked warm-up. */
export async function measure(
  context: Context,
  target: Target,
  latencyCalls: number,
  seconds: number
): Promise<Figures> {
  const one = new Pool(target.origin, { connections: 1 })
  for (let i = 0; i < 200; i++) await call(one, target) // warm-up, and the answer is right
  if (WRK) {
    await one.close()
    const latency = await wrk(context, target, 1, Math.max(2, Math.round(seconds / 2)))
    const load = await wrk(context, target, CONNECTIONS, seconds)
    return { rps: load.rps, p50_us: latency.p50_us, p99_us: latency.p99_us }
  }
  const samples: number[] = []
  for (let i = 0; i < latencyCalls; i++) {
    const t0 = performance.now()
    await call(one, target)
    samples.push((performance.now() - t0) * 1000)
  }
  await one.close()

  const many = new Pool(target.origin, { connections: CONNECTIONS })
  let done = 0
  const end = performance.now() + seconds * 1000
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < end) {
        await call(many, target)
        done++
      }
    })
  )
  await many.close()
  return {
    rps: Math.round(done / seconds),
    p50_us: Math.round(percentile(samples, 0.5)),
    p99_us: Math.round(percentile(samples, 0.99))
  }
}

/** One server's figures, as the benchmark prints them. */
export function figuresLine(name: string, f: Figures): string {
  return `  ${name.padEnd(9)}: ${String(f.rps).padStart(6)} req/s (${CONNECTIONS} connections)   p50 ${f.p50_us} µs   p99 ${f.p99_us} µs (1 connection)`
}

/** One wrk run (one thread, `connections` keep-alive connections); any non-2xx fails the bench. */
async function wrk(
  context: Context,
  target: Target,
  connections: number,
  seconds: number
): Promise<Figures> {
  const script = join(context.dir, `${target.name}.lua`)
  // wrk sends its own Host unless the script sets exactly `Host`: header names go as given.
  const headers = Object.entries(target.headers ?? {})
    .map(([name, value]) => `wrk.headers[${JSON.stringify(name)}] = ${JSON.stringify(value)}\n`)
    .join('')
  await writeFile(
    script,
    target.method === 'GET'
      ? `wrk.method = "GET"\n${headers}`
      : `wrk.method = "POST"\nwrk.body = '${target.body}'\nwrk.headers["Content-Type"] = "application/json"\n${headers}`
  )
  const url = target.origin + target.path
  const argv = ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '-s', script, url]
  const child = spawn('wrk', argv, { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
  const [code] = (await once(child, 'exit')) as [number | null]
  if (code !== 0) throw new Error(`wrk exited with ${code}: ${out}`)
  if (/Non-2xx|Socket errors/.test(out)) throw new Error(`${target.name}: wrk saw errors\n${out}`)
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out)
  const at = (p: string) => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s)$`, 'm').exec(out)
    if (m === null) throw new Error(`wrk printed no ${p}%: ${out}`)
    const scale = { us: 1, ms: 1_000, s: 1_000_000 }[m[2] as 'us' | 'ms' | 's']
    return Math.round(Number(m[1]) * scale)
  }
  if (rps === null) throw new Error(`wrk printed no requests/s: ${out}`)
  return { rps: Math.round(Number(rps[1])), p50_us: at('50'), p99_us: at('99') }
}

export const run: Bench = async (options) => {
  const SECONDS = options.quick ? 2 : 5
  const LATENCY_CALLS = options.quick ? 500 : 2_000
  const cleanups = new Cleanups()
  const context: Context = { dir: await cleanups.dir('invoke'), cleanups }
  try {
    const edge = { url: await startEdge(context) }
    const wasm = await readFile(WASM)
    await created(`${edge.url}/functions`, { name: 'sum', wasm_base64: wasm.toString('base64') })
    const rooflineScript = fileURLToPath(new URL('./roofline.js', import.meta.url))
    const roofline = await started(
      context,
      process.execPath,
      [rooflineScript, WASM],
      'roofline ready'
    )
    const reuse = await started(
      context,
      process.execPath,
      [rooflineScript, WASM, '--reuse'],
      'roofline ready'
    )
    const sum = { body: BODY, answer: '{"result":5050' }
    const targets: (Target & { name: Server })[] = [
      { name: 'edge', origin: edge.url, path: '/2015-03-31/functions/sum/invocations', ...sum },
      {
        name: 'roofline',
        origin: `http://127.0.0.1:${roofline.port as number}`,
        path: '/',
        ...sum
      },
      { name: 'reuse', origin: `http://127.0.0.1:${reuse.port as number}`, path: '/', ...sum },
      { name: 'workerd', origin: await workerd(context), path: '/', ...sum }
    ]
    const figures = {} as Record<Server, Figures>
    for (const target of targets) {
      figures[target.name] = await measure(context, target, LATENCY_CALLS, SECONDS)
    }

    const { edge: e, roofline: r, reuse: u, workerd: w } = figures
    console.log(
      `invoke benchmark (${options.quick ? '--quick, ' : ''}100-int sum, ${SECONDS} s per load run, load from ${WRK ? 'wrk' : 'undici (install wrk for a lighter client)'})`
    )
    console.log(figuresLine('edge', e))
    console.log(figuresLine('roofline', r))
    console.log(figuresLine('reuse', u))
    console.log(figuresLine('workerd', w))
    console.log(
      `  ratios: edge/workerd rps ${(e.rps / w.rps).toFixed(2)}x (target ≥ 2.0x), ` +
        `p50 edge/workerd ${(e.p50_us / w.p50_us).toFixed(2)}x (target ≤ 0.8x), ` +
        `edge/reuse roofline rps ${(e.rps / u.rps).toFixed(2)}x (target ≥ 0.5x), ` +
        `edge/fresh roofline rps ${(e.rps / r.rps).toFixed(2)}x`
    )
    return {
      figures: {
        edge: { ...e },
        roofline: { ...r },
        roofline_reuse: { ...u },
        workerd: { ...w },
        invoke_client: { tool: WRK ? 'wrk' : 'undici', connections: CONNECTIONS, seconds: SECONDS }
      },
      targets: [
        {
          name: 'edge rps / workerd rps',
          value: round(e.rps / w.rps),
          limit: 2,
          better: 'higher',
          unit: 'x'
        },
        {
          name: 'edge p50 / workerd p50',
          value: round(e.p50_us / w.p50_us),
          limit: 0.8,
          better: 'lower',
          unit: 'x'
        },
        {
          name: 'edge rps / reuse roofline rps',
          value: round(e.rps / u.rps),
          limit: 0.5,
          better: 'higher',
          unit: 'x'
        }
      ]
    }
  } finally {
    await cleanups.run()
  }
}

/** Starts a lone edge (`swarm-lambda edge`, its own process); resolves with its URL once healthy. */
export async function startEdge(context: Context): Promise<string> {
  // The edge logs at warn: at info it writes two lines per call, which the bench would have to
  // read on the cores it shares with the load generator (and workerd and the roofline log none).
  const edgePort = 20_000 + Math.floor(Math.random() * 2_000)
  const edgeChild = owned(
    context,
    spawn(
      process.execPath,
      [CLI, 'edge', '--port', String(edgePort), '--state-dir', join(context.dir, 'edge')],
      {
        stdio: ['ignore', 'ignore', 'inherit'],
        env: { ...process.env, SWARMLAMBDA_LOG_LEVEL: 'warn' }
      }
    )
  )
  const url = `http://127.0.0.1:${edgePort}`
  await until(
    async () => (await fetch(`${url}/healthz`)).ok,
    () => edgeChild.exitCode !== null
  )
  return url
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

/** POSTs `body` as JSON to `url`; throws unless the answer is 201 (a deploy, a URL config). */
export async function created(url: string, body: object): Promise<string> {
  const res = await fetch(url, { method: 'POST', body: JSON.stringify(body) })
  const text = await res.text()
  if (res.status !== 201) throw new Error(`POST ${url}: ${res.status} ${text.slice(0, 200)}`)
  return text
}
