/**
 * What every benchmark shares: its options, what it returns (figures for the JSON, targets for
 * the check), percentiles and cleanup. Each benchmark file exports `run(options)`; the runner
 * (test/bench/index.ts) calls them in turn, prints the targets and writes `--json FILE`.
 */
import type { ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface BenchOptions {
  /** Fewer samples and smaller inputs: a check that everything runs, not a measurement. */
  quick: boolean
}

/** A figure compared with its target: `value` must be ≥ `limit` (higher) or ≤ it (lower). */
export interface Target {
  name: string
  value: number
  limit: number
  better: 'higher' | 'lower'
  unit: string
}

/** A JSON value (what a figure may be). */
export type Json = number | string | boolean | null | Json[] | { [key: string]: Json }

export interface BenchResult {
  /** Merged into the top level of the JSON; keys are the names (`edge`, `rpc`, ...). */
  figures: Record<string, { [key: string]: Json }>
  targets: Target[]
}

export type Bench = (options: BenchOptions) => Promise<BenchResult>

export function met(target: Target): boolean {
  return target.better === 'higher' ? target.value >= target.limit : target.value <= target.limit
}

/** The p-quantile (0..1) of unsorted samples, nearest rank. */
export function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] as number
}

export function median(samples: readonly number[]): number {
  return percentile(samples, 0.5)
}

/** Rounds to `digits` decimals (figures in the JSON stay readable). */
export function round(n: number, digits = 2): number {
  const f = 10 ** digits
  return Math.round(n * f) / f
}

/**
 * Cleanups run last-in first-out; `teardown` has the shape test/support expects of tap, so the
 * same process helpers start a benchmark's edges.
 */
export class Cleanups {
  readonly #fns: (() => unknown)[] = []
  readonly teardown = (fn: () => unknown): void => {
    this.#fns.push(fn)
  }

  /** A fresh temporary directory, removed at the end. */
  async dir(prefix: string): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), `swarm-lambda-${prefix}-`))
    this.teardown(() => rm(dir, { recursive: true, force: true }))
    return dir
  }

  async run(): Promise<void> {
    for (const fn of this.#fns.splice(0).reverse()) {
      try {
        await fn()
      } catch {
        // keep cleaning up
      }
    }
  }
}

/** Stops `child` at cleanup: SIGTERM, then SIGKILL after 5 s. Returns it. */
export function owned(cleanups: Cleanups, child: ChildProcess): ChildProcess {
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve()
    child.once('exit', () => resolve())
    child.once('error', () => resolve())
  })
  cleanups.teardown(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGTERM')
    const kill = setTimeout(() => child.kill('SIGKILL'), 5_000)
    await exited
    clearTimeout(kill)
  })
  return child
}

/**
 * The URL an edge started with an IPC channel sends once ready ({msg: 'edge ready', url},
 * whatever its log level); rejects if it exits first or says nothing for 60 s.
 */
export function edgeReady(child: ChildProcess, name: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name}: no "edge ready" in 60 s`)), 60_000)
    child.on('message', (message: { msg?: unknown; url?: unknown }) => {
      if (message.msg === 'edge ready' && typeof message.url === 'string') {
        clearTimeout(timer)
        resolve(message.url)
      }
    })
    const gone = () => {
      clearTimeout(timer)
      reject(new Error(`${name} exited before it was ready`))
    }
    if (child.exitCode !== null || child.signalCode !== null) gone()
    child.once('exit', gone)
    child.once('error', gone)
  })
}
