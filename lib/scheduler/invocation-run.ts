import { performance } from 'node:perf_hooks'
import { INVOCATION_TIMEOUT, isFunctionError, SwarmError } from '../errors.js'
import type { InvocationOutcome } from '../metrics.js'
import type { ShardCosts } from './costs.js'
import type { Executor, ShardRun, ShardTask } from './executors.js'
import type {
  Invocation,
  InvocationResult,
  Progress,
  SchedulerOptions,
  ShardReport
} from './run.js'
import { keyOf } from '../runtimes/contract.js'
import { reduce, reduceJson, type Reduced } from './shards.js'

/** Attempts at one shard at most (the first, re-runs and backups together). */
const MAX_ATTEMPTS = 3
/** Backups start once this share of the shards is done... */
const BACKUP_AFTER_DONE = 0.5
/** ...for a shard running this many times longer than the median finished shard... */
const BACKUP_SLOWER_THAN_MEDIAN = 2
/** ...and at least this long. */
const BACKUP_MIN_MS = 50
/** How often running shards are checked for a backup. */
const BACKUP_CHECK_MS = 20
/** Room on top of the function's timeout for hops and one re-run: deadline = 2 × timeout + this. */
const DEADLINE_SLACK_MS = 500

/** How an invocation runs: its shards, where each goes first, where re-runs go (in order). */
export interface Plan {
  tasks: ShardTask[]
  firsts: Executor[]
  executors: Executor[]
}

interface Attempt {
  executor: Executor
  started: number
  backup: boolean
  settled: boolean
}

interface ShardState {
  task: ShardTask
  /** Executor the shard was placed on. */
  first: Executor
  output: ShardRun | null
  winner: Attempt | null
  ms: number
  attempts: Attempt[]
  failures: { edge: string; code: string }[]
  lastError: SwarmError | null
}

/** One invocation in flight: its shards, their attempts, the deadline and the backups. */
export class InvocationRun {
  readonly result: Promise<InvocationResult>
  private readonly shards: ShardState[]
  private readonly deadline: number
  private readonly finishedMs: number[] = []
  private done = 0
  private finished = false
  private resolve!: (result: InvocationResult) => void
  private reject!: (err: Error) => void
  private readonly timers: NodeJS.Timeout[] = []
  private readonly started = performance.now()

  private readonly executors: Executor[]

  constructor(
    private readonly invocation: Invocation,
    plan: Plan,
    private readonly options: SchedulerOptions,
    private readonly costs: ShardCosts,
    private readonly progress: Progress | undefined
  ) {
    this.executors = plan.executors
    this.result = new Promise<InvocationResult>((resolve, reject) => {
      this.resolve = resolve
      this.reject = reject
    })
    this.deadline = performance.now() + 2 * invocation.timeoutMs + DEADLINE_SLACK_MS
    this.shards = plan.tasks.map((task, i) => ({
      task,
      first: plan.firsts[i] as Executor,
      output: null,
      winner: null,
      ms: 0,
      attempts: [],
      failures: [],
      lastError: null
    }))
    progress?.(0, this.shards.length)
    for (const shard of this.shards) this.launch(shard, shard.first, false)
    const deadline = setTimeout(() => this.finish(), this.deadline - performance.now())
    this.timers.push(deadline)
    if (this.shards.length > 1) this.timers.push(setInterval(() => this.backups(), BACKUP_CHECK_MS))
  }

  private launch(shard: ShardState, executor: Executor, backup: boolean): void {
    const remaining = Math.max(1, Math.floor(this.deadline - performance.now()))
    const timeoutMs = Math.min(this.invocation.timeoutMs, remaining)
    if (backup) this.options.observer?.backup()
    else if (shard.attempts.length > 0) this.options.observer?.retry()
    const attempt: Attempt = { executor, started: performance.now(), backup, settled: false }
    shard.attempts.push(attempt)
    let running: Promise<ShardRun>
    try {
      running = executor.run(this.invocation, shard.task, timeoutMs, remaining)
    } catch (err) {
      running = Promise.reject(err)
    }
    running.then(
      (out) => this.onAnswer(shard, attempt, out),
      (err: unknown) => this.onFailure(shard, attempt, err, timeoutMs)
    )
  }

  private onAnswer(shard: ShardState, attempt: Attempt, out: ShardRun): void {
    attempt.settled = true
    this.options.observer?.shard(attempt.executor.id === '' ? 'local' : 'remote', 'ok')
    this.logAttempt(shard, attempt, 'ok')
    if (this.finished || shard.output !== null) return // a second answer for a shard never counts
    shard.output = out
    shard.winner = attempt
    shard.ms = performance.now() - attempt.started
    this.finishedMs.push(shard.ms)
    if (out.micros !== undefined) {
      this.costs.record(keyOf(this.invocation.fn), shard.task.items, out.micros)
    }
    this.done++
    this.progress?.(this.done, this.shards.length)
    if (this.done === this.shards.length) this.finish()
  }

