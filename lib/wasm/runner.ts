import { performance } from 'node:perf_hooks'
import {
  EXECUTOR_WORKER_FAILED,
  FUNCTION_BAD_OUTPUT,
  FUNCTION_MEMORY_LIMIT,
  FUNCTION_TRAP,
  MODULE_NOT_LOADED,
  SwarmError
} from '../errors.js'
import { HostTrap, linkHostImports } from './host-imports.js'
import type { CallMessage, ReplyMessage } from '../executor/protocol.js'
import { PAGE_BYTES, type ModuleSpec } from './policy.js'
import { MEMORY_IMPORT } from './rewrite.js'

/**
 * The most bytes a call may answer with: AWS Lambda's own limit for a synchronous response. A
 * function may otherwise hand back its whole memory (4 GiB), which the gateway would then have
 * to copy, concatenate and encode on its one thread.
 */
export const MAX_OUTPUT_BYTES = 6 * 1024 * 1024
/** Memories up to this size are zeroed and reused by the next instance of the same module. */
export const RECYCLE_MAX_BYTES = 1 << 20
/**
 * Larger memories (a call on a big input grows one) are zeroed and reused too, up to this size
 * and within RECYCLE_BUDGET_BYTES for all of a runner's spares: zeroing 4 MB takes ~0.2 ms,
 * where a fresh memory grown to 4 MB costs ~1.6 ms of page faults on its first use.
 */
export const RECYCLE_LARGE_MAX_BYTES = 16 << 20
/** The most bytes of large spare memories one runner keeps (64 MiB: four of the largest). */
export const RECYCLE_BUDGET_BYTES = 64 << 20

type Exports = Record<string, unknown>
type I32Fn = (...args: number[]) => number

/**
 * Runs calls on the current thread: a fresh instance per call, the input placed at `alloc()` or
 * offset 0, the ABI's entry point, the output copied out, and every failure turned into a coded
 * error. The pool's workers each own one; the benchmark runs one in-process as the baseline.
 */
export class Runner {
  private readonly modules = new Map<string, ModuleSpec>()
  /** One zeroed memory per module, ready for its next instance (allocating one costs ~30 µs). */
  private readonly spareMemory = new Map<string, WebAssembly.Memory>()
  /** Bytes of the spares over RECYCLE_MAX_BYTES, held against RECYCLE_BUDGET_BYTES. */
  private largeSpareBytes = 0

  /** Forgets a module (the pool keeps each worker's modules bounded). */
  forget(key: string): void {
    this.modules.delete(key)
    this.takeSpare(key)
  }

  private takeSpare(key: string): WebAssembly.Memory | undefined {
    const memory = this.spareMemory.get(key)
    if (memory === undefined) return undefined
    this.spareMemory.delete(key)
    if (memory.buffer.byteLength > RECYCLE_MAX_BYTES)
      this.largeSpareBytes -= memory.buffer.byteLength
    return memory
  }

  /** Keeps a used memory, zeroed, for the module's next instance, if it is worth keeping. */
  private keepSpare(key: string, memory: WebAssembly.Memory): void {
    const bytes = memory.buffer.byteLength
    if (!this.modules.has(key) || this.spareMemory.has(key)) return
    if (bytes > RECYCLE_MAX_BYTES) {
      if (bytes > RECYCLE_LARGE_MAX_BYTES) return
      if (this.largeSpareBytes + bytes > RECYCLE_BUDGET_BYTES) return
      this.largeSpareBytes += bytes
    }
    new Uint8Array(memory.buffer).fill(0)
    this.spareMemory.set(key, memory)
  }

  /** Runs one call message and returns its reply; never throws. */
  handle(msg: CallMessage): ReplyMessage {
    const started = performance.now()
    let reply: ReplyMessage
    let memory: WebAssembly.Memory | undefined
    try {
      for (const key of msg.evict ?? []) this.forget(key)
      if (msg.load?.runtime === 'wasm') this.modules.set(msg.load.sha256, msg.load)
      const spec = this.modules.get(msg.key)
      if (spec === undefined) throw MODULE_NOT_LOADED(msg.key)
      memory =
        this.takeSpare(spec.sha256) ??
        new WebAssembly.Memory({ initial: spec.memory.min, maximum: spec.memory.max })
      const { result, output } = run(spec, memory, msg.input)
      reply = { id: msg.id, ok: true, result, output, micros: micros(started) }
    } catch (err) {
      const error = classify(err, this.modules.get(msg.key))
      reply = {
        id: msg.id,
        ok: false,
        code: error.code,
        message: error.message,
        micros: micros(started)
      }
    }
    if (memory !== undefined) this.keepSpare(msg.key, memory)
    return reply
  }
}

