/**
 * What every benchmark shares: its options, what it returns (figures for the JSON, targets for
 * the check), percentiles and cleanup. Each benchmark file exports `run(options)`; the runner
 * (test/bench/index.ts) calls them in turn, prints the targets and writes `--json FILE`.
 */
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
