import { performance } from 'node:perf_hooks'
import { receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads'
import {
  EXECUTOR_WORKER_FAILED,
  FUNCTION_BAD_OUTPUT,
  FUNCTION_MEMORY_LIMIT,
  FUNCTION_TRAP,
  MODULE_NOT_LOADED,
  SwarmError
} from '../errors.js'
import { HostTrap, linkHostImports } from './host-imports.js'
import {
  STATE,
  type CallBatch,
  type CallMessage,
  type ModuleSpec,
  type ReplyBatch,
  type ReplyMessage,
  type WorkerData
} from './protocol.js'
import { MEMORY_IMPORT } from './rewrite.js'

/**
 * Worker body: a fresh instance per call, input placed, function run, output copied out.
 * The worker never returns to its event loop: it waits on a shared doorbell and drains its port
 * synchronously, spinning briefly first, because a futex wake-up here costs more than a tiny call.
 */

const PAGE_BYTES = 65_536
/** Memories up to this size are zeroed and reused by the next instance of the same module. */
const RECYCLE_MAX_BYTES = 1 << 20
/** Replies wait for the rest of their batch at most this long, so one post carries many. */
const FLUSH_MICROS = 200

type Exports = Record<string, unknown>
type I32Fn = (...args: number[]) => number

const { port, state, spinMicros } = workerData as WorkerData
const flags = new Int32Array(state)
const stamps = new BigInt64Array(state)
const modules = new Map<string, ModuleSpec>()
/** One zeroed memory per module, ready for its next instance. */
const spareMemory = new Map<string, WebAssembly.Memory>()

serve(port)

function serve(port: MessagePort): never {
  let seen = 0
  for (;;) {
    const spinUntil = performance.now() + spinMicros / 1000
    while (Atomics.load(flags, STATE.doorbell) === seen && performance.now() < spinUntil);
    Atomics.wait(flags, STATE.doorbell, seen)
    seen = Atomics.load(flags, STATE.doorbell)
    let replies: ReplyBatch = []
    let transfer: ArrayBuffer[] = []
    let firstReplyAt = 0
    for (let entry = receiveMessageOnPort(port); entry; entry = receiveMessageOnPort(port)) {
      for (const call of entry.message as CallBatch) {
        const reply = handle(call)
        if (replies.length === 0) firstReplyAt = performance.now()
        replies.push(reply)
        if (reply.ok && reply.output !== null) transfer.push(reply.output)
        if ((performance.now() - firstReplyAt) * 1000 >= FLUSH_MICROS) {
          port.postMessage(replies, transfer)
          replies = []
          transfer = []
        }
      }
    }
    if (replies.length > 0) port.postMessage(replies, transfer)
  }
}

function handle(msg: CallMessage): ReplyMessage {
  const started = performance.now()
  Atomics.store(stamps, STATE.startedNs, process.hrtime.bigint())
  Atomics.store(flags, STATE.runningId, msg.id)
  let reply: ReplyMessage
  let memory: WebAssembly.Memory | undefined
  try {
    for (const sha of msg.evict ?? []) {
      modules.delete(sha)
      spareMemory.delete(sha)
    }
    if (msg.load !== undefined) modules.set(msg.load.sha256, msg.load)
    const spec = modules.get(msg.sha256)
    if (spec === undefined) throw MODULE_NOT_LOADED(msg.sha256)
    memory =
      spareMemory.get(spec.sha256) ??
      new WebAssembly.Memory({ initial: spec.memory.min, maximum: spec.memory.max })
    spareMemory.delete(spec.sha256)
    const { result, output } = run(spec, memory, msg.input)
    reply = { id: msg.id, ok: true, result, output, micros: micros(started) }
  } catch (err) {
    const error = classify(err, modules.get(msg.sha256))
    reply = { id: msg.id, ok: false, code: error.code, message: error.message, micros: micros(started) }
  }
  Atomics.store(flags, STATE.runningId, 0)
  if (memory !== undefined && memory.buffer.byteLength <= RECYCLE_MAX_BYTES && modules.has(msg.sha256)) {
    new Uint8Array(memory.buffer).fill(0)
    spareMemory.set(msg.sha256, memory)
  }
  return reply
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

function copyOut(memory: WebAssembly.Memory, ptr: number, length: number, from: string): ArrayBuffer {
  const size = memory.buffer.byteLength
  if (ptr + length > size) {
    throw FUNCTION_BAD_OUTPUT(`${from} points at bytes ${ptr}..${ptr + length}, past the end of memory (${size} bytes)`)
  }
  return memory.buffer.slice(ptr, ptr + length)
}

/** Turns whatever a call threw into a coded error: function errors are the function's fault. */
function classify(err: unknown, spec: ModuleSpec | undefined): SwarmError {
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
