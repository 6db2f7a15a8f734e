import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads'
import { fromCode } from '../errors.js'
import { keyOf, type RuntimeAssets } from '../runtimes/contract.js'
import type { WarmStats } from '../runtimes/warm.js'
import { toResult, type Pending } from './call.js'
import {
  STATE,
  moduleSpec,
  type CallMessage,
  type ReplyBatch,
  type ReplyMessage,
  type WorkerData
} from './protocol.js'
import { PoolRings, ringBuffers } from './ring.js'
import { InputStaging } from './staging.js'

/** Weight of the newest call in a worker's moving average of call time. */
const EWMA_WEIGHT = 0.2
/** Native stack of each worker: QuickJS recursing near its own limit must never overflow it. */
const WORKER_STACK_MB = 8
/** Handles of executables in the rings' records, over all pools (never reused: a record cannot go stale). */
let nextHandle = 1

/** What every worker of a pool is started with, and how the pool hears of it. */
export interface SlotOptions {
  maxPipeline: number
  modulesPerWorker: number
  spinMicros: number
  nice: number
  assets: RuntimeAssets
  containerBudgetBytes: number
  /** Pool-wide: 1 while the main thread polls the reply rings (see worker.ts). */
  listening: Int32Array
  /** A message came from the worker: replies, or a wake-up to read the reply ring. */
  onMessage: (slot: WorkerSlot) => void
  /** The worker exited without being retired. */
  onExit: (slot: WorkerSlot, why: string) => void
}

/**
 * One worker thread of the pool and the calls sent to it: the modules it holds, the records it
 * is given (see ring.ts) and the replies it publishes, settled strictly in call order.
 */
export class WorkerSlot {
  readonly online: Promise<void>
  /** Calls sent to this worker, in order; those before the running one may be done, unreported. */
  readonly inflight: Pending[] = []
  /** Its moving average of call time, µs. */
  ewmaMicros = 0
  /** Its warm JS and Python containers, as its last such reply said. */
  warm: WarmStats | null = null
  /** The pool's deadline check for its running call. */
  watchdog: NodeJS.Timeout | null = null
  retired = false
  private readonly worker: Worker
  private readonly port: MessagePort
  private readonly flags: Int32Array
  private readonly stamps: BigInt64Array
  private readonly rings: PoolRings
  /** Calls picked for this worker since the last send, their records published together. */
  private added = 0
  /** Those of them that go on the port, posted together. */
  private batch: CallMessage[] = []
  /** Replies taken off the port, waiting for their records. */
  private readonly attached: ReplyMessage[] = []
  /** Modules this worker holds, least recently used first, and the handle of each. */
  private readonly modules = new Map<string, number>()
  /** Its shared buffer for large Wasm inputs. */
  private readonly staging = new InputStaging()
  private readonly modulesPerWorker: number

  constructor(options: SlotOptions) {
    const channel = new MessageChannel()
    const state = new SharedArrayBuffer(STATE.bytes)
    const rings = ringBuffers(options.maxPipeline)
    const workerData: WorkerData = {
      port: channel.port2,
      state,
      rings,
      listening: options.listening.buffer as SharedArrayBuffer,
      spinMicros: options.spinMicros,
      nice: options.nice,
      assets: options.assets,
      containerBudgetBytes: options.containerBudgetBytes
    }
    this.worker = new Worker(new URL('./worker.js', import.meta.url), {
      workerData,
      transferList: [channel.port2],
      resourceLimits: { stackSizeMb: WORKER_STACK_MB }
    })
    this.port = channel.port1
    this.flags = new Int32Array(state)
    this.stamps = new BigInt64Array(state)
    this.rings = new PoolRings(rings)
    this.modulesPerWorker = options.modulesPerWorker
    this.online = new Promise((resolve) => this.worker.once('online', () => resolve()))
    let failure: Error | undefined
    // Replies that did not fit their records, or a wake-up (null): either way, read the ring.
    this.port.on('message', (replies: ReplyBatch | null) => {
      if (replies !== null) this.attached.push(...replies)
      options.onMessage(this)
    })
    this.worker.on('error', (err) => (failure = err))
    this.worker.on('exit', (code) => {
      if (!this.retired) options.onExit(this, failure?.message ?? `exited with code ${code}`)
    })
  }

  /** The id of the call running now (0: none). */
  runningId(): number {
    return Atomics.load(this.flags, STATE.runningId)
  }

  /** How long the running call has run, µs (meaningful while `runningId` is not 0). */
  runningMicros(): number {
    return Number(process.hrtime.bigint() - Atomics.load(this.stamps, STATE.startedNs)) / 1_000
  }

