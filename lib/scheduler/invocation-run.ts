import { performance } from 'node:perf_hooks'
import { INVOCATION_TIMEOUT, isFunctionError, SwarmError } from '../errors.js'
import type { InvocationOutcome } from '../metrics.js'
import type { ShardCosts } from './costs.js'
import {
  endgameBackup,
  expectedMs,
  stragglerBackups,
  type Attempt,
  type LaneSpec,
  type LaneState,
  type ShardState
} from './backups.js'
import type { ShardRun, ShardTask } from './executors.js'
import type { Invocation, InvocationResult, Progress, SchedulerOptions } from './run.js'
import { keyOf } from '../runtimes/contract.js'
import { answerOf, type Settled } from './answer.js'

/** Attempts at one shard at most (the first, re-runs and backups together). */
const MAX_ATTEMPTS = 3
/** How often running shards are checked for a backup. */
const BACKUP_CHECK_MS = 20
/** Room on top of the function's timeout for hops and one re-run: deadline = 2 × timeout + this. */
const DEADLINE_SLACK_MS = 500

/** How often one-shard runs are checked against their deadlines. */
const DEADLINE_SWEEP_MS = 50
/**
 * One-shard runs (most calls) share one sweep for their deadlines instead of a timer each (a
 * timer armed and cleared per call was a measurable share of a short Invoke on the event loop).
 * The sweep stops when nothing is watched. A deadline is met within 50 ms, on 2 × timeout + 0.5 s.
 */
const watched = new Set<InvocationRun>()
let sweeper: NodeJS.Timeout | null = null

function watch(run: InvocationRun): void {
  watched.add(run)
  if (sweeper !== null) return
  sweeper = setInterval(() => {
    if (watched.size === 0 && sweeper !== null) {
      clearInterval(sweeper)
      sweeper = null
    }
    const now = performance.now()
    for (const each of watched) each.expire(now)
  }, DEADLINE_SWEEP_MS)
}

/** How an invocation runs: its shards, the executors that take them, how shards find them. */
export interface Plan {
  tasks: ShardTask[]
  lanes: LaneSpec[]
  /**
   * Static placement: the lane (index) each shard goes to at once. Null: work-stealing, each
   * lane pulls the next shard as a slot frees up.
   */
  pinned: number[] | null
  /** The cost model's µs per item for this function (null: not known yet). */
  perItemMicros: number | null
}

interface Shard extends ShardState, Settled {
  lastError: SwarmError | null
  /** Out of attempts, or nowhere left to run it: it stays missing. */
  abandoned: boolean
}

/**
 * One invocation in flight: its shards, their attempts, the deadline and the backups. With
 * work-stealing, shards wait in order and every lane pulls the next one it has not tried as a
 * slot frees up (so a slow or busy executor takes fewer); a shard that fails for a reason not
 * the function's goes back to the queue (its executor, if a member, takes no more).
 */
export class InvocationRun {
  readonly result: Promise<InvocationResult>
  private readonly shards: Shard[]
  private readonly lanes: LaneState[]
  private readonly queue: Shard[]
  private readonly deadline: number
  private readonly finishedMs: number[] = []
  private done = 0
  private finished = false
  private resolve!: (result: InvocationResult) => void
  private reject!: (err: Error) => void
  private readonly timers: NodeJS.Timeout[] = []
  private readonly started = performance.now()
  private readonly stealing: boolean

  constructor(
    private readonly invocation: Invocation,
    private readonly plan: Plan,
    private readonly options: SchedulerOptions,
    private readonly costs: ShardCosts,
    private readonly progress: Progress | undefined
  ) {
    this.result = new Promise<InvocationResult>((resolve, reject) => {
      this.resolve = resolve
      this.reject = reject
    })
    this.deadline = performance.now() + 2 * invocation.timeoutMs + DEADLINE_SLACK_MS
    this.lanes = plan.lanes.map(({ executor, slots, rttMs }) => ({
      executor,
      slots,
      rttMs,
      running: 0,
      out: false,
      doneMs: 0,
      doneItems: 0
    }))
    this.shards = plan.tasks.map((task) => ({
      task,
      attempts: [],
      done: false,
      output: null,
      winner: null,
      ms: 0,
      failures: [],
      lastError: null,
      abandoned: false
    }))
    this.stealing = plan.pinned === null
    this.queue = this.stealing ? [...this.shards] : []
    progress?.(0, this.shards.length)
    if (plan.pinned !== null) {
      for (const [i, shard] of this.shards.entries()) {
        this.launch(shard, this.lanes[plan.pinned[i] as number] as LaneState, false)
      }
    } else this.pump()
    if (this.shards.length > 1) {
      this.timers.push(setTimeout(() => this.finish(), this.deadline - performance.now()))
      this.timers.push(setInterval(() => this.backups(), BACKUP_CHECK_MS))
    } else watch(this) // the common call: no timer of its own (see `watch`)
  }

