/**
 * Soak: a 3-edge mesh behind the proxy under a steady 80% of its peak, for a minute.
 *
 *   npm run soak [-- --quick] [-- --seconds N] [-- --json FILE]
 *
 * A local DHT, three edges (edge-a us-west-sfo, edge-b us-east-iad, edge-c eu-central-fra, one
 * cluster key) and `swarm-lambda proxy` in front of them, each its own process on 127.0.0.1,
 * logging at warn (the edges say they are ready over IPC; their log lines go to files, read at
 * the end). `sum` and a small mandelbrot (sharded: `reduce: concat`, enough work per call that
 * the edge cuts it over the three edges) are deployed on edge-a, then invoked on every edge
 * until each answers them exactly.
 *
 * 1. Peak: a closed loop through the proxy (wrk with a Lua script when installed, else undici
 *    from this process), N connections, ~10 s, the soak's mix: requests/s.
 * 2. Soak: an open loop at 80% of the peak, after a few seconds of warm-up at that rate.
 *    Requests are issued on a fixed schedule (slot i at t0 + i/rate) whatever the answers do,
 *    on undici Pools (one per kind, 256 and 32 connections; more in flight wait in a backlog).
 *    Errors: non-2xx, a function error, a partial or wrong `result` (compared exactly), a
 *    connection error or timeout, a request issued more than LATE_MS after its slot (the
 *    generator fell behind), one still unanswered 15 s after the end. Latency is timed from the
 *    slot (so lateness counts) and from the issue. Every 50th request (--share) is the
 *    mandelbrot: the edges its `shards[].edge` name are counted (a warning if not several).
 *    Each edge's /metrics counters (shard failures, retries, backups, strikes, throttles, worker
 *    restarts) are compared before and after.
 * 3. RSS (VmRSS from /proc/PID/status) of every edge and the proxy once a second; start = after
 *    the warm-up, end = when the schedule ends; growth = end/start - 1; max over the soak.
 * 4. Plain lines, then PASS/FAIL: 0 errors, RSS growth < 10% for every process. Exit 0 when
 *    both pass, else 1; `--json FILE` writes the figures.
 *
 * To tell a leak from garbage V8 has not collected yet (with a 60 s soak, the first full GC
 * under load may come after the end sample), `--trace-gc` runs the edges and the proxy with node
 * --trace-gc and prints the heap live after each full GC of their main isolates; `--logs DIR`
 * keeps every process's stdout; `--proxy-log-level info` adds the proxy's edge health changes.
 *
 * Not part of `npm test`. Binds to 127.0.0.1 only; every process started is stopped at the end,
 * on an exception and on SIGINT/SIGTERM.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { closeSync, openSync, readFileSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { Pool, request } from 'undici'
import { Cleanups, owned, round, type Json } from '../bench/bench.js'
import { mandelbrotRef } from '../functions/reference.js'
import { converge, eventually, http } from '../support/cluster.js'
import { CLI, startDht } from '../support/processes.js'

const NAMES = ['edge-a', 'edge-b', 'edge-c'] as const
const REGIONS = ['us-west-sfo', 'us-east-iad', 'eu-central-fra'] as const
const KEY = '50'.repeat(32)
/** The soak's rate, as a share of the measured peak. */
const LOAD = 0.8
/** RSS growth allowed per process over the soak. */
const MAX_GROWTH = 0.1
/** A request issued later than this after its slot counts as an error (ms). */
const LATE_MS = 100
/** Per-request timeout (headers, then body) of the soak's and the peak's requests (ms). */
const TIMEOUT_MS = 10_000
/** How long in-flight requests may take to finish once the schedule ends (ms). */
const DRAIN_MS = 15_000
/** Most requests in flight per kind; more wait (and are late). */
const SUM_CONNECTIONS = 256
const MANDELBROT_CONNECTIONS = 32
/** Aborted on SIGINT/SIGTERM: the soak stops issuing, and nothing more is measured. */
const interrupted = new AbortController()

const SUM_PATH = '/2015-03-31/functions/sum/invocations'
const SUM_BODY = JSON.stringify({ dataset: Array.from({ length: 100 }, (_, i) => i + 1) })
const SUM_RESULT = 5050
/**
 * A small mandelbrot: about 10 ms of work as one shard on this machine, so an edge that has
 * learnt its cost cuts it in ~5 shards (one per 2 ms of work; more when the cores are busy and
 * shards run slower), placed A, B, C, A, B over the three edges.
 */
const MANDELBROT_PATH = '/2015-03-31/functions/mandelbrot/invocations'
const MANDELBROT_DATASET = (() => {
  const [width, height, maxIter] = [192, 128, 500]
  const rows = Array.from({ length: height }, (_, i) => i)
  return [width, height, maxIter, -2_000_000, -1_200_000, 1_000_000, 1_200_000, ...rows]
})()
const MANDELBROT_BODY = JSON.stringify({ dataset: MANDELBROT_DATASET })
const MANDELBROT_RESULT = Array.from(mandelbrotRef(Int32Array.from(MANDELBROT_DATASET)))

const USAGE = `node dist/test/soak/soak.js [--quick] [--seconds N] [--json FILE]
  [--connections N] [--share F] [--rate R] [--trace-gc] [--log-level L]
  [--proxy-log-level L] [--logs DIR]

  --seconds N      soak length after the warm-up (default 60; --quick: 15)
  --quick          15 s soak, 5 s peak, 3 s warm-up
  --json FILE      write the figures
  --connections N  connections of the peak measurement (default 16)
  --share F        share of mandelbrot (sharded) requests, 0..0.5 (default 0.02)
  --rate R         soak at R req/s instead of ${LOAD * 100}% of a measured peak
  --trace-gc       run the edges and the proxy with node --trace-gc and report the heap live
                   after each full GC (tells a leak from garbage not yet collected)
  --log-level L    the edges' and the proxy's log level (default warn; info logs every call)
  --proxy-log-level L  the proxy's only (at info it logs edge health changes, not calls)
  --logs DIR       keep every process's stdout (logs, GC trace) in DIR/NAME.log`

