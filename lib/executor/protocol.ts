import type { MessagePort } from 'node:worker_threads'
import type {
  CallContext,
  CallOutcome,
  LoadSpec,
  RuntimeAssets,
  RuntimeKind
} from '../runtimes/contract.js'
import type { WarmStats } from '../runtimes/warm.js'
import type { ModuleSpec, ValidatedFunction } from '../wasm/policy.js'
import type { RingBuffers } from './ring.js'

/** The part of a validated function a worker needs (not its bytes: it gets the compiled module). */
export function moduleSpec(fn: ValidatedFunction): ModuleSpec {
  const { sha256, module, abi, memoryPages, memory, growTrapFunction, allowImports } = fn
  return {
    runtime: 'wasm',
    sha256,
    module,
    abi,
    memoryPages,
    memory,
    growTrapFunction,
    allowImports
  }
}

/** Main thread → worker: run these calls in order (one message per wake-up, not per call). */
export type CallBatch = CallMessage[]

/** Worker → main thread: outcomes in call order, with their output buffers transferred. */
export type ReplyBatch = ReplyMessage[]

/** One call. */
export interface CallMessage {
  id: number
  /** The executable's key (see keyOf). */
  key: string
  runtime: RuntimeKind
  /** Present the first time this worker sees the executable. */
  load?: LoadSpec
  /** With `load`: the number the ring's calls name this executable by (see ring.ts). */
  handle?: number
  /** Keys the worker should forget (the main thread keeps each worker's cache bounded). */
  evict?: string[]
  /** v1: the i32 dataset; otherwise the payload bytes. */
  input: Int32Array | Uint8Array
  /** The call's deadline, for runtimes that stop a call themselves (the pool's is the backstop). */
  timeoutMs: number
  /** What the function may know of its invocation. */
  context?: CallContext
}

/** The outcome of one call. */
export type ReplyMessage = CallOutcome & {
  id: number
  micros: number
  /** The worker's warm JS containers after the call (JS calls only). */
  warm?: WarmStats
}

/** What a worker is started with. */
export interface WorkerData {
  /** What does not fit the rings: calls in CallBatch arrays, replies in ReplyBatch arrays. */
  port: MessagePort
  /** Shared state, laid out as STATE below. */
  state: SharedArrayBuffer
  /** The call and reply rings (see ring.ts). */
  rings: RingBuffers
  /** Pool-wide: 1 while the main thread polls the reply rings (no wake-up needed), else 0. */
  listening: SharedArrayBuffer
  /** How long the worker spins for the next call before it sleeps. */
  spinMicros: number
  /** Nice levels the worker's thread runs below the process (Linux; see pool.ts, WORKER_NICE). */
  nice: number
  /** Engines compiled once per process. */
  assets: RuntimeAssets
  /** Warm JS containers' memory budget, bytes. */
  containerBudgetBytes: number
}

/**
 * The shared state between the pool and one worker. Int32 slots: the doorbell (the calls written
 * to the call ring so far, published by the main thread after writing them, so the worker can
 * sleep on it), the id of the running call (0 when none), whether the worker sleeps on the
 * doorbell (1) or spins (0: no wake-up needed), the replies written to the reply ring so far
 * (published by the worker) and whether calls were queueing at the last dispatch (1: more than
 * one in flight; the worker then naps between looks instead of spinning); a BigInt64 slot: when
 * the running call started (process.hrtime, ns). The pool's deadline check reads these, so a
 * deadline counts from the real start of the call, not from its dispatch.
 */
export const STATE = {
  bytes: 32,
  doorbell: 0,
  runningId: 1,
  startedNs: 1,
  sleeping: 4,
  replies: 5,
  crowded: 6
} as const