  /** Ends the run if its deadline has passed (the shared sweep calls this). */
  expire(now: number): void {
    if (now >= this.deadline) this.finish()
  }

  /** Work-stealing: fills free slots, one shard per lane per round in rank order. */
  private pump(): void {
    if (this.finished || !this.stealing) return
    let given = true
    while (given && this.queue.length > 0) {
      given = false
      for (const lane of this.lanes) {
        if (lane.out || lane.running >= lane.slots) continue
        const at = this.queue.findIndex(
          (s) => s.attempts.length < MAX_ATTEMPTS && !s.attempts.some((a) => a.lane === lane)
        )
        if (at < 0) continue
        const [shard] = this.queue.splice(at, 1) as [Shard]
        this.launch(shard, lane, false)
        given = true
      }
    }
    // A queued shard no lane can take any more stays missing.
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const shard = this.queue[i] as Shard
      if (this.nextLane(shard) === null) {
        shard.abandoned = true
        this.queue.splice(i, 1)
      }
    }
    if (this.queue.length === 0) this.endgame()
    this.finishWhenSettled()
  }

  /** With nothing left to pull, free slots take over the shards expected to answer last. */
  private endgame(): void {
    const now = performance.now()
    const expect = (lane: LaneState, shard: ShardState) =>
      expectedMs(lane, shard.task.items, this.plan.perItemMicros, this.medianMs())
    for (const lane of this.lanes) {
      while (!lane.out && lane.running < lane.slots) {
        const shard = endgameBackup(lane, this.shards, expect, now, MAX_ATTEMPTS)
        if (shard === null) break
        this.launch(shard as Shard, lane, true)
      }
    }
  }

  private medianMs(): number | null {
    if (this.finishedMs.length === 0) return null
    const sorted = [...this.finishedMs].sort((a, b) => a - b)
    return sorted[Math.floor(sorted.length / 2)] as number
  }

  private launch(shard: Shard, lane: LaneState, backup: boolean): void {
    const remaining = Math.max(1, Math.floor(this.deadline - performance.now()))
    const timeoutMs = Math.min(this.invocation.timeoutMs, remaining)
    if (backup) this.options.observer?.backup()
    else if (shard.attempts.length > 0) this.options.observer?.retry()
    const attempt: Attempt = { lane, started: performance.now(), backup, settled: false }
    shard.attempts.push(attempt)
    lane.running++
    let running: Promise<ShardRun>
    try {
      running = lane.executor.run(this.invocation, shard.task, timeoutMs, remaining)
    } catch (err) {
      running = Promise.reject(err)
    }
    running.then(
      (out) => this.onAnswer(shard, attempt, out),
      (err: unknown) => this.onFailure(shard, attempt, err, timeoutMs)
    )
  }

  private onAnswer(shard: Shard, attempt: Attempt, out: ShardRun): void {
    this.settle(attempt)
    this.options.observer?.shard(attempt.lane.executor.id === '' ? 'local' : 'remote', 'ok')
    this.logAttempt(shard, attempt, 'ok')
    if (this.finished || shard.output !== null) return this.pump() // a second answer never counts
    shard.output = out
    shard.done = true
    shard.winner = attempt
    shard.ms = performance.now() - attempt.started
    attempt.lane.doneMs += shard.ms
    attempt.lane.doneItems += Math.max(1, shard.task.items)
    this.finishedMs.push(shard.ms)
    if (out.micros !== undefined) {
      this.costs.record(keyOf(this.invocation.fn), shard.task.items, out.micros)
    }
    this.done++
    this.progress?.(this.done, this.shards.length)
    if (this.done === this.shards.length) this.finish()
    else this.pump()
  }

  private onFailure(shard: Shard, attempt: Attempt, err: unknown, timeoutMs: number): void {
    this.settle(attempt)
    const executor = attempt.lane.executor
    this.options.observer?.shard(executor.id === '' ? 'local' : 'remote', 'failed')
    this.logAttempt(shard, attempt, err instanceof SwarmError ? err.code : 'INTERNAL')
    if (this.finished) return
    const error = err instanceof SwarmError ? err : new SwarmError('INTERNAL', String(err))
    shard.failures.push({ edge: executor.name, code: error.code })
    if (shard.output !== null) {
      // Overtaken, then failed: noted in the report; a member that failed for a reason of its
      // own (a forged answer, a lost connection) is struck and out all the same.
      if (executor.id !== '' && error.kind !== 'client' && error.kind !== 'function') {
        if (error.code !== 'WASM_UNAVAILABLE') this.options.strike?.(executor.id)
        attempt.lane.out = true
      }
      return this.pump()
    }
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
          `shard ${shard.task.index} on ${executor.name}: ${error.message}`,
          { fields: { ...error.fields }, logs: error.logs }
        )
      )
    }
    if (executor.id !== '') {
      // A member that has not replicated the module yet is not unhealthy: no strike. Either way
      // it takes no more of this invocation's shards.
      if (error.code !== 'WASM_UNAVAILABLE') this.options.strike?.(executor.id)
      attempt.lane.out = true
    }
    if (shard.attempts.some((a) => !a.settled)) return this.pump() // another attempt still runs
    if (this.stealing) {
      // Back in the queue, in shard order: the next free lane that has not tried it pulls it.
      const at = this.queue.findIndex((s) => s.task.index > shard.task.index)
      this.queue.splice(at < 0 ? this.queue.length : at, 0, shard)
      return this.pump()
    }
    const next = this.nextLane(shard)
    if (next !== null && this.deadline - performance.now() > 1) this.launch(shard, next, false)
    else {
      shard.abandoned = true
      this.finishWhenSettled()
    }
  }

  private settle(attempt: Attempt): void {
    attempt.settled = true
    attempt.lane.running--
  }

  /** Finishes once every shard has answered or can get nowhere, and nothing runs. */
  private finishWhenSettled(): void {
    if (this.finished) return
    const settled = this.shards.every(
      (s) => s.output !== null || (s.abandoned && s.attempts.every((a) => a.settled))
    )
    if (settled) this.finish()
  }

  /** Where a shard goes next: a lane it has not tried, nearest first; null when none is left. */
  private nextLane(shard: ShardState): LaneState | null {
    if (shard.attempts.length >= MAX_ATTEMPTS || this.deadline - performance.now() <= 1) return null
    return (
      this.lanes.find((lane) => !lane.out && !shard.attempts.some((a) => a.lane === lane)) ?? null
    )
  }

  /** Speculative backups: stragglers, and (work-stealing) the endgame. */
  private backups(): void {
    if (this.finished) return
    const now = performance.now()
    const due = stragglerBackups(this.shards, this.finishedMs, (s) => this.nextLane(s), now)
    for (const [shard, lane] of due) this.launch(shard as Shard, lane, true)
    if (this.stealing && this.queue.length === 0) this.endgame()
  }

  private fail(err: SwarmError): void {
    if (this.finished) return
    this.finished = true
    this.stopTimers()
    this.observe(isFunctionError(err) ? 'function_error' : 'error')
    this.reject(err)
  }

  private logAttempt(shard: Shard, attempt: Attempt, outcome: string): void {
    const log = this.options.log
    // Not even built when nobody reads it (the usual level is above info under load).
    if (log === undefined || !log.isLevelEnabled('info')) return
    log.info(
      {
        requestId: this.invocation.requestId,
        function: this.invocation.functionName,
        shard: shard.task.index,
        items: shard.task.items,
        edge: attempt.lane.executor.name,
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
    const partial = missing.length > 0
    this.observe(partial ? 'partial' : 'ok')
    try {
      this.resolve(answerOf(this.invocation, this.shards, missing))
    } catch (err) {
      // The shards' answers do not reduce (the wrong kind, or over the reply limit together).
      this.reject(err as Error)
    }
  }

  private stopTimers(): void {
    for (const timer of this.timers) clearTimeout(timer)
    watched.delete(this)
  }
}
