/**
 * An invocation's answer from its settled shards: the report of each shard, and the outputs
 * reduced in shard order (or the one payload of an unsharded v2 or JS call).
 */
import type { Attempt, ShardState } from './backups.js'
import type { ShardRun } from './executors.js'
import type { Invocation, InvocationResult, ShardReport } from './run.js'
import { reduce, reduceJson, type Reduced } from './shards.js'

/** A shard as the run leaves it. */
export interface Settled extends ShardState {
  output: ShardRun | null
  /** The attempt whose answer counted. */
  winner: Attempt | null
  /** That attempt's time, from its start to its answer. */
  ms: number
  failures: { edge: string; code: string }[]
}

/** The answer; throws the coded error of outputs that do not reduce. */
export function answerOf(
  invocation: Invocation,
  settled: readonly Settled[],
  missing: number[]
): InvocationResult {
  const abi = invocation.fn.abi
  const shards: ShardReport[] = settled.map((s) => ({
    index: s.task.index,
    edge: s.winner?.lane.executor.name ?? null,
    attempts: s.attempts.length,
    ms: Math.round(s.ms * 1000) / 1000,
    items: abi === 'v2' ? s.task.input.byteLength : s.task.items,
    failures: s.failures,
    backup: s.winner?.backup ?? false
  }))
  // Loops, not flatMap and join: this runs once per Invoke, however short.
  const outputs: ShardRun[] = []
  let logs = ''
  for (const s of settled) {
    if (s.output === null) continue
    outputs.push(s.output)
    if (s.output.logs !== undefined) logs += s.output.logs
  }
  const partial = missing.length > 0
  if (abi === 'v2' || (abi === 'json' && settled.length === 1)) {
    const payload = outputs[0]?.payload ?? new Uint8Array(0)
    return { result: null, payload, partial, missing, shards, logs }
  }
  let result: Reduced | null = null
  let payload: Uint8Array | null = null
  if (abi === 'json') {
    const answers = outputs.map((o) => JSON.parse(Buffer.from(o.payload ?? []).toString()))
    payload = Buffer.from(JSON.stringify(reduceJson(invocation.reduce, answers)))
  } else {
    result = reduce(invocation.reduce, outputs)
  }
  return { result, payload, partial, missing, shards, logs }
}
