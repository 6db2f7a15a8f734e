import { availableParallelism } from 'node:os'
import { performance } from 'node:perf_hooks'
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads'
import {
  EXECUTOR_CLOSED,
  EXECUTOR_WORKER_FAILED,
  FUNCTION_TIMEOUT,
  INVALID_LIMIT,
  fromCode
} from '../errors.js'
import {
  keyOf,
  type CallContext,
  type Executable,
  type RuntimeAssets
} from '../runtimes/contract.js'
import { DEFAULT_CONTAINER_BUDGET_BYTES, type WarmStats } from '../runtimes/warm.js'
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

/** Calls queued on one worker at most, so tiny calls do not pay a thread round trip each. */
const MAX_PIPELINE = 64
/**
 * Expected work queued on one worker, in µs of its recent average call time: deep enough that a
 * worker never runs dry while the main thread wakes up, shallow enough that a call queued behind
 * others waits at most about this long. A worker of slow calls gets one call at a time.
 */
const PIPELINE_BUDGET_MICROS = 1_000
/** Modules each worker keeps instantiable; the least recently used is evicted beyond this. */
const MODULES_PER_WORKER = 64
/**
 * How long an idle worker spins for its next call before sleeping, and how long the main thread
 * keeps polling for replies after a dispatch: a thread wake-up costs 50-150 µs on a small VM,
 * several times a tiny call. The main thread polls with setImmediate, so I/O is still served.
 */
const SPIN_MICROS = 100
/**
 * A call expected to run this long or less queues behind a worker that is busy with calls as
 * short, rather than waking an idle one: on a small machine two workers and the main thread
 * trading wake-ups cost more than the calls (measured on 2 cores: JS hello 7.8k req/s spread over
 * two workers, 16k on one).
 */
const SHORT_CALL_MICROS = 200
/** Weight of the newest call in a worker's moving average of call time. */
const EWMA_WEIGHT = 0.2
/**
 * A worker is killed this long after its call's deadline: a runtime that stops a call itself
 * (QuickJS's interrupt) gets to, which keeps the worker; the kill is the backstop.
 */
const HARD_DEADLINE_GRACE_MS = 50
/** Native stack of each worker: QuickJS recursing near its own limit must never overflow it. */
const WORKER_STACK_MB = 8

/** Pool options; every field has a default. */
export interface PoolOptions {
  /** Workers that run calls (default: one per core). */
  size?: number
  /** Started, idle workers that replace a terminated one at once (default 1). */
  spares?: number
  maxPipeline?: number
  modulesPerWorker?: number
  spinMicros?: number
  /** Engines compiled once per process, handed to every worker (the JS runtime needs QuickJS). */
  assets?: RuntimeAssets
  /** Warm JS and Python containers' memory per worker, bytes. */
  containerBudgetBytes?: number
}

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

/** Counters for metrics and tests. */
export interface PoolStats {
  workers: number
  spares: number
  queued: number
  running: number
  /** Workers terminated and replaced (timeouts and crashes). */
  restarts: number
  /** Compiled modules posted to a worker: once per worker and module, never per call. */
  loads: number
  /** Warm JS and Python containers over all workers: how many, memory, drops, starts. */
  containers: WarmStats
}

interface Pending {
  id: number
  fn: Executable
  call: CallOptions
  /** Its input buffer moved to a worker: it cannot be sent again. */
  transferred: boolean
  resolve: (result: CallResult) => void
  reject: (err: Error) => void
}

