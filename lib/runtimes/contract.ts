import { INVALID_REQUEST, type ErrorCode } from '../errors.js'
import type { ModuleSpec, ValidatedFunction } from '../wasm/policy.js'
import type { JsFunction, JsSpec } from './js/function.js'
import type { PyFunction, PySpec } from './python/function.js'
import type { WasiFunction, WasiSpec } from './wasi/function.js'

/**
 * The executor contract every runtime implements. The pool, the scheduler, the RPC and the
 * gateway see an Executable (a function ready to run: a cache key, what a worker needs to load
 * it, and the shape of its input and output) and a CallReply (output bytes or items, or a coded
 * error; log lines either way). Which engine runs it is each runtime's own business, in its own
 * folder (lib/wasm for our Wasm ABIs, lib/runtimes/js for JavaScript, lib/runtimes/python for
 * Python, lib/runtimes/wasi for WASI commands).
 */

/** The runtimes a function can have. */
export const RUNTIME_KINDS = ['wasm', 'nodejs', 'wasi', 'python'] as const
export type RuntimeKind = (typeof RUNTIME_KINDS)[number]

/**
 * How a function takes its input and gives its output: `v1` an i32 dataset (sharded, reduced),
 * `v2` raw bytes in and out, `json` a JSON event in and a JSON value out (sharded when the event
 * holds a `dataset` array and the function has a reducer).
 */
export type Shape = 'v1' | 'v2' | 'json'

/**
 * A function ready to run on this edge, whatever its runtime. (A validated module whose ABI is
 * `wasi` is not one by itself: it runs as a WasiFunction, with its function's configuration.)
 */
export type Executable = ValidatedFunction | JsFunction | WasiFunction | PyFunction

/** How an executable's input and output look; a bare WASI module is refused (see Executable). */
export function shapeOf(fn: Executable): Shape {
  if (fn.abi === 'wasi') {
    throw INVALID_REQUEST(
      `module ${fn.sha256} is a WASI command: it runs with its function's configuration`
    )
  }
  return fn.abi
}

/** What a worker needs to load an executable (posted once per worker, then named by key). */
export type LoadSpec = ModuleSpec | JsSpec | WasiSpec | PySpec

/** Engines compiled once per process and handed to every worker (see lib/runtimes/js/engine.ts). */
export interface RuntimeAssets {
  /** The QuickJS engine, compiled. */
  quickjs?: WebAssembly.Module
}

/** What the function may know of the invocation it serves (AWS's `context`). */
export interface CallContext {
  requestId: string
  /** The qualifier that ran ($LATEST until versions exist). */
  functionVersion: string
  invokedFunctionArn: string
}

/** A call's outcome as a runtime reports it (the pool adds the call id). */
export type CallOutcome =
  | {
      ok: true
      /** v1: execute's return value; otherwise the output's byte length. */
      result: number
      /** v1: the output_ptr/output_len array; otherwise the output bytes. */
      output: ArrayBuffer | null
      /** The function's log lines, newline-terminated, when it wrote any. */
      logs?: string
    }
  | {
      ok: false
      code: ErrorCode
      message: string
      /** AWS error fields beyond the message (a JS error's errorType and trace). */
      fields?: Record<string, string>
      logs?: string
    }

/** The cache key of an executable in workers: everything that changes how it runs. */
export function keyOf(fn: Executable): string {
  return fn.runtime === 'wasm' ? fn.sha256 : fn.key
}
