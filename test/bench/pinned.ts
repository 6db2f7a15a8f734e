/**
 * Edges pinned to one core each (`taskset -c N`), for the benchmarks that need an edge to stand
 * for a one-core machine (scaling, latency).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { Pool } from 'undici'
import { CLI } from '../support/processes.js'
import { edgeReady, owned, type Cleanups } from './bench.js'

export interface PinnedEdge {
  name: string
  url: string
  child: ChildProcess
  pool: Pool
}

/** Whether `taskset` can pin a process here. */
export function tasksetWorks(): boolean {
  const probe = spawnSync('taskset', ['-c', '1', process.execPath, '-e', ''], { stdio: 'ignore' })
  return probe.error === undefined && probe.status === 0
}

/**
 * Starts `taskset -c CORE swarm-lambda edge` on a free port of 127.0.0.1 with an IPC channel
 * (which survives taskset's exec), and resolves once the edge sends {msg: 'edge ready'}
 * (whatever its log level: it logs at warn); stopped at cleanup. A core of -1 starts it unpinned.
 */
export async function pinnedEdge(
  cleanups: Cleanups,
  name: string,
  core: number,
  stateDir: string,
  env: Record<string, string>
): Promise<PinnedEdge> {
  const pin = core < 0 ? [] : ['taskset', '-c', String(core)]
  const [command, ...args] = [...pin, process.execPath]
  const child = spawn(
    command as string,
    [...args, CLI, 'edge', '--host', '127.0.0.1', '--port', '0', '--state-dir', stateDir],
    {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      env: { ...process.env, SWARMLAMBDA_NODE_NAME: name, SWARMLAMBDA_LOG_LEVEL: 'warn', ...env }
    }
  )
  owned(cleanups, child)
  const url = await edgeReady(child, name)
  const pool = new Pool(url, { connections: 1, bodyTimeout: 0, headersTimeout: 0 })
  cleanups.teardown(() => pool.close())
  // The premise: pinned to one core, the edge runs one executor worker.
  const health = JSON.parse((await call(pool, 'GET', '/healthz')).text) as {
    executor: { workers: number }
  }
  if (core >= 0 && health.executor.workers !== 1) {
    throw new Error(`${name} on core ${core} runs ${health.executor.workers} workers, not 1`)
  }
  return { name, url, child, pool }
}

export async function call(pool: Pool, method: 'GET' | 'POST', path: string, body?: string) {
  const res = await pool.request({ method, path, ...(body === undefined ? {} : { body }) })
  const text = await res.body.text()
  return { status: res.statusCode, text }
}

/** Deploys the mandelbrot example on `edge` (concat of rows, 7 header items, a 120 s timeout). */
export async function deployMandelbrot(edge: PinnedEdge, wasm: Uint8Array): Promise<void> {
  const body = JSON.stringify({
    name: 'mandelbrot',
    wasm_base64: Buffer.from(wasm).toString('base64'),
    reduce: 'concat',
    headerItems: 7,
    timeoutMs: 120_000
  })
  const res = await call(edge.pool, 'POST', '/functions', body)
  if (res.status !== 201) throw new Error(`deploy on ${edge.name}: ${res.status} ${res.text}`)
}