interface Options {
  seconds: number
  peakSeconds: number
  warmupSeconds: number
  quick: boolean
  json: string | null
  connections: number
  every: number
  rate: number | null
  traceGc: boolean
  logLevel: string
  proxyLogLevel: string
  logs: string | null
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string' },
      quick: { type: 'boolean', default: false },
      json: { type: 'string' },
      connections: { type: 'string' },
      share: { type: 'string' },
      rate: { type: 'string' },
      'trace-gc': { type: 'boolean', default: false },
      'log-level': { type: 'string', default: 'warn' },
      'proxy-log-level': { type: 'string' },
      logs: { type: 'string' },
      help: { type: 'boolean', default: false }
    }
  })
  if (values.help) {
    console.log(USAGE)
    process.exit(0)
  }
  const number = (value: string | undefined, flag: string, fallback: number) => {
    if (value === undefined) return fallback
    const n = Number(value)
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag}: "${value}" is not a number > 0`)
    return n
  }
  const quick = values.quick
  const share = number(values.share, '--share', 0.02)
  if (share > 0.5) throw new Error('--share: at most 0.5')
  return {
    seconds: number(values.seconds, '--seconds', quick ? 15 : 60),
    peakSeconds: quick ? 5 : 10,
    warmupSeconds: quick ? 3 : 5,
    quick,
    json: values.json ?? null,
    connections: Math.round(number(values.connections, '--connections', 16)),
    // Every `every`-th request is a mandelbrot (deterministic, the same in wrk's script).
    every: Math.max(2, Math.round(1 / share)),
    rate: values.rate === undefined ? null : number(values.rate, '--rate', 1),
    traceGc: values['trace-gc'],
    logLevel: values['log-level'],
    proxyLogLevel: values['proxy-log-level'] ?? values['log-level'],
    logs: values.logs ?? null
  }
}

/** A process of the mesh, as far as the soak watches it. */
interface Proc {
  name: string
  child: ChildProcess
  /** performance.now() when it was spawned (its --trace-gc times count from about then). */
  spawnedAt: number
  /** Its stdout so far: JSON log lines, and --trace-gc lines when asked for. */
  output: () => Promise<string[]>
}

function parseLines(lines: string[]): Record<string, unknown>[] {
  return lines.flatMap((line) => {
    if (!line.startsWith('{')) return []
    try {
      const entry = JSON.parse(line) as unknown
      return typeof entry === 'object' && entry !== null ? [entry as Record<string, unknown>] : []
    } catch {
      return []
    }
  })
}

/** How the mesh's processes run: their log level, and node flags (--trace-gc). */
interface Runtime {
  logLevel: string
  nodeFlags: string[]
}

/**
 * Starts `swarm-lambda edge` on a free port of 127.0.0.1 with an IPC channel, its stdout into a
 * file; resolves once it sends {msg: 'edge ready'}.
 */
async function startEdge(
  cleanups: Cleanups,
  dir: string,
  runtime: Runtime,
  name: string,
  region: string,
  bootstrap: string
): Promise<Proc & { url: string }> {
  const logFile = join(dir, `${name}.log`)
  const fd = openSync(logFile, 'a')
  const spawnedAt = performance.now()
  const argv = ['edge', '--host', '127.0.0.1', '--port', '0', '--state-dir', join(dir, name)]
  const child = owned(
    cleanups,
    spawn(process.execPath, [...runtime.nodeFlags, CLI, ...argv], {
      stdio: ['ignore', fd, 'inherit', 'ipc'],
      env: {
        ...process.env,
        SWARMLAMBDA_NODE_NAME: name,
        SWARMLAMBDA_REGION: region,
        SWARMLAMBDA_CLUSTER_KEY: KEY,
        SWARMLAMBDA_BOOTSTRAP: bootstrap,
        SWARMLAMBDA_LOG_LEVEL: runtime.logLevel
      }
    })
  )
  closeSync(fd)
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name}: no "edge ready" in 60 s`)), 60_000)
    child.on('message', (message: { msg?: unknown; url?: unknown }) => {
      if (message.msg === 'edge ready' && typeof message.url === 'string') {
        clearTimeout(timer)
        resolve(message.url)
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${name} exited before it was ready (code ${code})`))
    })
  })
  const output = async () => (await readFile(logFile, 'utf8')).split('\n')
  return { name, child, url, spawnedAt, output }
}

/** Starts `swarm-lambda proxy` in front of `edges` on a free port; resolves once ready. */
async function startProxy(
  cleanups: Cleanups,
  runtime: Runtime,
  edges: string[]
): Promise<Proc & { url: string }> {
  const spawnedAt = performance.now()
  const argv = ['proxy', '--edges', edges.join(','), '--host', '127.0.0.1', '--port', '0']
  const child = owned(
    cleanups,
    spawn(process.execPath, [...runtime.nodeFlags, CLI, ...argv], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, SWARMLAMBDA_LOG_LEVEL: runtime.logLevel }
    })
  )
  const lines: string[] = []
  const url = await new Promise<string>((resolve, reject) => {
    let ready = false
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (lines.length < 100_000) lines.push(line)
      const [entry] = parseLines([line])
      if (!ready && entry?.msg === 'proxy ready' && typeof entry.url === 'string') {
        ready = true
        resolve(entry.url)
      }
    })
    child.once('exit', (code) => {
      if (!ready) reject(new Error(`the proxy exited before it was ready (code ${code})`))
    })
  })
  return { name: 'proxy', child, url, spawnedAt, output: async () => lines }
}

/** A full (mark-compact) GC of a process's main isolate, from its --trace-gc lines. */
interface FullGc {
  /** When, ms since the isolate started (about when the process was spawned). */
  ms: number
  /** Heap in use after it (MB): what is live. */
  afterMb: number
  /** Heap committed after it (MB). */
  committedMb: number
}

/** The main isolate's full GCs: the isolate of the first --trace-gc line (workers start later). */
function fullGcs(lines: string[]): FullGc[] {
  const gcs: FullGc[] = []
  let main: string | null = null
  const re =
    /^\[\d+:(0x[0-9a-f]+)\]\s+(\d+) ms: (\S+)(?: \(\w+\))? [\d.]+ \([\d.]+\) -> ([\d.]+) \(([\d.]+)\) MB/
  for (const line of lines) {
    const m = re.exec(line)
    if (m === null) continue
    main ??= m[1] as string
    if (m[1] !== main || m[3] !== 'Mark-Compact') continue
    gcs.push({ ms: Number(m[2]), afterMb: Number(m[4]), committedMb: Number(m[5]) })
  }
  return gcs
}

/** VmRSS of a process (kB), or null once it is gone. */
function rssKb(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(status)
    return m === null ? null : Number(m[1])
  } catch {
    return null
  }
}

/** CPU seconds (user + system) a process has used, or null once it is gone. */
function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // utime and stime are fields 14 and 15 of stat(5); `fields` starts at field 3.
    return (Number(fields[11]) + Number(fields[12])) / 100 // USER_HZ: 100 on Linux
  } catch {
    return null
  }
}

/** The q-quantile (0..1) of samples sorted ascending, nearest rank. */
function quantile(sorted: Float64Array | number[], q: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] as number
}

function sortedOf(samples: Float64Array, count: number): Float64Array {
  return samples.slice(0, count).sort()
}

/** One kind of request of the mix. */
interface Kind {
  name: 'sum' | 'mandelbrot'
  path: string
  body: string
  /** Checks a 200 answer's body: null if right, else what is wrong (`kind: detail`). */
  check(text: string): { error: string; detail: string } | null
}

/** Shards seen in mandelbrot answers. */
interface Sharding {
  calls: number
  shardCounts: number[]
  edgeShards: Map<string, number>
  /** Calls whose shards ran on 1, 2, 3... distinct edges. */
  spans: Map<number, number>
}

function kinds(sharding: Sharding): { sum: Kind; mandelbrot: Kind } {
  const parse = (text: string) => {
    try {
      return JSON.parse(text) as { result?: unknown; partial?: unknown; shards?: unknown }
    } catch {
      return null
    }
  }
  return {
    sum: {
      name: 'sum',
      path: SUM_PATH,
      body: SUM_BODY,
      check(text) {
        const answer = parse(text)
        if (answer === null) return { error: 'bad JSON', detail: text.slice(0, 200) }
        if (answer.partial !== false) return { error: 'partial', detail: text.slice(0, 300) }
        if (answer.result !== SUM_RESULT) {
          return {
            error: 'wrong result',
            detail: `sum ${String(answer.result)}, not ${SUM_RESULT}`
          }
        }
        return null
      }
    },
    mandelbrot: {
      name: 'mandelbrot',
      path: MANDELBROT_PATH,
      body: MANDELBROT_BODY,
      check(text) {
        const answer = parse(text)
        if (answer === null) return { error: 'bad JSON', detail: text.slice(0, 200) }
        if (answer.partial !== false) return { error: 'partial', detail: text.slice(0, 300) }
        const result = answer.result
        const wrong =
          !Array.isArray(result) ||
          result.length !== MANDELBROT_RESULT.length ||
          result.some((v, i) => v !== MANDELBROT_RESULT[i])
        if (wrong) {
          const length = Array.isArray(result) ? result.length : typeof result
          return { error: 'wrong result', detail: `mandelbrot: ${length} items, not as expected` }
        }
        const shards = Array.isArray(answer.shards) ? (answer.shards as { edge?: unknown }[]) : []
        sharding.calls++
        sharding.shardCounts.push(shards.length)
        const edges = new Set<string>()
        for (const shard of shards) {
          const edge = typeof shard.edge === 'string' ? shard.edge : '?'
          edges.add(edge)
          sharding.edgeShards.set(edge, (sharding.edgeShards.get(edge) ?? 0) + 1)
        }
        sharding.spans.set(edges.size, (sharding.spans.get(edges.size) ?? 0) + 1)
        return null
      }
    }
  }
}

function newSharding(): Sharding {
  return { calls: 0, shardCounts: [], edgeShards: new Map(), spans: new Map() }
}

/** An error's kind for counting: an undici code, else its name. */
function errorKind(err: unknown): string {
  const e = err as { code?: unknown; name?: unknown }
  return `connection ${typeof e.code === 'string' ? e.code : String(e.name ?? 'error')}`
}

/** What a non-2xx (or function error) answer says: its errorCode or errorType. */
function errorCode(text: string, headers: Record<string, string | string[] | undefined>): string {
  try {
    const body = JSON.parse(text) as { errorCode?: unknown; errorType?: unknown }
    const code = body.errorCode ?? body.errorType
    if (typeof code === 'string') return code
  } catch {
    // not JSON
  }
  const type = headers['x-amzn-errortype']
  return typeof type === 'string' ? type : '?'
}

interface PeakFigures {
  tool: 'wrk' | 'undici'
  connections: number
  seconds: number
  rps: number
  errors: number
  errorText: string
}

const WRK = spawnSync('wrk', ['--version'], { encoding: 'utf8' }).error === undefined

/** Closed loop through the proxy with wrk: the mix, every `every`-th request a mandelbrot. */
async function peakWrk(
  cleanups: Cleanups,
  dir: string,
  url: string,
  o: Options
): Promise<PeakFigures> {
  const script = join(dir, 'mix.lua')
  await writeFile(
    script,
    `local n = 0
local headers = { ["Content-Type"] = "application/json" }
local sum = [[${SUM_BODY}]]
local mandelbrot = [[${MANDELBROT_BODY}]]
request = function()
  n = n + 1
  if n % ${o.every} == 0 then
    return wrk.format("POST", "${MANDELBROT_PATH}", headers, mandelbrot)
  end
  return wrk.format("POST", "${SUM_PATH}", headers, sum)
end
`
  )
  const argv = [
    '-t1',
    `-c${o.connections}`,
    `-d${o.peakSeconds}s`,
    `--timeout`,
    `${TIMEOUT_MS / 1000}s`,
    '-s',
    script,
    url
  ]
  const child = owned(cleanups, spawn('wrk', argv, { stdio: ['ignore', 'pipe', 'inherit'] }))
  let out = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
  const [code] = (await once(child, 'exit')) as [number | null]
  if (code !== 0) throw new Error(`wrk exited with ${code}: ${out}`)
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out)
  if (rps === null) throw new Error(`wrk printed no requests/s: ${out}`)
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0)
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)
  const socketErrors = socket === null ? 0 : socket.slice(1).reduce((n, v) => n + Number(v), 0)
  const errorText = [
    non2xx > 0 ? `${non2xx} non-2xx` : '',
    socket === null ? '' : socket[0]
  ].filter((s) => s !== '')
  return {
    tool: 'wrk',
    connections: o.connections,
    seconds: o.peakSeconds,
    rps: Math.round(Number(rps[1])),
    errors: non2xx + socketErrors,
    errorText: errorText.join(', ')
  }
}

/** The same closed loop from this process (undici), when wrk is not installed. */
async function peakUndici(url: string, o: Options, mix: Kind[]): Promise<PeakFigures> {
  const pool = new Pool(url, {
    connections: o.connections,
    headersTimeout: TIMEOUT_MS,
    bodyTimeout: TIMEOUT_MS
  })
  let n = 0
  let done = 0
  const errors = new Map<string, number>()
  const end = performance.now() + o.peakSeconds * 1000
  await Promise.all(
    Array.from({ length: o.connections }, async () => {
      while (performance.now() < end) {
        const kind = mix[++n % o.every === 0 ? 1 : 0] as Kind
        try {
          const res = await pool.request({ method: 'POST', path: kind.path, body: kind.body })
          await res.body.text()
          if (res.statusCode >= 200 && res.statusCode < 300) done++
          else
            errors.set(
              `status ${res.statusCode}`,
              (errors.get(`status ${res.statusCode}`) ?? 0) + 1
            )
        } catch (err) {
          errors.set(errorKind(err), (errors.get(errorKind(err)) ?? 0) + 1)
        }
      }
    })
  )
  await pool.close()
  return {
    tool: 'undici',
    connections: o.connections,
    seconds: o.peakSeconds,
    rps: Math.round(done / o.peakSeconds),
    errors: [...errors.values()].reduce((a, b) => a + b, 0),
    errorText: [...errors].map(([k, v]) => `${v} ${k}`).join(', ')
  }
}

/** One slot of the schedule. */
interface Slot {
  index: number
  scheduled: number
  kind: Kind
}

/** A kind's pool and how many of its requests are in flight or waiting for a connection. */
interface Lane {
  pool: Pool
  cap: number
  inflight: number
  backlog: Slot[]
}

interface SoakFigures {
  seconds: number
  warmupSeconds: number
  rate: number
  scheduled: number
  issued: number
  answered: number
  ok: number
  errors: Map<string, number>
  /** Errors of requests whose slot was in the warm-up (counted in `errors` too). */
  warmupErrors: number
  /** The first few of each kind: `at` s from the soak's start, `time` epoch ms (as in the logs). */
  examples: { at: number; time: number; kind: string; error: string; detail: string }[]
  errorSeconds: Map<number, number>
  /** Per second of the run (by slot): [sent, answered, errors, slowest answer ms]. */
  timeline: [number, number, number, number][]
  lateness: Float64Array
  fromSlot: Float64Array
  fromIssue: Float64Array
  perKind: Map<string, number[]>
  answeredBy: Map<string, number>
  sharding: Sharding
  generatorCpu: number
  maxInflight: number
  maxBacklog: number
  /** This process's event-loop delay over the soak (ms): how late its timers ran. */
  loopDelayP99: number
  loopDelayMax: number
  /** This process's GC pauses over the soak (ms): a loop delay much longer was the OS. */
  gcMaxMs: number
  gcTotalMs: number
}

/**
 * The open loop: slot i at t0 + i/rate, `every`-th a mandelbrot, for warm-up + seconds;
 * `onWarm` runs when the warm-up ends and `onEnd` when the schedule ends (RSS samples).
 */
async function soak(
  url: string,
  o: Options,
  rate: number,
  sharding: Sharding,
  mix: { sum: Kind; mandelbrot: Kind },
  onWarm: () => void,
  onEnd: () => void
): Promise<SoakFigures> {
  const lane = (cap: number): Lane => ({
    pool: new Pool(url, { connections: cap, headersTimeout: TIMEOUT_MS, bodyTimeout: TIMEOUT_MS }),
    cap,
    inflight: 0,
    backlog: []
  })
  const lanes = { sum: lane(SUM_CONNECTIONS), mandelbrot: lane(MANDELBROT_CONNECTIONS) }
  const totalSeconds = o.warmupSeconds + o.seconds
  const total = Math.floor(rate * totalSeconds)
  const interval = 1000 / rate
  const f: SoakFigures = {
    seconds: o.seconds,
    warmupSeconds: o.warmupSeconds,
    rate,
    scheduled: 0,
    issued: 0,
    answered: 0,
    ok: 0,
    errors: new Map(),
    warmupErrors: 0,
    examples: [],
    errorSeconds: new Map(),
    timeline: Array.from({ length: Math.ceil(totalSeconds) }, () => [0, 0, 0, 0]),
    lateness: new Float64Array(total),
    fromSlot: new Float64Array(total),
    fromIssue: new Float64Array(total),
    perKind: new Map([
      ['sum', []],
      ['mandelbrot', []]
    ]),
    answeredBy: new Map(),
    sharding,
    generatorCpu: 0,
    maxInflight: 0,
    maxBacklog: 0,
    loopDelayP99: 0,
    loopDelayMax: 0,
    gcMaxMs: 0,
    gcTotalMs: 0
  }
  let t0 = 0
  let warmAt = 0
  /** Set once the figures are final: answers after that (the pools' destroy) are not counted. */
  let closed = false
  const fail = (slot: Slot, error: string, detail: string) => {
    if (closed) return
    f.errors.set(error, (f.errors.get(error) ?? 0) + 1)
    if (slot.scheduled < warmAt) f.warmupErrors++
    const row = f.timeline[Math.floor((slot.scheduled - t0) / 1000)]
    if (row !== undefined) row[2]++
    const second = Math.floor((performance.now() - t0) / 1000)
    f.errorSeconds.set(second, (f.errorSeconds.get(second) ?? 0) + 1)
    const sameKind = f.examples.filter((e) => e.error === error).length
    if (sameKind < 5) {
      f.examples.push({
        at: round((slot.scheduled - t0) / 1000, 3),
        time: Date.now(),
        kind: slot.kind.name,
        error,
        detail
      })
    }
  }
  let inflight = 0
  const issue = (slot: Slot, l: Lane) => {
    const issued = performance.now()
    const late = issued - slot.scheduled
    f.lateness[f.issued++] = late
    const row = f.timeline[Math.floor((slot.scheduled - t0) / 1000)]
    if (row !== undefined) row[0]++
    if (late > LATE_MS) fail(slot, 'late', `issued ${late.toFixed(0)} ms after its slot`)
    l.inflight++
    inflight++
    f.maxInflight = Math.max(f.maxInflight, inflight)
    void (async () => {
      try {
        const res = await l.pool.request({
          method: 'POST',
          path: slot.kind.path,
          body: slot.kind.body,
          headers: { 'content-type': 'application/json' }
        })
        const text = await res.body.text()
        const done = performance.now()
        const answered = f.answered++
        f.fromSlot[answered] = done - slot.scheduled
        f.fromIssue[answered] = done - issued
        if (row !== undefined) {
          row[1]++
          row[3] = Math.max(row[3], Math.round(done - slot.scheduled))
        }
        f.perKind.get(slot.kind.name)?.push(done - slot.scheduled)
        const by = res.headers['x-swarmlambda-edge']
        const edge = typeof by === 'string' ? by : '?'
        f.answeredBy.set(edge, (f.answeredBy.get(edge) ?? 0) + 1)
        if (res.statusCode < 200 || res.statusCode > 299) {
          const code = errorCode(text, res.headers)
          fail(slot, `status ${res.statusCode} ${code}`, `via ${edge}: ${text.slice(0, 300)}`)
        } else if (res.headers['x-amz-function-error'] !== undefined) {
          fail(
            slot,
            `function error ${errorCode(text, res.headers)}`,
            `via ${edge}: ${text.slice(0, 300)}`
          )
        } else {
          const wrong = slot.kind.check(text)
          if (wrong === null) f.ok += closed ? 0 : 1
          else fail(slot, wrong.error, `via ${edge}: ${wrong.detail}`)
        }
      } catch (err) {
        fail(slot, errorKind(err), String((err as Error).message ?? err))
      } finally {
        l.inflight--
        inflight--
        const next = closed ? undefined : l.backlog.shift()
        if (next !== undefined) issue(next, l)
      }
    })()
  }
  const dispatch = (slot: Slot) => {
    f.scheduled++
    const l = lanes[slot.kind.name]
    if (l.inflight < l.cap) return issue(slot, l)
    l.backlog.push(slot)
    f.maxBacklog = Math.max(f.maxBacklog, l.backlog.length)
  }

  const cpu0 = process.cpuUsage()
  const loopDelay = monitorEventLoopDelay({ resolution: 5 })
  loopDelay.enable()
  const gcs = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      f.gcMaxMs = Math.max(f.gcMaxMs, entry.duration)
      f.gcTotalMs += entry.duration
    }
  })
  gcs.observe({ entryTypes: ['gc'] })
  t0 = performance.now()
  warmAt = t0 + o.warmupSeconds * 1000
  let warmed = false
  await new Promise<void>((resolve) => {
    let i = 0
    const tick = () => {
      const now = performance.now()
      if (!warmed && now >= warmAt) {
        warmed = true
        onWarm()
      }
      while (i < total && t0 + i * interval <= now) {
        const kind = (i + 1) % o.every === 0 ? mix.mandelbrot : mix.sum
        dispatch({ index: i, scheduled: t0 + i * interval, kind })
        i++
      }
      if (i >= total || interrupted.signal.aborted) return resolve()
      setTimeout(tick, Math.max(0, Math.min(1, t0 + i * interval - performance.now())))
    }
    tick()
  })
  onEnd()
  loopDelay.disable()
  gcs.disconnect()
  f.loopDelayP99 = loopDelay.percentile(99) / 1e6
  f.loopDelayMax = loopDelay.max / 1e6
  const drainUntil = performance.now() + DRAIN_MS
  while (inflight > 0 || lanes.sum.backlog.length + lanes.mandelbrot.backlog.length > 0) {
    if (performance.now() > drainUntil) break
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  const stillOpen = inflight + lanes.sum.backlog.length + lanes.mandelbrot.backlog.length
  if (stillOpen > 0) f.errors.set('unfinished', stillOpen)
  closed = true
  const cpu = process.cpuUsage(cpu0)
  f.generatorCpu = (cpu.user + cpu.system) / 1e6
  await Promise.all([lanes.sum.pool.destroy(), lanes.mandelbrot.pool.destroy()])
  return f
}

/** RSS and CPU of the watched processes, sampled once a second during the soak. */
class Watch {
  readonly procs: { name: string; pid: number }[]
  readonly samples = new Map<string, { t: number; kb: number }[]>()
  start = new Map<string, number>()
  end = new Map<string, number>()
  cpuStart = new Map<string, number>()
  cpuEnd = new Map<string, number>()
  /** Samples are kept from the start sample to the end one. */
  private window = false
  private timer: NodeJS.Timeout | null = null
  private readonly t0 = performance.now()

  constructor(procs: { name: string; pid: number }[]) {
    this.procs = procs
    for (const p of procs) this.samples.set(p.name, [])
  }

  private take(into?: Map<string, number>, cpu?: Map<string, number>) {
    const t = round((performance.now() - this.t0) / 1000, 1)
    for (const p of this.procs) {
      const kb = rssKb(p.pid)
      if (kb === null) continue
      if (this.window || into !== undefined) this.samples.get(p.name)?.push({ t, kb })
      into?.set(p.name, kb)
      const seconds = cpuSeconds(p.pid)
      if (cpu !== undefined && seconds !== null) cpu.set(p.name, seconds)
    }
  }

  run(): void {
    this.timer = setInterval(() => this.take(), 1_000)
  }

  startAt = NaN
  endAt = NaN

  markStart(): void {
    this.startAt = performance.now()
    this.take(this.start, this.cpuStart)
    this.window = true
  }

  markEnd(): void {
    this.endAt = performance.now()
    this.take(this.end, this.cpuEnd)
    this.window = false
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer)
  }

  max(name: string): number {
    return Math.max(...(this.samples.get(name) ?? []).map((s) => s.kb))
  }
}

/** Counts a process's log lines at warn and up, by message (and `why` or `err`). */
function logSummary(
  lines: Record<string, unknown>[],
  soakFrom: number,
  soakTo: number
): { count: number; duringSoak: number; byMsg: Map<string, number> } {
  const byMsg = new Map<string, number>()
  let count = 0
  let duringSoak = 0
  for (const line of lines) {
    if (typeof line.level !== 'number' || line.level < 40) continue
    count++
    if (typeof line.time === 'number' && line.time >= soakFrom && line.time <= soakTo) duringSoak++
    const err = line.err as { message?: unknown; code?: unknown } | undefined
    const detail =
      typeof line.why === 'string'
        ? ` (${line.why})`
        : typeof err === 'object' && err !== null
          ? ` (${String(err.code ?? '')} ${String(err.message)})`
          : ''
    const msg = `${String(line.msg ?? '?')}${detail}`
    byMsg.set(msg, (byMsg.get(msg) ?? 0) + 1)
  }
  return { count, duringSoak, byMsg }
}

/** Counters (and a gauge) of an edge's GET /metrics that say what went wrong inside the mesh. */
const METRICS = [
  'swarmlambda_invocations_total',
  'swarmlambda_shards_total',
  'swarmlambda_shard_retries_total',
  'swarmlambda_shard_backups_total',
  'swarmlambda_peer_strikes_total',
  'swarmlambda_throttles_total',
  'swarmlambda_pool_restarts_total',
  'swarmlambda_eventloop_lag_max_seconds'
]

/**
 * GET /metrics, the METRICS series summed over labels but the ones kept (`outcome`, `where`,
 * `scope`), e.g. `swarmlambda_shards_total{where="remote",outcome="ok"}`; empty if unanswered.
 */
async function scrape(url: string): Promise<Map<string, number>> {
  const series = new Map<string, number>()
  try {
    const res = await request(`${url}/metrics`, { headersTimeout: 5_000, bodyTimeout: 5_000 })
    const text = await res.body.text()
    for (const line of text.split('\n')) {
      const m = /^(\w+)(?:\{([^}]*)\})? (\S+)$/.exec(line)
      if (m === null || !METRICS.includes(m[1] as string)) continue
      const kept = [...(m[2] ?? '').matchAll(/(outcome|where|scope)="([^"]*)"/g)]
      const key = `${m[1]}${kept.length === 0 ? '' : `{${kept.map((k) => `${k[1]}=${k[2]}`).join(',')}}`}`
      series.set(key, (series.get(key) ?? 0) + Number(m[3]))
    }
  } catch {
    // an edge that does not answer has no figures
  }
  return series
}

/** What grew between two scrapes (the lag gauge: its value at the end). */
function grown(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [key, value] of after) {
    const delta = key.includes('eventloop_lag') ? value : value - (before.get(key) ?? 0)
    if (delta !== 0) out[key.replace(/^swarmlambda_/, '')] = round(delta, 3)
  }
  return out
}

async function main(o: Options, cleanups: Cleanups): Promise<boolean> {
  const dir = await cleanups.dir('soak')
  const root = new URL('../../../functions/build/', import.meta.url)
  const [sumWasm, mandelbrotWasm] = await Promise.all([
    readFile(new URL('sum.wasm', root)),
    readFile(new URL('mandelbrot.wasm', root))
  ])

  const loadBefore = loadavg()
  const nodeFlags = o.traceGc ? ['--trace-gc'] : []
  const runtime: Runtime = { logLevel: o.logLevel, nodeFlags }
  const { bootstrap } = await startDht(cleanups)
  const edges = await Promise.all(
    NAMES.map((name, i) => startEdge(cleanups, dir, runtime, name, REGIONS[i] as string, bootstrap))
  )
  await converge(edges)
  const proxy = await startProxy(
    cleanups,
    { logLevel: o.proxyLogLevel, nodeFlags },
    edges.map((e) => new URL(e.url).host)
  )
  const a = edges[0]!
  const deploy = async (name: string, wasm: Buffer, extra: object) => {
    const body = { name, wasm_base64: wasm.toString('base64'), ...extra }
    const answer = await http(a.url, 'POST', '/functions', body)
    if (answer.status !== 201) throw new Error(`deploy ${name}: ${answer.status}`)
  }
  await deploy('sum', sumWasm, { reduce: 'sum' })
  await deploy('mandelbrot', mandelbrotWasm, {
    reduce: 'concat',
    headerItems: 7,
    timeoutMs: 10_000
  })
  const setupSharding = newSharding()
  const mix = kinds(setupSharding)
  /** One call of `kind` at `url`: null if right, else what is wrong. */
  const callOnce = async (url: string, kind: Kind) => {
    const res = await http(url, 'POST', kind.path, JSON.parse(kind.body))
    if (res.status !== 200) return `${res.status} ${JSON.stringify(res.body).slice(0, 200)}`
    if (res.headers['x-amz-function-error'] !== undefined) return JSON.stringify(res.body)
    return kind.check(JSON.stringify(res.body))?.detail ?? null
  }
  for (const e of [...edges, proxy]) {
    for (const kind of [mix.sum, mix.mandelbrot]) {
      await eventually(`${e.name} invokes ${kind.name} exactly`, async () =>
        (await callOnce(e.url, kind)) === null ? true : undefined
      )
    }
  }
  // A few calls per edge, so each has learnt the mandelbrot's cost, and the proxy's pools warm.
  for (let i = 0; i < 5; i++) {
    for (const e of edges) {
      const wrong = await callOnce(e.url, mix.mandelbrot)
      if (wrong !== null) throw new Error(`${e.name} mandelbrot: ${wrong}`)
    }
  }
  for (let i = 0; i < 200; i++) {
    const wrong = await callOnce(proxy.url, i % o.every === 0 ? mix.mandelbrot : mix.sum)
    if (wrong !== null) throw new Error(`proxy: ${wrong}`)
  }
  const setupSpans = [...setupSharding.spans.keys()]
  console.log(
    `soak (${o.quick ? '--quick, ' : ''}3 edges + proxy on 127.0.0.1; mix: sum of 100 ints, every ${o.every}th a mandelbrot ` +
      `${MANDELBROT_DATASET[0]}×${MANDELBROT_DATASET[1]} maxIter ${MANDELBROT_DATASET[2]}, reduce concat)`
  )
  console.log(
    `  setup: deployed on edge-a, invocable on every edge; mandelbrot warm-up calls spanned ${setupSpans.sort().join('/')} edges, ` +
      `${Math.min(...setupSharding.shardCounts)}..${Math.max(...setupSharding.shardCounts)} shards`
  )

  // 1. Peak.
  let peak: PeakFigures | null = null
  let rate: number
  if (o.rate === null) {
    peak = WRK
      ? await peakWrk(cleanups, dir, proxy.url, o)
      : await peakUndici(proxy.url, o, [mix.sum, mix.mandelbrot])
    console.log(
      `  peak rps: ${peak.rps} (closed loop through the proxy, ${peak.tool}, ${peak.connections} connections, ${peak.seconds} s, the same mix)` +
        (peak.errors > 0 ? `; ${peak.errors} errors: ${peak.errorText}` : '')
    )
    if (interrupted.signal.aborted) throw interrupted.signal.reason
    rate = Math.max(1, Math.round(peak.rps * LOAD))
  } else {
    rate = o.rate
    console.log(`  peak rps: not measured (--rate ${rate})`)
  }
  console.log(
    `  target rate: ${rate} req/s${peak === null ? '' : ` (${LOAD * 100}% of peak)`}, open loop, ` +
      `${o.warmupSeconds} s warm-up + ${o.seconds} s`
  )

  // 2. Soak, 3. RSS.
  const procs = [...edges, proxy]
  const watch = new Watch(procs.map((p) => ({ name: p.name, pid: p.child.pid as number })))
  watch.run()
  const sharding = newSharding()
  const metricsBefore = await Promise.all(edges.map((e) => scrape(e.url)))
  const soakFrom = Date.now()
  const f = await soak(
    proxy.url,
    o,
    rate,
    sharding,
    kinds(sharding),
    () => watch.markStart(),
    () => watch.markEnd()
  )
  watch.stop()
  if (interrupted.signal.aborted) throw interrupted.signal.reason
  const soakTo = Date.now()
  const metricsAfter = await Promise.all(edges.map((e) => scrape(e.url)))
  const metrics = Object.fromEntries(
    edges.map((e, i) => [
      e.name,
      grown(metricsBefore[i] ?? new Map(), metricsAfter[i] ?? new Map())
    ])
  )
  const loadAfter = loadavg()

  // 4. Figures.
  const duration = o.warmupSeconds + o.seconds
  const errorTotal = [...f.errors.values()].reduce((a, b) => a + b, 0)
  const lateness = sortedOf(f.lateness, f.issued)
  const fromSlot = sortedOf(f.fromSlot, f.answered)
  const fromIssue = sortedOf(f.fromIssue, f.answered)
  const ms = (n: number) => `${n.toFixed(1)} ms`
  const pct = (n: number) => `${n >= 0 ? '+' : ''}${(n * 100).toFixed(1)}%`
  console.log(
    `  requests sent: ${f.issued} of ${f.scheduled} scheduled; answered ${f.answered}, ${f.ok} right`
  )
  console.log(
    `  achieved rate: ${(f.issued / duration).toFixed(0)} req/s issued, ${(f.ok / duration).toFixed(0)} req/s answered right`
  )
  console.log(
    `  errors: ${errorTotal}` +
      (errorTotal === 0
        ? ''
        : ` (${[...f.errors].map(([k, v]) => `${k}: ${v}`).join(', ')}; ${f.warmupErrors} in the warm-up)`)
  )
  for (const e of f.examples) {
    console.log(`    e.g. at ${e.at} s, ${e.kind}: ${e.error}: ${e.detail}`)
  }
  if (f.errorSeconds.size > 0) {
    const seconds = [...f.errorSeconds].sort((x, y) => x[0] - y[0])
    console.log(
      `    errors per second of the run: ${seconds.map(([s, n]) => `${s}s:${n}`).join(' ')}`
    )
  }
  console.log(
    `  lateness (issue − slot): p50 ${ms(quantile(lateness, 0.5))}  p99 ${ms(quantile(lateness, 0.99))}  max ${ms(quantile(lateness, 1))}` +
      `  (late > ${LATE_MS} ms: ${f.errors.get('late') ?? 0}; most in flight ${f.maxInflight}, most waiting ${f.maxBacklog})`
  )
  console.log(
    `  latency from slot: p50 ${ms(quantile(fromSlot, 0.5))}  p99 ${ms(quantile(fromSlot, 0.99))}  max ${ms(quantile(fromSlot, 1))}` +
      `   from issue: p50 ${ms(quantile(fromIssue, 0.5))}  p99 ${ms(quantile(fromIssue, 0.99))}`
  )
  const perKind = Object.fromEntries(
    [...f.perKind].map(([name, samples]) => {
      const sorted = Float64Array.from(samples).sort()
      return [
        name,
        { calls: samples.length, p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99) }
      ]
    })
  )
  for (const [name, k] of Object.entries(perKind)) {
    console.log(
      `    ${name.padEnd(10)}: ${k.calls} answers, p50 ${ms(k.p50)}  p99 ${ms(k.p99)} (from slot)`
    )
  }
  const by = [...f.answeredBy].sort((x, y) => x[0].localeCompare(y[0]))
  console.log(
    `  answered by (proxy's x-swarmlambda-edge): ${by.map(([e, n]) => `${e} ${n}`).join(', ')}`
  )
  const shardCounts = [...sharding.shardCounts].sort((x, y) => x - y)
  const spans = [...sharding.spans].sort((x, y) => x[0] - y[0])
  const spread = [...sharding.edgeShards].sort((x, y) => x[0].localeCompare(y[0]))
  const multiEdge = spans.reduce((n, [edges, calls]) => n + (edges >= 2 ? calls : 0), 0)
  console.log(
    `  sharding: ${sharding.calls} mandelbrot answers, shards per call p50 ${quantile(shardCounts, 0.5)} (${quantile(shardCounts, 0)}..${quantile(shardCounts, 1)}); ` +
      `calls over 1/2/3 edges: ${[1, 2, 3].map((n) => sharding.spans.get(n) ?? 0).join('/')}; shards ran on ${spread.map(([e, n]) => `${e} ${n}`).join(', ')}`
  )
  if (spread.length < 2 || multiEdge === 0)
    console.log('  WARNING: the mandelbrot did not shard over several edges')
  for (const [name, m] of Object.entries(metrics)) {
    const text = Object.entries(m)
      .map(
        ([k, v]) => `${k} ${k.includes('eventloop_lag') ? `${(v * 1000).toFixed(0)} ms` : `+${v}`}`
      )
      .join(', ')
    console.log(`  ${name} /metrics over the soak: ${text === '' ? 'unanswered' : text}`)
  }
  console.log(
    `  generator (this process): CPU ${f.generatorCpu.toFixed(1)} s over ${duration} s; ` +
      `event-loop delay p99 ${ms(f.loopDelayP99)}  max ${ms(f.loopDelayMax)}; ` +
      `GC pauses max ${ms(f.gcMaxMs)}, ${ms(f.gcTotalMs)} in all`
  )
  if ((f.errors.get('late') ?? 0) > 0 && f.maxBacklog === 0) {
    console.log(
      `  note: no request ever waited for a connection: the late ones were issued late because ` +
        `this process's event loop ran late (max ${ms(f.loopDelayMax)}, its GC pauses at most ` +
        `${ms(f.gcMaxMs)}; machine load ${loadAfter[0]?.toFixed(1)}): the generator fell behind, not the mesh`
    )
  }
  const rss = Object.fromEntries(
    procs.map((p) => {
      const start = watch.start.get(p.name) ?? NaN
      const end = watch.end.get(p.name) ?? NaN
      const cpu = (watch.cpuEnd.get(p.name) ?? NaN) - (watch.cpuStart.get(p.name) ?? NaN)
      return [p.name, { start, end, max: watch.max(p.name), growth: end / start - 1, cpu }]
    })
  )
  const outputs = new Map(
    await Promise.all(procs.map(async (p) => [p.name, await p.output()] as const))
  )
  /** Per process, its main isolate's full GCs, `at` in s since the soak's start sample. */
  const gcs = Object.fromEntries(
    procs.map((p) => [
      p.name,
      fullGcs(outputs.get(p.name) ?? []).map((gc) => ({
        at: round((p.spawnedAt + gc.ms - watch.startAt) / 1000, 1),
        after_mb: gc.afterMb,
        committed_mb: gc.committedMb
      }))
    ])
  )
  const mb = (kb: number) => `${(kb / 1024).toFixed(1)} MB`
  for (const [name, r] of Object.entries(rss)) {
    console.log(
      `  rss ${name.padEnd(6)}: start ${mb(r.start)}  end ${mb(r.end)}  growth ${pct(r.growth)}  max ${mb(r.max)}` +
        `  (CPU ${r.cpu.toFixed(1)} s over the ${o.seconds} s)`
    )
    if (o.traceGc) {
      const list = gcs[name] ?? []
      const shown = list.length > 8 ? [...list.slice(0, 2), null, ...list.slice(-5)] : list
      console.log(
        `    live heap after full GCs (MB live/committed @ s from the soak's start): ` +
          (list.length === 0
            ? 'none'
            : shown
                .map((g) => (g === null ? '…' : `${g.after_mb}/${g.committed_mb} @${g.at}`))
                .join(', '))
      )
    }
  }
  console.log(
    `  machine load average: ${loadBefore.map((l) => l.toFixed(2)).join(' ')} before, ${loadAfter.map((l) => l.toFixed(2)).join(' ')} after`
  )
  const logs: Record<
    string,
    { count: number; during_soak: number; messages: Record<string, number> }
  > = {}
  for (const p of procs) {
    const output = outputs.get(p.name) ?? []
    if (o.logs !== null) {
      await mkdir(o.logs, { recursive: true })
      await writeFile(join(o.logs, `${p.name}.log`), output.join('\n'))
    }
    const summary = logSummary(parseLines(output), soakFrom, soakTo)
    logs[p.name] = {
      count: summary.count,
      during_soak: summary.duringSoak,
      messages: Object.fromEntries(summary.byMsg)
    }
    if (summary.count > 0) {
      const top = [...summary.byMsg].sort((x, y) => y[1] - x[1]).slice(0, 5)
      console.log(
        `  ${p.name} logged ${summary.count} warnings/errors (${summary.duringSoak} during the soak): ${top.map(([m, n]) => `${n}× "${m}"`).join('; ')}`
      )
    }
  }

  const errorsPass = errorTotal === 0
  const worst = Object.entries(rss).sort((x, y) => y[1].growth - x[1].growth)[0]
  const rssPass = Object.values(rss).every(
    (r) => Number.isFinite(r.growth) && r.growth < MAX_GROWTH
  )
  console.log(
    `${errorsPass ? 'PASS' : 'FAIL'} errors: ${errorTotal} (target 0) of ${f.scheduled} requests`
  )
  console.log(
    `${rssPass ? 'PASS' : 'FAIL'} rss growth: worst ${worst?.[0]} ${pct(worst?.[1].growth ?? NaN)} (target < ${pct(MAX_GROWTH)} for every process)`
  )

  if (o.json !== null) {
    const figures: { [key: string]: Json } = {
      peak:
        peak === null
          ? null
          : {
              tool: peak.tool,
              connections: peak.connections,
              seconds: peak.seconds,
              rps: peak.rps,
              errors: peak.errors
            },
      soak: {
        target_rps: rate,
        load: peak === null ? null : LOAD,
        seconds: o.seconds,
        warmup_seconds: o.warmupSeconds,
        mandelbrot_every: o.every,
        scheduled: f.scheduled,
        sent: f.issued,
        answered: f.answered,
        right: f.ok,
        achieved_rps: round(f.issued / duration),
        right_rps: round(f.ok / duration),
        errors: Object.fromEntries(f.errors),
        warmup_errors: f.warmupErrors,
        error_examples: f.examples,
        late_ms: LATE_MS,
        lateness_p50_ms: round(quantile(lateness, 0.5), 3),
        lateness_p99_ms: round(quantile(lateness, 0.99), 3),
        lateness_max_ms: round(quantile(lateness, 1), 3),
        p50_ms: round(quantile(fromSlot, 0.5), 3),
        p99_ms: round(quantile(fromSlot, 0.99), 3),
        max_ms: round(quantile(fromSlot, 1), 3),
        service_p50_ms: round(quantile(fromIssue, 0.5), 3),
        service_p99_ms: round(quantile(fromIssue, 0.99), 3),
        per_kind: Object.fromEntries(
          Object.entries(perKind).map(([k, v]) => [
            k,
            { calls: v.calls, p50_ms: round(v.p50, 3), p99_ms: round(v.p99, 3) }
          ])
        ),
        answered_by: Object.fromEntries(f.answeredBy),
        generator_cpu_s: round(f.generatorCpu),
        generator_loop_delay_p99_ms: round(f.loopDelayP99),
        generator_loop_delay_max_ms: round(f.loopDelayMax),
        generator_gc_max_ms: round(f.gcMaxMs),
        generator_gc_total_ms: round(f.gcTotalMs)
      },
      sharding: {
        calls: sharding.calls,
        shards_p50: quantile(shardCounts, 0.5),
        shards_min: quantile(shardCounts, 0),
        shards_max: quantile(shardCounts, 1),
        calls_by_edges_spanned: Object.fromEntries(spans.map(([k, v]) => [String(k), v])),
        shards_by_edge: Object.fromEntries(sharding.edgeShards)
      },
      rss: Object.fromEntries(
        Object.entries(rss).map(([name, r]) => [
          name,
          {
            start_kb: r.start,
            end_kb: r.end,
            max_kb: r.max,
            growth: round(r.growth, 4),
            cpu_s: round(r.cpu),
            samples: (watch.samples.get(name) ?? []).map((s) => [s.t, s.kb])
          }
        ])
      ),
      metrics,
      timeline: f.timeline,
      logs,
      ...(o.traceGc ? { full_gcs: gcs } : {}),
      load_average: {
        before: loadBefore.map((l) => round(l)),
        after: loadAfter.map((l) => round(l))
      },
      checks: { errors: errorsPass, rss: rssPass }
    }
    await writeFile(o.json, JSON.stringify(figures, null, 2) + '\n')
    console.log(`  figures written to ${o.json}`)
  }
  return errorsPass && rssPass
}

const cleanups = new Cleanups()
/** Every process is stopped once, whoever asks first (a signal, or the end of main). */
let cleaning: Promise<void> | null = null
const cleanUp = () => (cleaning ??= cleanups.run())
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted.signal.aborted) return
    console.error(`${signal}: stopping every process`)
    interrupted.abort(new Error(`interrupted by ${signal}`))
    void cleanUp().finally(() => process.exit(130))
  })
}
let parsed: Options
try {
  parsed = options()
} catch (err) {
  console.error(`${(err as Error).message}\n\n${USAGE}`)
  process.exit(2)
}
let code = 1
try {
  code = (await main(parsed, cleanups)) ? 0 : 1
} catch (err) {
  if (!interrupted.signal.aborted) console.error(err)
} finally {
  await cleanUp()
}
process.exit(interrupted.signal.aborted ? 130 : code)
