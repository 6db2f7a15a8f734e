import type { Logger } from 'pino'
import type { SchedulerObserver } from '../metrics.js'
import { MAX_MESSAGE_BYTES } from '../rpc/peer-rpc.js'
import { configOf } from '../registry/functions.js'
import { keyOf, type CallContext, type Executable } from '../runtimes/contract.js'
import type { FunctionRecord, Reduce } from '../wire/function-record.js'
import type { ShardConfig } from '../wire/rpc.js'
import { ShardCosts } from './costs.js'
import type { Executor, ShardTask } from './executors.js'
import type { LaneSpec } from './backups.js'
import { InvocationRun, type Plan } from './invocation-run.js'
import { place, rank, ranges, type Candidate } from './placement.js'
import { width } from './width.js'
import { shardEvent, type JsonEvent, type Reduced } from './shards.js'

/** Input bytes per shard at most, so a shard and its framing fit in one RPC message. */
const MAX_SHARD_BYTES = MAX_MESSAGE_BYTES - 64 * 1024
/**
 * A shard should carry at least this much work (µs), estimated from what the function's items
 * cost so far: below it, a hop to a member costs more than it saves, and an invocation whose
 * whole input is estimated under it runs as one local shard.
 */
const MIN_SHARD_MICROS = 2_000
/** Where and how one shard ran. */
export interface ShardReport {
  index: number
  /** The edge whose answer counted (null when the shard is missing). */
  edge: string | null
  attempts: number
  /** Time of the attempt that counted, from its start to its answer. */
  ms: number
  items: number
  /** Attempts that failed or were overtaken: which edge, and the error code. */
  failures: { edge: string; code: string }[]
  /** The answer came from a speculative backup. */
  backup: boolean
}

/** The answer to an invocation. */
export interface InvocationResult {
  /** v1: the reduced result; otherwise null (the bytes are in `payload`). */
  result: Reduced | null
  payload: Uint8Array | null
  /** The function's log lines, shard by shard ('' when none). */
  logs: string
  partial: boolean
  /** Indexes of shards with no result (only when `partial`). */
  missing: number[]
  shards: ShardReport[]
}

/** One invocation to run. */
export interface Invocation {
  functionName: string
  reduce: Reduce
  timeoutMs: number
  fn: Executable
  /** v1: the dataset; otherwise the payload bytes (a JSON event for JS). */
  input: Int32Array | Uint8Array
  /** Leading items every shard gets (v1). */
  headerItems: number
  /** A JSON event whose `dataset` the shards split (a JS function with a reducer), else null. */
  event: JsonEvent | null
  /** How members find the code (null for a module that is not in the registry: runs here). */
  module: { sha256: string; memoryMb: number; config: ShardConfig | null } | null
  /** The request that started it: in every shard's log line, here and on members. */
  requestId: string
  /** What the function may know of the invocation. */
  context: CallContext
}

/** The invocation of a stored function on an input. */
export function invocationOf(
  resolved: { record: FunctionRecord; fn: Executable },
  input: Int32Array | Uint8Array,
  call: { requestId: string; invokedArn: string; event?: JsonEvent | null; version?: string }
): Invocation {
  const { record, fn } = resolved
  const { requestId, invokedArn } = call
  const version = call.version ?? '$LATEST'
  return {
    functionName: record.name,
    reduce: record.reduce,
    timeoutMs: record.timeoutMs,
    fn,
    input,
    headerItems: record.headerItems,
    event: call.event ?? null,
    module: {
      sha256: record.sha256,
      memoryMb: record.memoryMb,
      config: configOf(record, invokedArn, version)
    },
    requestId,
    context: { requestId, functionVersion: version, invokedFunctionArn: invokedArn }
  }
}

/** A member that can take shards: how placement sees it, and how to reach it. */
export interface MemberExecutor {
  candidate: Candidate
  executor: Executor
}

/** Options for the scheduler. */
export interface SchedulerOptions {
  /** This edge's executor (see localExecutor) and how many shards it runs at once. */
  local: Executor
  workers: number
  /** Members that may take shards now (none for a lone edge). */
  members?: () => MemberExecutor[]
  /** Called when a member failed a shard (not a function error): its health suffers. */
  strike?: (id: string) => void
  /** The most shards an invocation gets. */
  maxShards: number
  /** Work-stealing (the default) or static one-shard-per-slot placement. */
  placement?: 'steal' | 'static'
  /** Told about invocations, shard attempts, retries and backups (metrics). */
  observer?: SchedulerObserver
  /** One line per shard attempt. */
  log?: Logger
}

/** Called as shards finish: how many are done, of how many. */
export type Progress = (done: number, total: number) => void

