import type { MessagePort } from 'node:worker_threads'
import type { ErrorCode } from '../errors.js'
import type { ValidatedFunction } from './policy.js'

/** What a worker needs to run a module; sent once per worker, then referred to by sha256. */
export type ModuleSpec = Pick<
  ValidatedFunction,
  'sha256' | 'module' | 'abi' | 'memoryPages' | 'memory' | 'growTrapFunction' | 'allowImports'
>

/** The part of a validated function a worker needs (not its bytes: it gets the compiled module). */
export function moduleSpec(fn: ValidatedFunction): ModuleSpec {
  const { sha256, module, abi, memoryPages, memory, growTrapFunction, allowImports } = fn
  return { sha256, module, abi, memoryPages, memory, growTrapFunction, allowImports }
}

/** Main thread → worker: run these calls in order (one message per wake-up, not per call). */
export type CallBatch = CallMessage[]

/** Worker → main thread: outcomes in call order, with their output buffers transferred. */
export type ReplyBatch = ReplyMessage[]

/** One call. */
export interface CallMessage {
  id: number
  sha256: string
  /** Present the first time this worker sees the module. */
  load?: ModuleSpec
  /** Modules the worker should forget (the main thread keeps each worker's cache bounded). */
  evict?: string[]
  /** v1: the i32 dataset; v2: the raw payload bytes. */
  input: Int32Array | Uint8Array
}

/** The outcome of one call. */
export type ReplyMessage =
  | {
      id: number
      ok: true
      /** v1: execute's return value; v2: the output's byte length. */
      result: number
      /** v1: the output_ptr/output_len array; v2: the output bytes (transferred). */
      output: ArrayBuffer | null
      micros: number
    }
  | { id: number; ok: false; code: ErrorCode; message: string; micros: number }

/** What a worker is started with. */
export interface WorkerData {
  /** Calls arrive here and replies leave here. */
  port: MessagePort
  /** Shared state, laid out as STATE below. */
  state: SharedArrayBuffer
  /** How long the worker spins for the next call before it sleeps. */
  spinMicros: number
}

/**
 * The shared state between the pool and one worker. Int32 slots: the doorbell (bumped by the main
 * thread after posting calls, so the worker can sleep on it) and the id of the running call (0
 * when none); a BigInt64 slot: when that call started (process.hrtime, ns). The pool's deadline
 * check reads these, so a deadline counts from the real start of the call, not from its dispatch.
 */
export const STATE = { bytes: 16, doorbell: 0, runningId: 1, startedNs: 1 } as const