  /** Takes a call for this worker, sent with the next `send`; true when it loads a module. */
  add(pending: Pending): boolean {
    const { fn, call } = pending
    const key = keyOf(fn)
    const handle = this.modules.get(key)
    this.inflight.push(pending)
    this.added++
    if (handle !== undefined) {
      this.modules.delete(key) // re-inserted: most recently used last
      this.modules.set(key, handle)
      // The usual call: a module the worker holds, a small input, in a record alone.
      const { runtime } = fn
      if (
        (runtime === 'wasm' || runtime === 'wasi') &&
        call.transfer !== true &&
        PoolRings.fits(call.input)
      ) {
        this.rings.inline(pending.id, runtime, handle, call.input, call.timeoutMs)
        return false
      }
    }
    this.rings.onPort(pending.id)
    const msg: CallMessage = {
      id: pending.id,
      key,
      runtime: fn.runtime,
      input:
        call.transfer !== true && fn.runtime === 'wasm'
          ? this.staging.share(pending.id, call.input)
          : call.input,
      timeoutMs: call.timeoutMs
    }
    // Only JS and Python functions see their context; a Wasm call posts less without it.
    if (call.context !== undefined && fn.runtime !== 'wasm' && fn.runtime !== 'wasi') {
      msg.context = call.context
    }
    this.batch.push(msg)
    if (handle !== undefined) return false
    msg.load = fn.runtime === 'wasm' ? moduleSpec(fn) : fn.spec
    msg.handle = nextHandle++
    if (this.modules.size >= this.modulesPerWorker) {
      const oldest = this.modules.keys().next().value as string
      this.modules.delete(oldest)
      msg.evict = [oldest]
    }
    this.modules.set(key, msg.handle)
    return true
  }

  /** Hands the calls added since the last send to the worker; false when there were none. */
  send(): boolean {
    if (this.added === 0) return false
    const batch = this.batch
    if (batch.length > 0) {
      // Only a call that starts at once may take the buffer: a queued one must survive a
      // requeue. (A transferred input is never in a record: such a call is first on the port.)
      const first = this.inflight.length === this.added ? this.inflight[0] : undefined
      const transfer: ArrayBuffer[] = []
      if (first?.call.transfer === true) {
        first.transferred = true
        transfer.push(first.call.input.buffer as ArrayBuffer)
      }
      this.port.postMessage(batch, transfer)
      this.batch = []
    }
    this.added = 0
    Atomics.store(this.flags, STATE.crowded, this.inflight.length > 1 ? 1 : 0)
    // The records (and the port's calls, already queued) are the worker's from here.
    Atomics.store(this.flags, STATE.doorbell, this.rings.written)
    // A spinning worker sees the doorbell by itself: only a sleeping one needs the wake-up.
    if (Atomics.load(this.flags, STATE.sleeping) === 1) {
      Atomics.notify(this.flags, STATE.doorbell)
    }
    return true
  }

  /**
   * Settles the calls whose replies the worker has published, in order: how many, or why the
   * worker is not to be trusted (a reply out of order, a record with no message).
   */
  drain(): number | string {
    let took = 0
    for (;;) {
      const record = this.rings.next(Atomics.load(this.flags, STATE.replies))
      if (record === null) return took
      const reply = record === 'port' ? this.attachedReply() : record
      const pending = this.inflight[0]
      if (reply === undefined || pending === undefined || pending.id !== reply.id) {
        return reply === undefined
          ? 'a reply record with no message'
          : `reply ${reply.id} out of order`
      }
      took++
      this.inflight.shift()
      this.staging.release(reply.id)
      this.ewmaMicros += (reply.micros - this.ewmaMicros) * EWMA_WEIGHT
      if (reply.warm !== undefined) this.warm = reply.warm
      if (reply.ok) pending.resolve(toResult(pending.fn, reply))
      else pending.reject(fromCode(reply.code, reply.message, reply))
    }
  }

  /** Stops the worker; its calls are the pool's to settle. */
  async retire(): Promise<void> {
    if (this.retired) return
    this.retired = true
    if (this.watchdog !== null) clearTimeout(this.watchdog)
    this.port.close()
    await this.worker.terminate()
  }

  /** The next reply posted on the port (ring order): taken already, or taken now. */
  private attachedReply(): ReplyMessage | undefined {
    while (this.attached.length === 0) {
      const entry = receiveMessageOnPort(this.port)
      if (entry === undefined) return undefined
      if (entry.message !== null) this.attached.push(...(entry.message as ReplyBatch))
    }
    return this.attached.shift()
  }
}
