import { availableParallelism } from 'node:os'
import { performance } from 'node:perf_hooks'
import {
  EXECUTOR_CLOSED,
  EXECUTOR_WORKER_FAILED,
  FUNCTION_TIMEOUT,
  INVALID_LIMIT
} from '../errors.js'
import type { Executable, RuntimeAssets } from '../runtimes/contract.js'
import { DEFAULT_CONTAINER_BUDGET_BYTES, type WarmStats } from '../runtimes/warm.js'
import type { CallOptions, CallResult, Pending } from './call.js'
import { WorkerSlot } from './slot.js'

export type { CallOptions, CallResult } from './call.js'

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
/**
 * The niceness of worker threads (Linux, per thread): function code runs below the event loops,
 * so a flood of CPU-bound calls cannot starve what keeps an edge in its mesh (HTTP, heartbeats,
 * replication, the deadline checks) while it still gets every core the loops leave idle.
 */
const WORKER_NICE = 10
/**
 * A worker is killed this long after its call's deadline: a runtime that stops a call itself
 * (QuickJS's interrupt) gets to, which keeps the worker; the kill is the backstop.
 */
const HARD_DEADLINE_GRACE_MS = 50

/** Pool options; every field has a default. */
export interface PoolOptions {
  /** Workers that run calls (default: one per core). */
  size?: number
  /** Started, idle workers that replace a terminated one at once (default 1). */
  spares?: number
  maxPipeline?: number
  modulesPerWorker?: number
  spinMicros?: number
  /** Niceness of the worker threads above the process's, 0-19 (default WORKER_NICE). */
  workerNice?: number
  /** Engines compiled once per process, handed to every worker (the JS runtime needs QuickJS). */
  assets?: RuntimeAssets
  /** Warm JS and Python containers' memory per worker, bytes. */
  containerBudgetBytes?: number
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
  private readonly workerNice: number
  private readonly assets: RuntimeAssets
  private readonly containerBudgetBytes: number
  private readonly active: WorkerSlot[] = []
  private readonly spares: WorkerSlot[] = []
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

  constructor(options: PoolOptions = {}) {
    this.size = options.size ?? availableParallelism()
    this.spareCount = options.spares ?? 1
    this.maxPipeline = options.maxPipeline ?? MAX_PIPELINE
    this.modulesPerWorker = options.modulesPerWorker ?? MODULES_PER_WORKER
    // On one core a spin only takes the core from the thread it waits for (an edge pinned with
    // taskset): both sides sleep and wake each other instead.
    this.spinMicros = options.spinMicros ?? (availableParallelism() > 1 ? SPIN_MICROS : 0)
    this.workerNice = options.workerNice ?? WORKER_NICE
    this.assets = options.assets ?? {}
    this.containerBudgetBytes = options.containerBudgetBytes ?? DEFAULT_CONTAINER_BUDGET_BYTES
    if (!Number.isInteger(this.size) || this.size < 1) throw INVALID_LIMIT('size', 'must be ≥ 1')
    if (!Number.isInteger(this.workerNice) || this.workerNice < 0 || this.workerNice > 19) {
      throw INVALID_LIMIT('workerNice', 'must be an integer from 0 to 19')
    }
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

  private spawn(): WorkerSlot {
    return new WorkerSlot({
      maxPipeline: this.maxPipeline,
      modulesPerWorker: this.modulesPerWorker,
      spinMicros: this.spinMicros,
      nice: this.workerNice,
      assets: this.assets,
      containerBudgetBytes: this.containerBudgetBytes,
      listening: this.listening,
      onMessage: (slot) => this.drain(slot),
      onExit: (slot, why) => this.onWorkerLost(slot, why)
    })
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

  private pipelineLimit(slot: WorkerSlot): number {
    const budget = Math.floor(PIPELINE_BUDGET_MICROS / Math.max(slot.ewmaMicros, 1))
    return Math.max(1, Math.min(this.maxPipeline, budget))
  }

  private busyWithLongCall(slot: WorkerSlot): boolean {
    if (slot.inflight.length === 0 || slot.runningId() === 0) return false
    return slot.runningMicros() > PIPELINE_BUDGET_MICROS
  }

  private add(slot: WorkerSlot, pending: Pending): void {
    if (slot.add(pending)) this.loads++
  }

  private send(slot: WorkerSlot): void {
    if (!slot.send()) return
    // A call cannot time out sooner than its timeout after being sent; the check re-arms itself.
    if (slot.watchdog === null) this.armWatchdog(slot, this.shortestTimeout(slot))
    if (this.spinMicros > 0) this.startPolling()
  }

  private shortestTimeout(slot: WorkerSlot): number {
    let ms = Infinity
    for (const pending of slot.inflight) ms = Math.min(ms, pending.call.timeoutMs)
    return ms + HARD_DEADLINE_GRACE_MS
  }

  private armWatchdog(slot: WorkerSlot, ms: number): void {
    slot.watchdog = setTimeout(() => this.checkDeadline(slot), Math.max(1, Math.ceil(ms)))
  }

  /** Kills the worker if its running call is past its deadline, counted from its real start. */
  private checkDeadline(slot: WorkerSlot): void {
    slot.watchdog = null
    this.drain(slot) // replies already posted: those calls are done, whatever happens next
    if (slot.retired || slot.inflight.length === 0) return
    const runningId = slot.runningId()
    const running = runningId === 0 ? undefined : slot.inflight.find((p) => p.id === runningId)
    if (running === undefined) {
      // Between calls: the next one starts now at the earliest.
      return this.armWatchdog(slot, this.shortestTimeout(slot))
    }
    const elapsedMs = slot.runningMicros() / 1_000
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

  /** Takes the replies the worker has published, in order. */
  private drain(slot: WorkerSlot): void {
    if (slot.retired) return
    const took = slot.drain()
    // Workers answer strictly in order; anything else means the worker is not to be trusted.
    if (typeof took === 'string') return this.onWorkerLost(slot, took, false)
    if (took === 0) return
    if (slot.inflight.length === 0 && slot.watchdog !== null) {
      clearTimeout(slot.watchdog)
      slot.watchdog = null
    }
    this.settled()
  }

  private onWorkerLost(slot: WorkerSlot, why: string, drainFirst = true): void {
    if (slot.retired) return
    if (drainFirst) this.drain(slot) // what it answered before dying still counts
    if (slot.retired) return
    const runningId = slot.runningId()
    const index = slot.inflight.findIndex((p) => p.id === runningId)
    const [running] = index === -1 ? [] : slot.inflight.splice(index, 1)
    this.replace(slot)
    running?.reject(EXECUTOR_WORKER_FAILED(why))
    this.settled()
  }

  /** Retires a worker: a spare takes its place, its other calls go back to the queue front. */
  private replace(slot: WorkerSlot): void {
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

  private retire(slot: WorkerSlot): Promise<void> {
    if (slot.retired) return Promise.resolve()
    this.retiredWarm.evictions += slot.warm?.evictions ?? 0
    this.retiredWarm.colds += slot.warm?.colds ?? 0
    return slot.retire()
  }

  private settled(): void {
    this.pump()
    if (this.running() > 0) return
    for (const resolve of this.drained) resolve()
    this.drained.clear()
  }
}
