import type { CallContext, Executable } from '../runtimes/contract.js'
import type { ReplyMessage } from './protocol.js'

/** One call: the input and how long it may run once it starts. */
export interface CallOptions {
  /** v1: the i32 dataset; v2: the payload bytes. */
  input: Int32Array | Uint8Array
  /** Deadline in ms, counted from when the call starts running on a worker, not from queueing. */
  timeoutMs: number
  /** Move the input's buffer to the worker instead of copying it (the caller's view is detached). */
  transfer?: boolean
  /** What the function may know of its invocation (JS's `context`). */
  context?: CallContext
  /** What the call should take to run (µs), when known: a short one may wait for a hot worker. */
  expectedMicros?: number
}

/** The outcome of a call that did not fail. */
export interface CallResult {
  /** v1: execute's i32 return value; v2: the output's byte length. */
  result: number
  /** v1: the output_ptr/output_len array, when the module exports them. */
  output?: Int32Array
  /** v2: the bytes `handle` returned. */
  payload?: Uint8Array
  /** Time the call ran on its worker, in microseconds. */
  micros: number
  /** The function's log lines, when it wrote any. */
  logs?: string
}

/** A call in the pool: queued, or sent to a worker and not yet answered. */
export interface Pending {
  id: number
  fn: Executable
  call: CallOptions
  /** Its input buffer moved to a worker: it cannot be sent again. */
  transferred: boolean
  resolve: (result: CallResult) => void
  reject: (err: Error) => void
}

/** A worker's successful reply as the caller sees it. */
export function toResult(fn: Executable, reply: Extract<ReplyMessage, { ok: true }>): CallResult {
  const result: CallResult = { result: reply.result, micros: reply.micros }
  if (reply.logs !== undefined) result.logs = reply.logs
  if (reply.output !== null) {
    if (fn.abi === 'v1') result.output = new Int32Array(reply.output)
    else result.payload = new Uint8Array(reply.output)
  }
  return result
}
