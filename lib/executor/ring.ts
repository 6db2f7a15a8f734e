import type { ReplyMessage } from './protocol.js'

/**
 * The rings between the pool and one worker: calls and replies as fixed records in shared
 * memory, so a short Wasm or WASI call and its answer cross threads without a message. A postMessage
 * each way (the structured clone, and the wake-up of the receiving event loop) cost the gateway's
 * thread ~7 µs per call: a quarter of what a bare node:http server spends on a whole request.
 *
 * Every call and every reply has a record, in order. What does not fit one (a module to load, a
 * JS call's context, an input over INLINE_BYTES or transferred; an output, logs, an error, warm
 * stats) goes by the port as before, and its record says so: each side takes those messages in
 * ring order. Counters are int32 and wrap; the capacity is a power of two, so `n & mask` is
 * the record of the n-th call either side of the wrap.
 */

/** A call's input up to this size is written into its record's data. */
export const INLINE_BYTES = 4096
/**
 * Call record: id, executable handle (-1: the call is on the port), input kind, length, timeout,
 * runtime.
 */
const CALL_FIELDS = 8
/** Reply record: id, on the port (1) or not (0), result, micros. */
const REPLY_FIELDS = 4
const ON_PORT = -1
const KIND_I32 = 0
const KIND_BYTES = 1
/** The runtimes whose calls a record can carry (a JS or Python call has a context: the port). */
export type RingRuntime = 'wasm' | 'wasi'
const RUNTIMES: readonly RingRuntime[] = ['wasm', 'wasi']

/** The shared memory of one worker's rings. */
export interface RingBuffers {
  capacity: number
  calls: SharedArrayBuffer
  data: SharedArrayBuffer
  replies: SharedArrayBuffer
}

/** Rings that hold at least `depth` calls in flight (a record is reused only after its reply). */
export function ringBuffers(depth: number): RingBuffers {
  let capacity = 2
  while (capacity < depth) capacity *= 2
  return {
    capacity,
    calls: new SharedArrayBuffer(capacity * CALL_FIELDS * 8),
    data: new SharedArrayBuffer(capacity * INLINE_BYTES),
    replies: new SharedArrayBuffer(capacity * REPLY_FIELDS * 8)
  }
}

/** A call written into a record: its executable's handle and its input (a view of the ring). */
export interface InlineCall {
  id: number
  runtime: RingRuntime
  handle: number
  input: Int32Array | Uint8Array
  timeoutMs: number
}

/** The main thread's side: writes call records, reads reply records. */
export class PoolRings {
  readonly capacity: number
  private readonly mask: number
  private readonly calls: Float64Array
  private readonly replies: Float64Array
  private readonly data: SharedArrayBuffer
  /** Call records written (published by the pool through the doorbell). */
  written = 0
  /** Reply records read. */
  read = 0

  constructor(buffers: RingBuffers) {
    this.capacity = buffers.capacity
    this.mask = buffers.capacity - 1
    this.calls = new Float64Array(buffers.calls)
    this.replies = new Float64Array(buffers.replies)
    this.data = buffers.data
  }

  /** True when this input can travel in a record. */
  static fits(input: Int32Array | Uint8Array): boolean {
    return input.byteLength <= INLINE_BYTES
  }

  /** Writes a call whose input fits (see `fits`), for an executable the worker holds. */
  inline(
    id: number,
    runtime: RingRuntime,
    handle: number,
    input: Int32Array | Uint8Array,
    timeoutMs: number
  ): void {
    const index = this.written & this.mask
    const at = index * CALL_FIELDS
    this.calls[at] = id
    this.calls[at + 1] = handle
    this.calls[at + 2] = input instanceof Int32Array ? KIND_I32 : KIND_BYTES
    this.calls[at + 3] = input.length
    this.calls[at + 4] = timeoutMs
    this.calls[at + 5] = RUNTIMES.indexOf(runtime)
    const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength)
    new Uint8Array(this.data, index * INLINE_BYTES, input.byteLength).set(bytes)
    this.written = (this.written + 1) | 0
  }

  /** Writes the record of a call that goes on the port. */
  onPort(id: number): void {
    const at = (this.written & this.mask) * CALL_FIELDS
    this.calls[at] = id
    this.calls[at + 1] = ON_PORT
    this.written = (this.written + 1) | 0
  }

  /**
   * The next reply record, once the worker has published it (`published`: its reply counter):
   * a finished call's reply, 'port' when the reply is the next message on the port, or null
   * when there is none yet.
   */
  next(published: number): ReplyMessage | 'port' | null {
    if (this.read === published) return null
    const at = (this.read & this.mask) * REPLY_FIELDS
    this.read = (this.read + 1) | 0
    if (this.replies[at + 1] === 1) return 'port'
    return {
      ok: true,
      id: this.replies[at] as number,
      result: this.replies[at + 2] as number,
      output: null,
      micros: this.replies[at + 3] as number
    }
  }
}

/** The worker's side: reads call records, writes reply records. */
export class WorkerRings {
  private readonly mask: number
  private readonly calls: Float64Array
  private readonly replies: Float64Array
  private readonly data: SharedArrayBuffer
  /** Reply records written (published through STATE.replies). */
  written = 0

  constructor(buffers: RingBuffers) {
    this.mask = buffers.capacity - 1
    this.calls = new Float64Array(buffers.calls)
    this.replies = new Float64Array(buffers.replies)
    this.data = buffers.data
  }

  /** The n-th call's record: the call, or null when it is the next message on the port. */
  call(n: number): InlineCall | null {
    const index = n & this.mask
    const at = index * CALL_FIELDS
    const handle = this.calls[at + 1] as number
    if (handle === ON_PORT) return null
    const length = this.calls[at + 3] as number
    const offset = index * INLINE_BYTES
    return {
      id: this.calls[at] as number,
      runtime: RUNTIMES[this.calls[at + 5] as number] as RingRuntime,
      handle,
      input:
        this.calls[at + 2] === KIND_I32
          ? new Int32Array(this.data, offset, length)
          : new Uint8Array(this.data, offset, length),
      timeoutMs: this.calls[at + 4] as number
    }
  }

  /**
   * Writes a reply's record; true when the reply itself must go on the port (anything but a
   * plain result: an output, logs, an error, warm stats).
   */
  reply(reply: ReplyMessage): boolean {
    const at = (this.written & this.mask) * REPLY_FIELDS
    this.written = (this.written + 1) | 0
    this.replies[at] = reply.id
    const plain = reply.ok && reply.output === null && reply.logs === undefined
    if (!plain || reply.warm !== undefined) {
      this.replies[at + 1] = 1
      return true
    }
    this.replies[at + 1] = 0
    this.replies[at + 2] = reply.result
    this.replies[at + 3] = reply.micros
    return false
  }
}