interface Slot {
  worker: Worker
  port: MessagePort
  flags: Int32Array
  stamps: BigInt64Array
  /** Its call and reply rings. */
  rings: PoolRings
  /** Calls sent to this worker, in order; those before the running one may be done, unreported. */
  inflight: Pending[]
  /** Calls picked for this worker in the current pump, their records published together. */
  added: number
  /** Those of them that go on the port, posted together. */
  batch: CallMessage[]
  /** Replies taken off the port, waiting for their records. */
  attached: ReplyMessage[]
  /** Modules this worker holds, least recently used first, and the handle of each. */
  modules: Map<string, number>
  watchdog: NodeJS.Timeout | null
  ewmaMicros: number
  /** Its shared buffer for large Wasm inputs. */
  staging: InputStaging
  /** Its warm JS and Python containers, as its last such reply said. */
  warm: WarmStats | null
  retired: boolean
  online: Promise<void>
}

/**
 * A pool of worker threads that run Wasm calls. Compiled modules are posted to each worker once
 * and cached there by sha256. Short calls are pipelined (several per worker, posted in one
 * message); a call past its deadline terminates only its worker, a warm spare takes that
 * worker's place at once, and the calls queued behind it move to other workers.
 */
export class WasmPool {
  readonly size: number
  private readonly spareCount: number
  private readonly maxPipeline: number
  private readonly modulesPerWorker: number
  private readonly spinMicros: number
  private readonly assets: RuntimeAssets
  private readonly containerBudgetBytes: number
  private readonly active: Slot[] = []
  private readonly spares: Slot[] = []
  /** FIFO of calls not yet sent; `queueHead` is its first live index (shift() would be O(n)). */
  private queue: Pending[] = []
  private queueHead = 0
  private nextId = 1
  private restarts = 0
  /** Evictions and cold starts of workers since retired (the totals only ever grow). */
  private readonly retiredWarm = { evictions: 0, colds: 0 }
  private loads = 0
  private opened: Promise<void> | null = null
  private closing: Promise<void> | null = null
  private readonly drained = new Set<() => void>()
  private polling = false
  private pollUntil = 0
  /** Shared with every worker: 1 while this thread polls the reply rings (see worker.ts). */
  private readonly listening = new Int32Array(new SharedArrayBuffer(4))
  /** Handles of executables in the rings' records (never reused: a record cannot go stale). */
  private nextHandle = 1

  constructor(options: PoolOptions = {}) {
    this.size = options.size ?? availableParallelism()
    this.spareCount = options.spares ?? 1
    this.maxPipeline = options.maxPipeline ?? MAX_PIPELINE
    this.modulesPerWorker = options.modulesPerWorker ?? MODULES_PER_WORKER
    // On one core a spin only takes the core from the thread it waits for (an edge pinned with
    // taskset): both sides sleep and wake each other instead.
    this.spinMicros = options.spinMicros ?? (availableParallelism() > 1 ? SPIN_MICROS : 0)
    this.assets = options.assets ?? {}
    this.containerBudgetBytes = options.containerBudgetBytes ?? DEFAULT_CONTAINER_BUDGET_BYTES
    if (!Number.isInteger(this.size) || this.size < 1) throw INVALID_LIMIT('size', 'must be ≥ 1')
  }

  /** Starts the workers and the spares; resolves when all are online. Idempotent. */
  ready(): Promise<void> {
    this.opened ??= (async () => {
      for (let i = 0; i < this.size; i++) this.active.push(this.spawn())
      for (let i = 0; i < this.spareCount; i++) this.spares.push(this.spawn())
      await Promise.all([...this.active, ...this.spares].map((s) => s.online))
    })()
    return this.opened
  }