  private onFailure(shard: ShardState, attempt: Attempt, err: unknown, timeoutMs: number): void {
    attempt.settled = true
    this.options.observer?.shard(attempt.executor.id === '' ? 'local' : 'remote', 'failed')
    this.logAttempt(shard, attempt, err instanceof SwarmError ? err.code : 'INTERNAL')
    if (this.finished || shard.output !== null) return
    const error = err instanceof SwarmError ? err : new SwarmError('INTERNAL', String(err))
    shard.failures.push({ edge: attempt.executor.name, code: error.code })
    shard.lastError = error
    // A function error is the function's: final, unless the run was cut short by our deadline.
    const cutShort = error.code === 'FUNCTION_TIMEOUT' && timeoutMs < this.invocation.timeoutMs
    // So is a refusal of the request itself (e.g. a JS event that is not JSON): no re-run.
    if (error.kind === 'client') return this.fail(error)
    if (isFunctionError(error) && !cutShort) {
      // A JS function's error is AWS's own shape: its message stays the function's own when it
      // is the only shard; a sharded run says which shard failed where.
      if (this.invocation.fn.abi === 'json' && this.shards.length === 1) return this.fail(error)
      return this.fail(
        new SwarmError(
          error.code,
          `shard ${shard.task.index} on ${attempt.executor.name}: ${error.message}`,
          { fields: { ...error.fields }, logs: error.logs }
        )
      )
    }
    // A member that has not replicated the module yet is not unhealthy: re-run, no strike.
    if (attempt.executor.id !== '' && error.code !== 'WASM_UNAVAILABLE') {
      this.options.strike?.(attempt.executor.id)
    }
    if (shard.attempts.some((a) => !a.settled)) return // another attempt is still running
    const next = this.next(shard)
    if (next !== null && this.deadline - performance.now() > 1) this.launch(shard, next, false)
    else if (this.shards.every((s) => s.output !== null || s.attempts.every((a) => a.settled))) {
      this.finish() // nothing left running and nothing left to try
    }
  }

  /** Where a shard goes next: an executor it has not tried, nearest first; else this edge. */
  private next(shard: ShardState): Executor | null {
    if (shard.attempts.length >= MAX_ATTEMPTS) return null
    const tried = new Set(shard.attempts.map((a) => a.executor))
    return this.executors.find((e) => !tried.has(e)) ?? null
  }

  /** Speculative backups for stragglers once most shards are done (first answer wins). */
  private backups(): void {
    if (this.finished || this.done < Math.ceil(this.shards.length * BACKUP_AFTER_DONE)) return
    const sorted = [...this.finishedMs].sort((a, b) => a - b)
    const median = sorted[Math.floor(sorted.length / 2)] ?? 0
    const threshold = Math.max(BACKUP_MIN_MS, BACKUP_SLOWER_THAN_MEDIAN * median)
    const now = performance.now()
    for (const shard of this.shards) {
      if (shard.output !== null || shard.attempts.some((a) => a.backup)) continue
      const running = shard.attempts.find((a) => !a.settled)
      if (running === undefined || now - running.started < threshold) continue
      const next = this.next(shard)
      if (next !== null) this.launch(shard, next, true)
    }
  }

  private fail(err: SwarmError): void {
    if (this.finished) return
    this.finished = true
    this.stopTimers()
    this.observe(isFunctionError(err) ? 'function_error' : 'error')
    this.reject(err)
  }

  private logAttempt(shard: ShardState, attempt: Attempt, outcome: string): void {
    this.options.log?.info(
      {
        requestId: this.invocation.requestId,
        function: this.invocation.functionName,
        shard: shard.task.index,
        items: shard.task.items,
        edge: attempt.executor.name,
        attempt: shard.attempts.indexOf(attempt) + 1,
        backup: attempt.backup,
        ms: Math.round((performance.now() - attempt.started) * 1000) / 1000,
        outcome,
        late: shard.winner !== null && shard.winner !== attempt
      },
      'shard'
    )
  }

  private observe(outcome: InvocationOutcome): void {
    const seconds = (performance.now() - this.started) / 1000
    this.options.observer?.invocation(this.invocation.functionName, outcome, seconds)
  }

  private finish(): void {
    if (this.finished) return
    this.finished = true
    this.stopTimers()
    const missing = this.shards.filter((s) => s.output === null).map((s) => s.task.index)
    if (missing.length === this.shards.length) {
      // Nothing to answer with: one shard's own error if it ended before the deadline, else a timeout.
      const only = this.shards.length === 1 ? this.shards[0]?.lastError : null
      this.observe('error')
      if (only !== null && only !== undefined && performance.now() < this.deadline) {
        return this.reject(only)
      }
      const codes = this.shards.flatMap((s) => s.failures.map((f) => `${f.edge}: ${f.code}`))
      return this.reject(INVOCATION_TIMEOUT(this.invocation.functionName, codes))
    }
    const shards: ShardReport[] = this.shards.map((s) => ({
      index: s.task.index,
      edge: s.winner?.executor.name ?? null,
      attempts: s.attempts.length,
      ms: Math.round(s.ms * 1000) / 1000,
      items: this.invocation.fn.abi === 'v2' ? s.task.input.byteLength : s.task.items,
      failures: s.failures,
      backup: s.winner?.backup ?? false
    }))
    const outputs = this.shards.flatMap((s) => (s.output === null ? [] : [s.output]))
    const logs = outputs.map((o) => o.logs ?? '').join('')
    const partial = missing.length > 0
    this.observe(partial ? 'partial' : 'ok')
    const abi = this.invocation.fn.abi
    if (abi === 'v2' || (abi === 'json' && this.shards.length === 1)) {
      const payload = outputs[0]?.payload ?? new Uint8Array(0)
      return this.resolve({ result: null, payload, partial, missing, shards, logs })
    }
    let result: Reduced | null = null
    let payload: Uint8Array | null = null
    try {
      if (abi === 'json') {
        const answers = outputs.map((o) => JSON.parse(Buffer.from(o.payload ?? []).toString()))
        payload = Buffer.from(JSON.stringify(reduceJson(this.invocation.reduce, answers)))
      } else {
        result = reduce(this.invocation.reduce, outputs)
      }
    } catch (err) {
      // The shards' answers do not reduce (the wrong kind, or over the reply limit together).
      return this.reject(err as Error)
    }
    this.resolve({ result, payload, partial, missing, shards, logs })
  }

  private stopTimers(): void {
    for (const timer of this.timers) clearTimeout(timer)
  }
}
