import type { Logger } from 'pino'
import { shapeOf } from '../runtimes/contract.js'
import type { PeerRpc } from '../rpc/peer-rpc.js'
import type { CallOptions, WasmPool } from '../executor/pool.js'
import type { Invocation } from './run.js'
import type { ShardOutput } from './shards.js'

/** One shard of an invocation: its position and its input (header included). */
export interface ShardTask {
  index: number
  input: Int32Array | Uint8Array
  /** Items of the dataset it covers (header excluded). */
  items: number
  /** What it should take to run, in µs, when the function's cost is known here. */
  expectedMicros?: number
}

/** What one attempt at a shard gives back. */
export interface ShardRun extends ShardOutput {
  /** v2 and JS: the output bytes. */
  payload?: Uint8Array
  /** The function's log lines, when it wrote any. */
  logs?: string
  /** Execution time on the executor, when it says (network excluded). */
  micros?: number
}

/** Somewhere a shard can run: this edge's pool or a member over RPC. */
export interface Executor {
  /** Swarm id of the member ('' for this edge). */
  readonly id: string
  readonly name: string
  /**
   * Runs a shard: it may run `timeoutMs` once started, and the answer is wanted within
   * `deadlineMs` (the rest of the invocation's time). Rejects with a coded error.
   */
  run(
    invocation: Invocation,
    shard: ShardTask,
    timeoutMs: number,
    deadlineMs: number
  ): Promise<ShardRun>
}

/** This edge's executor pool; the function's log lines go to `log` with the request id. */
export function localExecutor(pool: WasmPool, name: string, log?: Logger): Executor {
  return {
    id: '',
    name,
    async run(invocation, shard, timeoutMs) {
      // A shard cut as a view into the request's buffer is copied alone: a message to a worker
      // would otherwise carry the whole buffer it views.
      const { input } = shard
      const call: CallOptions = {
        input: input.byteLength === input.buffer.byteLength ? input : input.slice(),
        timeoutMs,
        context: invocation.context
      }
      if (shard.expectedMicros !== undefined) call.expectedMicros = shard.expectedMicros
      let out
      try {
        out = await pool.run(invocation.fn, call)
      } catch (err) {
        logFunction(log, invocation, (err as { logs?: string }).logs)
        throw err
      }
      logFunction(log, invocation, out.logs)
      // The pool's result is a ShardRun already: no copy per call.
      return out
    }
  }
}

/** A function's log lines in the edge's log, one entry per line, with the request id. */
export function logFunction(
  log: Logger | undefined,
  invocation: { requestId: string; functionName: string },
  logs: string | undefined
): void {
  if (log === undefined || logs === undefined || logs === '') return
  for (const line of logs.split('\n')) {
    if (line !== '') {
      log.info(
        { requestId: invocation.requestId, function: invocation.functionName, line },
        'function log'
      )
    }
  }
}

/**
 * A member's executor, over the `execute` RPC: the shard carries the module's sha256 (the
 * member has the bytes from the replicated registry), never the module.
 */
export function remoteExecutor(id: string, name: string, rpc: PeerRpc): Executor {
  return {
    id,
    name,
    async run(invocation, shard, timeoutMs, deadlineMs) {
      const module = invocation.module
      if (module === null) throw new Error(`${invocation.functionName} is not in the registry`)
      const reply = await rpc.execute(
        {
          sha256: module.sha256,
          abi: shapeOf(invocation.fn),
          memoryMb: module.memoryMb,
          timeoutMs,
          input: shard.input,
          requestId: invocation.requestId,
          config: module.config
        },
        deadlineMs
      )
      return {
        result: reply.result,
        micros: reply.micros,
        ...(reply.output === null ? {} : { output: reply.output }),
        ...(reply.payload === null ? {} : { payload: reply.payload }),
        ...(reply.logs === undefined ? {} : { logs: reply.logs })
      }
    }
  }
}