function micros(started: number): number {
  return Math.round((performance.now() - started) * 1000)
}

function run(
  spec: ModuleSpec,
  memory: WebAssembly.Memory,
  input: Int32Array | Uint8Array
): { result: number; output: ArrayBuffer | null } {
  const imports = linkHostImports(spec.allowImports, () => memory)
  imports[MEMORY_IMPORT.module] = { [MEMORY_IMPORT.name]: memory }
  const exports = new WebAssembly.Instance(spec.module, imports).exports as Exports
  const initialize = exports._initialize as I32Fn | undefined
  if (initialize !== undefined) initialize()

  const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength)
  const alloc = exports.alloc as I32Fn | undefined
  const ptr = alloc === undefined ? 0 : alloc(bytes.length) >>> 0
  const needed = ptr + bytes.length
  if (needed > memory.buffer.byteLength) {
    try {
      memory.grow(Math.ceil((needed - memory.buffer.byteLength) / PAGE_BYTES))
    } catch {
      throw FUNCTION_MEMORY_LIMIT(
        spec.memoryPages,
        `an input of ${bytes.length} bytes at offset ${ptr} does not fit`
      )
    }
  }
  new Uint8Array(memory.buffer, ptr, bytes.length).set(bytes)

  if (spec.abi === 'v2') {
    const packed = (exports.handle as (p: number, l: number) => bigint)(ptr, bytes.length)
    const outPtr = Number(BigInt.asUintN(64, packed) >> 32n)
    const outLen = Number(BigInt.asUintN(32, packed))
    return { result: outLen, output: copyOut(memory, outPtr, outLen, 'handle') }
  }

  const result = (exports.execute as I32Fn)(ptr, input.length) | 0
  const outputPtr = exports.output_ptr as I32Fn | undefined
  if (outputPtr === undefined) return { result, output: null }
  const outLen = (exports.output_len as I32Fn)() >>> 0
  return { result, output: copyOut(memory, outputPtr() >>> 0, outLen * 4, 'output_ptr/output_len') }
}

function copyOut(
  memory: WebAssembly.Memory,
  ptr: number,
  length: number,
  from: string
): ArrayBuffer {
  const size = memory.buffer.byteLength
  if (length > MAX_OUTPUT_BYTES) {
    throw FUNCTION_BAD_OUTPUT(
      `${from} gives ${length} bytes, over the ${MAX_OUTPUT_BYTES}-byte response limit`
    )
  }
  if (ptr + length > size) {
    throw FUNCTION_BAD_OUTPUT(
      `${from} points at bytes ${ptr}..${ptr + length}, past the end of memory (${size} bytes)`
    )
  }
  return memory.buffer.slice(ptr, ptr + length)
}

/** Turns whatever a call threw into a coded error: function errors are the function's fault. */
export function classify(
  err: unknown,
  spec: Pick<ModuleSpec, 'growTrapFunction' | 'memoryPages'> | undefined
): SwarmError {
  if (err instanceof SwarmError) return err
  if (err instanceof HostTrap) return FUNCTION_TRAP(err.message)
  if (err instanceof WebAssembly.RuntimeError) {
    if (spec?.growTrapFunction != null && trappedIn(err, spec.growTrapFunction)) {
      return FUNCTION_MEMORY_LIMIT(spec.memoryPages, 'memory.grow was refused at the cap')
    }
    return FUNCTION_TRAP(err.message)
  }
  if (err instanceof RangeError && /call stack/i.test(err.message)) {
    return FUNCTION_TRAP('call stack exhausted (recursion too deep)')
  }
  if (err instanceof WebAssembly.LinkError) return FUNCTION_TRAP(`link error: ${err.message}`)
  return EXECUTOR_WORKER_FAILED(err instanceof Error ? err.message : String(err), err)
}

/** True when the innermost frame of a trap is wasm function `index` (V8 names it wasm-function[N]). */
function trappedIn(err: Error, index: number): boolean {
  const top = (err.stack ?? '').split('\n').find((line) => line.trimStart().startsWith('at '))
  return top !== undefined && top.includes(`wasm-function[${index}]`)
}