  /** Runs one call of an executable function. Rejects with a coded SwarmError. */
  run(fn: Executable, call: CallOptions): Promise<CallResult> {
    if (this.closing !== null) return Promise.reject(EXECUTOR_CLOSED())
    if (!(call.timeoutMs > 0 && Number.isFinite(call.timeoutMs))) {
      return Promise.reject(INVALID_LIMIT('timeoutMs', 'must be a positive number'))
    }
    const expected = fn.abi === 'v1' ? Int32Array : Uint8Array
    if (!(call.input instanceof expected)) {
      return Promise.reject(new TypeError(`ABI ${fn.abi} takes its input as ${expected.name}`))
    }
    if (this.opened === null) void this.ready()
    return new Promise<CallResult>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, fn, call, transferred: false, resolve, reject })
      this.pump()
    })
  }

  /** Queue depth, running calls and restarts. */
  stats(): PoolStats {
    return {
      workers: this.active.length,
      spares: this.spares.length,
      queued: this.queue.length - this.queueHead,
      running: this.running(),
      restarts: this.restarts,
      loads: this.loads,
      containers: this.warmStats()
    }
  }

  /** Refuses new calls, fails queued ones, lets running ones finish or time out, stops the workers. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const pending of this.takeQueue()) pending.reject(EXECUTOR_CLOSED())
      while (this.running() > 0) {
        await new Promise<void>((resolve) => this.drained.add(resolve))
      }
      const all = [...this.active.splice(0), ...this.spares.splice(0)]
      await Promise.all(all.map((slot) => this.retire(slot)))
    })()
    return this.closing
  }

  private warmStats(): WarmStats {
    const total: WarmStats = { containers: 0, bytes: 0, ...this.retiredWarm }
    for (const slot of this.active) {
      if (slot.warm === null) continue
      total.containers += slot.warm.containers
      total.bytes += slot.warm.bytes
      total.evictions += slot.warm.evictions
      total.colds += slot.warm.colds
    }
    return total
  }

  private running(): number {
    let n = 0
    for (const slot of this.active) n += slot.inflight.length
    return n
  }

  private takeQueue(): Pending[] {
    const rest = this.queue.slice(this.queueHead)
    this.queue = []
    this.queueHead = 0
    return rest
  }

  private spawn(): Slot {
    const channel = new MessageChannel()
    const state = new SharedArrayBuffer(STATE.bytes)
    const rings = ringBuffers(this.maxPipeline)
    const workerData: WorkerData = {
      port: channel.port2,
      state,
      rings,
      listening: this.listening.buffer as SharedArrayBuffer,
      spinMicros: this.spinMicros,
      assets: this.assets,
      containerBudgetBytes: this.containerBudgetBytes
    }
    const worker = new Worker(new URL('./worker.js', import.meta.url), {
      workerData,
      transferList: [channel.port2],
      resourceLimits: { stackSizeMb: WORKER_STACK_MB }
    })
    const slot: Slot = {
      worker,
      port: channel.port1,
      flags: new Int32Array(state),
      stamps: new BigInt64Array(state),
      rings: new PoolRings(rings),
      inflight: [],
      added: 0,
      batch: [],
      attached: [],
      modules: new Map(),
      watchdog: null,
      ewmaMicros: 0,
      staging: new InputStaging(),
      warm: null,
      retired: false,
      online: new Promise((resolve) => worker.once('online', () => resolve()))
    }
    let failure: Error | undefined
    // Replies that did not fit their records, or a wake-up (null): either way, read the ring.
    slot.port.on('message', (replies: ReplyBatch | null) => {
      if (replies !== null) slot.attached.push(...replies)
      this.drain(slot)
    })
    worker.on('error', (err) => (failure = err))
    worker.on('exit', (code) => {
      if (!slot.retired) this.onWorkerLost(slot, failure?.message ?? `exited with code ${code}`)
    })
    return slot
  }

  private pump(): void {
    // An idle worker takes the next call before any busy one is given more: a call must not
    // wait behind a long one while a worker has nothing to do.
    for (const slot of this.active) {
      if (this.queueHead === this.queue.length) break
      if (slot.inflight.length > 0) continue
      const pending = this.queue[this.queueHead] as Pending
      if (this.hotWorkerTakes(pending)) break
      this.queue[this.queueHead++] = undefined as unknown as Pending
      this.add(slot, pending)
    }
    for (const slot of this.active) {
      const limit = this.pipelineLimit(slot)
      // Refill at half depth, so one message carries several calls instead of one each; never
      // behind a call already running longer than the budget (it may run for seconds: the
      // queue here waits for whichever worker frees up first).
      if (slot.inflight.length <= limit >> 1 && !this.busyWithLongCall(slot)) {
        while (slot.inflight.length < limit && this.queueHead < this.queue.length) {
          const pending = this.queue[this.queueHead] as Pending
          // Nor here: an idle worker is not woken for a short call while a hot one has room
          // (spilling a function URL's short JS calls onto a second worker, each often a
          // wake-up, cost it about a third of its requests/s on two cores).
          if (slot.inflight.length === 0 && this.hotWorkerTakes(pending)) break
          this.queue[this.queueHead++] = undefined as unknown as Pending
          this.add(slot, pending)
        }
      }
      this.send(slot) // nothing when its batch is empty
    }
    if (this.queueHead === this.queue.length) {
      this.queue = []
      this.queueHead = 0
    } else if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.queueHead)
      this.queueHead = 0
    }
  }

  /** True when a short call can go in the pipeline of a worker already busy with short calls. */
  private hotWorkerTakes(pending: Pending): boolean {
    const expected = pending.call.expectedMicros
    if (expected === undefined || expected > SHORT_CALL_MICROS) return false
    return this.active.some(
      (slot) =>
        slot.inflight.length > 0 &&
        slot.ewmaMicros <= SHORT_CALL_MICROS &&
        slot.inflight.length < this.pipelineLimit(slot) &&
        !this.busyWithLongCall(slot)
    )
  }

  private pipelineLimit(slot: Slot): number {
    const budget = Math.floor(PIPELINE_BUDGET_MICROS / Math.max(slot.ewmaMicros, 1))
    return Math.max(1, Math.min(this.maxPipeline, budget))
  }

  private busyWithLongCall(slot: Slot): boolean {
    if (slot.inflight.length === 0 || Atomics.load(slot.flags, STATE.runningId) === 0) return false
    const startedNs = Atomics.load(slot.stamps, STATE.startedNs)
    return Number(process.hrtime.bigint() - startedNs) / 1_000 > PIPELINE_BUDGET_MICROS
  }

  private add(slot: Slot, pending: Pending): void {
    const { fn, call } = pending
    const key = keyOf(fn)
    let handle = slot.modules.get(key)
    slot.inflight.push(pending)
    slot.added++
    if (handle !== undefined) {
      slot.modules.delete(key) // re-inserted: most recently used last
      slot.modules.set(key, handle)
      // The usual call: a module the worker holds, a small input, in a record alone.
      const { runtime } = fn
      if (
        (runtime === 'wasm' || runtime === 'wasi') &&
        call.transfer !== true &&
        PoolRings.fits(call.input)
      ) {
        return slot.rings.inline(pending.id, runtime, handle, call.input, call.timeoutMs)
      }
    }
    slot.rings.onPort(pending.id)
    const msg: CallMessage = {
      id: pending.id,
      key,
      runtime: fn.runtime,
      input:
        call.transfer !== true && fn.runtime === 'wasm'
          ? slot.staging.share(pending.id, call.input)
          : call.input,
      timeoutMs: call.timeoutMs
    }
    // Only JS and Python functions see their context; a Wasm call posts less without it.
    if (call.context !== undefined && fn.runtime !== 'wasm' && fn.runtime !== 'wasi') {
      msg.context = call.context
    }
    if (handle === undefined) {
      this.loads++
      msg.load = fn.runtime === 'wasm' ? moduleSpec(fn) : fn.spec
      handle = this.nextHandle++
      msg.handle = handle
      if (slot.modules.size >= this.modulesPerWorker) {
        const oldest = slot.modules.keys().next().value as string
        slot.modules.delete(oldest)
        msg.evict = [oldest]
      }
      slot.modules.set(key, handle)
    }
    slot.batch.push(msg)
  }

  private send(slot: Slot): void {
    if (slot.added === 0) return
    const batch = slot.batch
    if (batch.length > 0) {
      // Only a call that starts at once may take the buffer: a queued one must survive a
      // requeue. (A transferred input is never in a record: such a call is first on the port.)
      const first = slot.inflight.length === slot.added ? slot.inflight[0] : undefined
      const transfer: ArrayBuffer[] = []
      if (first?.call.transfer === true) {
        first.transferred = true
        transfer.push(first.call.input.buffer as ArrayBuffer)
      }
      slot.port.postMessage(batch, transfer)
      slot.batch = []
    }
    slot.added = 0
    Atomics.store(slot.flags, STATE.crowded, slot.inflight.length > 1 ? 1 : 0)
    // The records (and the port's calls, already queued) are the worker's from here.
    Atomics.store(slot.flags, STATE.doorbell, slot.rings.written)
    // A spinning worker sees the doorbell by itself: only a sleeping one needs the wake-up.
    if (Atomics.load(slot.flags, STATE.sleeping) === 1) Atomics.notify(slot.flags, STATE.doorbell)
    // A call cannot time out sooner than its timeout after being sent; the check re-arms itself.
    if (slot.watchdog === null) this.armWatchdog(slot, this.shortestTimeout(slot))
    if (this.spinMicros > 0) this.startPolling()
  }

  private shortestTimeout(slot: Slot): number {
    let ms = Infinity
    for (const pending of slot.inflight) ms = Math.min(ms, pending.call.timeoutMs)
    return ms + HARD_DEADLINE_GRACE_MS
  }

  private armWatchdog(slot: Slot, ms: number): void {
    slot.watchdog = setTimeout(() => this.checkDeadline(slot), Math.max(1, Math.ceil(ms)))
  }

  /** Kills the worker if its running call is past its deadline, counted from its real start. */
  private checkDeadline(slot: Slot): void {
    slot.watchdog = null
    this.drain(slot) // replies already posted: those calls are done, whatever happens next
    if (slot.retired || slot.inflight.length === 0) return
    const runningId = Atomics.load(slot.flags, STATE.runningId)
    const running = runningId === 0 ? undefined : slot.inflight.find((p) => p.id === runningId)
    if (running === undefined) {
      // Between calls: the next one starts now at the earliest.
      return this.armWatchdog(slot, this.shortestTimeout(slot))
    }
    const startedNs = Atomics.load(slot.stamps, STATE.startedNs)
    const elapsedMs = Number(process.hrtime.bigint() - startedNs) / 1e6
    const limitMs = running.call.timeoutMs + HARD_DEADLINE_GRACE_MS
    if (elapsedMs < limitMs) return this.armWatchdog(slot, limitMs - elapsedMs)
    slot.inflight.splice(slot.inflight.indexOf(running), 1)
    this.replace(slot)
    running.reject(FUNCTION_TIMEOUT(running.call.timeoutMs))
    this.settled()
  }

  private startPolling(): void {
    this.pollUntil = performance.now() + this.spinMicros / 1000
    if (this.polling) return
    this.polling = true
    Atomics.store(this.listening, 0, 1)
    setImmediate(this.poll)
  }

  /** Reads the reply rings without waiting for the wake-up that would post to this thread. */
  private readonly poll = (): void => {
    for (const slot of this.active) this.drain(slot)
    if (performance.now() < this.pollUntil && this.running() > 0)
      return void setImmediate(this.poll)
    this.polling = false
    // Said before the last look: a reply published after it is announced (see worker.ts).
    Atomics.store(this.listening, 0, 0)
    for (const slot of this.active) this.drain(slot)
  }

  /** The next reply posted on the port (ring order): taken already, or taken now. */
  private attachedReply(slot: Slot): ReplyMessage | undefined {
    while (slot.attached.length === 0) {
      const entry = receiveMessageOnPort(slot.port)
      if (entry === undefined) return undefined
      if (entry.message !== null) slot.attached.push(...(entry.message as ReplyBatch))
    }
    return slot.attached.shift()
  }

  /** Takes the replies the worker has published, in order. */
  private drain(slot: Slot): void {
    let took = false
    for (;;) {
      if (slot.retired) return
      const record = slot.rings.next(Atomics.load(slot.flags, STATE.replies))
      if (record === null) break
      const reply = record === 'port' ? this.attachedReply(slot) : record
      const pending = slot.inflight[0]
      if (reply === undefined || pending === undefined || pending.id !== reply.id) {
        // Workers answer strictly in order; anything else means the worker is not to be trusted.
        const why =
          reply === undefined ? 'a reply record with no message' : `reply ${reply.id} out of order`
        return this.onWorkerLost(slot, why, false)
      }
      took = true
      slot.inflight.shift()
      slot.staging.release(reply.id)
      slot.ewmaMicros += (reply.micros - slot.ewmaMicros) * EWMA_WEIGHT
      if (reply.warm !== undefined) slot.warm = reply.warm
      if (reply.ok) pending.resolve(toResult(pending.fn, reply))
      else pending.reject(fromCode(reply.code, reply.message, reply))
    }
    if (!took) return
    if (slot.inflight.length === 0 && slot.watchdog !== null) {
      clearTimeout(slot.watchdog)
      slot.watchdog = null
    }
    this.settled()
  }

  private onWorkerLost(slot: Slot, why: string, drainFirst = true): void {
    if (slot.retired) return
    if (drainFirst) this.drain(slot) // what it answered before dying still counts
    if (slot.retired) return
    const runningId = Atomics.load(slot.flags, STATE.runningId)
    const index = slot.inflight.findIndex((p) => p.id === runningId)
    const [running] = index === -1 ? [] : slot.inflight.splice(index, 1)
    this.replace(slot)
    running?.reject(EXECUTOR_WORKER_FAILED(why))
    this.settled()
  }

  /** Retires a worker: a spare takes its place, its other calls go back to the queue front. */
  private replace(slot: Slot): void {
    const index = this.active.indexOf(slot)
    void this.retire(slot)
    this.restarts++
    // Calls before the running one may have finished without reporting: they run again (a fresh
    // instance per call makes that safe); calls after it never started.
    const requeue = slot.inflight.splice(0)
    const lost = requeue.filter((p) => p.transferred)
    this.queue.splice(this.queueHead, 0, ...requeue.filter((p) => !p.transferred))
    for (const pending of lost)
      pending.reject(EXECUTOR_WORKER_FAILED('the worker was lost with a transferred input'))
    if (this.closing !== null) {
      this.active.splice(index, 1)
      for (const pending of this.takeQueue()) pending.reject(EXECUTOR_CLOSED())
      return
    }
    this.active[index] = this.spares.shift() ?? this.spawn()
    if (this.spares.length < this.spareCount) this.spares.push(this.spawn())
    this.pump()
  }

  private async retire(slot: Slot): Promise<void> {
    if (slot.retired) return
    slot.retired = true
    this.retiredWarm.evictions += slot.warm?.evictions ?? 0
    this.retiredWarm.colds += slot.warm?.colds ?? 0
    if (slot.watchdog !== null) clearTimeout(slot.watchdog)
    slot.port.close()
    await slot.worker.terminate()
  }

  private settled(): void {
    this.pump()
    if (this.running() > 0) return
    for (const resolve of this.drained) resolve()
    this.drained.clear()
  }
}

function toResult(fn: Executable, reply: Extract<ReplyMessage, { ok: true }>): CallResult {
  const result: CallResult = { result: reply.result, micros: reply.micros }
  if (reply.logs !== undefined) result.logs = reply.logs
  if (reply.output !== null) {
    if (fn.abi === 'v1') result.output = new Int32Array(reply.output)
    else result.payload = new Uint8Array(reply.output)
  }
  return result
}