/**
 * Runs invocations as MapReduce over this edge and its nearest healthy members: the dataset is
 * cut into shards (the function's header goes to each; as many as the work is worth, once the
 * function's cost per item is known), each shard goes to an executor chosen
 * by placement, a shard whose executor fails, disconnects or misses the deadline is re-run on
 * the next one, a straggler gets a speculative backup, and the first answer per shard counts.
 * A function error is final. What is missing at the deadline makes the answer partial.
 */
export class Scheduler {
  private readonly options: SchedulerOptions
  private readonly local: Executor
  private readonly costs = new ShardCosts()

  constructor(options: SchedulerOptions) {
    this.options = options
    this.local = options.local
  }

  /** Runs an invocation; a function error rejects with its coded error, naming the shard. */
  run(invocation: Invocation, progress?: Progress): Promise<InvocationResult> {
    const plan = this.plan(invocation)
    return new InvocationRun(invocation, plan, this.options, this.costs, progress).result
  }

  private plan(invocation: Invocation): Plan {
    const self: Candidate = {
      id: '',
      name: this.local.name,
      self: true,
      distanceKm: 0,
      rttMs: 0,
      load: 0,
      workers: this.options.workers,
      healthy: true
    }
    const members = invocation.module === null ? [] : (this.options.members?.() ?? [])
    const byId = new Map(members.map((m) => [m.candidate.id, m.executor]))
    byId.set('', this.local)
    const ranked = rank([self, ...members.map((m) => m.candidate)])
    const laneOf = (c: Candidate, slots: number): LaneSpec => ({
      executor: byId.get(c.id) as Executor,
      slots,
      rttMs: c.rttMs
    })
    const { input, headerItems, event } = invocation
    const abi = invocation.fn.abi
    const items =
      abi === 'v1' ? input.length - headerItems : abi === 'json' ? (event?.dataset.length ?? 0) : 0
    // One local shard with the whole input: its items are what the cost model learns from.
    const wholeItems = abi === 'v1' ? input.length : Math.max(items, 1)
    const key = keyOf(invocation.fn)
    const perItemMicros = this.costs.estimate(key, 1)
    /** What `n` items should take (µs), when the function's cost is known. */
    const micros = (n: number) => (perItemMicros === null ? null : perItemMicros * n)
    const wholeMicros = micros(wholeItems)
    const whole: Plan = {
      tasks: [
        {
          index: 0,
          input,
          items: wholeItems,
          ...(wholeMicros === null ? {} : { expectedMicros: wholeMicros })
        }
      ],
      lanes: ranked.map((c) => laneOf(c, Math.max(1, c.workers))),
      pinned: [ranked.indexOf(self)],
      perItemMicros
    }
    if (invocation.reduce === 'none' || items < 1) return whole
    const minShards = Math.ceil(input.byteLength / MAX_SHARD_BYTES)
    let lanes: LaneSpec[]
    let pinned: number[] | null = null
    let sizes: number[]
    if (this.options.placement === 'static') {
      // One shard per executor slot, each placed up front (the first round's behaviour).
      const estimate = micros(items)
      const worth =
        estimate === null ? Infinity : Math.max(1, Math.floor(estimate / MIN_SHARD_MICROS))
      if (worth === 1) return whole
      const placed = place(ranked, {
        items,
        maxShards: Math.min(this.options.maxShards, worth),
        minShards
      })
      lanes = ranked.map((c) => laneOf(c, Math.max(1, c.workers)))
      pinned = placed.map((c) => ranked.indexOf(c))
      sizes = ranges(items, placed.length).map((r) => r.end - r.start)
    } else {
      const cut = width(ranked, {
        items,
        workMicros: micros(items),
        minShardMicros: MIN_SHARD_MICROS,
        maxShards: this.options.maxShards,
        minShards
      })
      // Work worth one shard stays here whatever its size: only messages to members are capped,
      // and cutting a cheap input to fit them would send most of it over the network for nothing.
      if (cut.sizes.length <= 1) return whole
      lanes = cut.lanes.map((l) => laneOf(l.candidate, l.slots))
      sizes = cut.sizes
    }
    let at = 0
    const cuts = sizes.map((size) => ({ start: at, end: (at += size) }))
    const tasks = cuts.map(({ start, end }, index): ShardTask => {
      const size = end - start
      const expected = perItemMicros === null ? {} : { expectedMicros: perItemMicros * size }
      if (event !== null)
        return { index, input: shardEvent(event, start, end), items: size, ...expected }
      const from = headerItems + start
      const to = headerItems + end
      if (headerItems === 0)
        return { index, input: input.subarray(from, to), items: size, ...expected }
      const shard = new Int32Array(headerItems + size)
      shard.set(input.subarray(0, headerItems))
      shard.set(input.subarray(from, to), headerItems)
      return { index, input: shard, items: size, ...expected }
    })
    return { tasks, lanes, pinned, perItemMicros }
  }
}
