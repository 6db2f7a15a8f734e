import { performance } from 'node:perf_hooks'
import { isFunctionError, SwarmError } from '../errors.js'
import type { ValidatedFunction } from '../wasm/policy.js'
import type { WasmPool } from '../wasm/pool.js'
import type { FunctionRecord, Reduce } from '../wire/messages.js'
import { reduce, type Reduced } from './shards.js'

/** Where and how one shard ran. */
export interface ShardReport {
  index: number
  edge: string
  attempts: number
  ms: number
  items: number
}

/** The answer to an invocation. */
export interface InvocationResult {
  /** v1: the reduced result; v2: null (the bytes are in `payload`). */
  result: Reduced | null
  payload: Uint8Array | null
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
  fn: ValidatedFunction
  input: Int32Array | Uint8Array
}

/** The invocation of a stored function on an input. */
export function invocationOf(
  resolved: { record: FunctionRecord; fn: ValidatedFunction },
  input: Int32Array | Uint8Array
): Invocation {
  const { record, fn } = resolved
  return {
    functionName: record.name,
    reduce: record.reduce,
    timeoutMs: record.timeoutMs,
    fn,
    input
  }
}

/** Options for the scheduler. */
export interface SchedulerOptions {
  pool: WasmPool
  /** This edge's name, reported per shard. */
  nodeName: string
}

/**
 * Runs invocations. On a single edge an invocation is one shard on the local pool; sharding over
 * peers (placement, failover, backups) builds on this contract without changing it.
 */
export class Scheduler {
  private readonly pool: WasmPool
  private readonly nodeName: string

  constructor(options: SchedulerOptions) {
    this.pool = options.pool
    this.nodeName = options.nodeName
  }

  /** How many shards an invocation will have (jobs report progress against it). */
  shardCount(_invocation: Invocation): number {
    return 1
  }

  /** Runs an invocation; a function error rejects with its coded error, naming the shard. */
  async run(invocation: Invocation): Promise<InvocationResult> {
    const { fn, input } = invocation
    const started = performance.now()
    let out
    try {
      out = await this.pool.run(fn, { input, timeoutMs: invocation.timeoutMs })
    } catch (err) {
      if (isFunctionError(err)) {
        throw new SwarmError(err.code, `shard 0 on ${this.nodeName}: ${err.message}`)
      }
      throw err
    }
    const shard: ShardReport = {
      index: 0,
      edge: this.nodeName,
      attempts: 1,
      ms: Math.round((performance.now() - started) * 1000) / 1000,
      items: fn.abi === 'v1' ? input.length : input.byteLength
    }
    if (fn.abi === 'v2') {
      return {
        result: null,
        payload: out.payload ?? new Uint8Array(0),
        partial: false,
        missing: [],
        shards: [shard]
      }
    }
    const shardOutput =
      out.output === undefined ? { result: out.result } : { result: out.result, output: out.output }
    return {
      result: reduce(invocation.reduce, [shardOutput]),
      payload: null,
      partial: false,
      missing: [],
      shards: [shard]
    }
  }
}
