import { readlinkSync } from 'node:fs'
import { getPriority, setPriority } from 'node:os'
import { performance } from 'node:perf_hooks'
import { receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads'
import { Container } from '../runtimes/js/container.js'
import { Engine } from '../runtimes/js/engine.js'
import type { JsSpec } from '../runtimes/js/function.js'
import { PyContainer } from '../runtimes/python/container.js'
import type { PySpec } from '../runtimes/python/function.js'
import { snapshot } from '../runtimes/python/snapshot.js'
import { WarmRunner } from '../runtimes/warm.js'
import { WasiRunner } from '../runtimes/wasi/runner.js'
import {
  STATE,
  type CallBatch,
  type CallMessage,
  type ReplyBatch,
  type ReplyMessage,
  type WorkerData
} from './protocol.js'
import { WorkerRings } from './ring.js'
import { Runner } from '../wasm/runner.js'

/**
 * Worker body. It waits on a shared doorbell and reads its call ring synchronously (taking the
 * calls that went on the port from there, in ring order), spinning briefly first, because a
 * futex wake-up here costs more than a tiny call; it returns to its event loop only to await a
 * cold JS or Python container's start-up. Around each call it publishes which call runs and
 * since when, for the deadline check. Each runtime's calls go to that runtime's runner; each
 * reply goes into the reply ring (see ring.ts).
 */

/**
 * The longest a worker spins for its next call (the adaptive spin's cap): calls arriving closer
 * together than this never wait for a thread wake-up (50-150 µs each way on a small VM).
 */
const MAX_SPIN_MICROS = 2_000
/**
 * A nap between looks at the doorbell while calls queue up (the kernel's timer slack makes it
 * ~50-70 µs): measured on 2 cores at 10 connections, the main thread waited for a core 8-12% of
 * the time behind a spinning worker and the load generator, 1-2% with naps (+12% req/s).
 */
const NAP_MS = 0.02
/** Replies wait for the rest of their batch at most this long, so one post carries many. */
const FLUSH_MICROS = 200

const {
  port,
  state,
  rings: buffers,
  listening: listeningFlag,
  spinMicros,
  nice,
  assets,
  containerBudgetBytes
} = workerData as WorkerData
lowerPriority(nice)
const flags = new Int32Array(state)
const rings = new WorkerRings(buffers)
const listening = new Int32Array(listeningFlag)
const stamps = new BigInt64Array(state)
const wasm = new Runner()
const wasi = new WasiRunner()
const engine = assets.quickjs === undefined ? null : Engine.load(assets.quickjs)
/** JS and Python containers, one budget. */
const warm = new WarmRunner<JsSpec | PySpec, Container | PyContainer>(async (spec) => {
  if (spec.runtime === 'python') return PyContainer.create(spec, await snapshot())
  if (engine === null) throw new Error('no JS engine')
  return Container.create(await engine, spec)
}, containerBudgetBytes)

void serve(port)

/**
 * Runs this thread `niceness` below the process (see pool.ts, WORKER_NICE; 19 at most). Linux
 * sets a nice value per thread: setpriority with this thread's id, read from /proc/thread-self.
 * Elsewhere, or without /proc, the thread keeps the process's priority.
 */
function lowerPriority(niceness: number): void {
  if (niceness === 0) return
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop())
    if (Number.isInteger(tid) && tid > 0)
      setPriority(tid, Math.min(19, getPriority(tid) + niceness))
  } catch {
    // Not Linux: all threads share the process's priority.
  }
}

/** One call, by its runtime's runner (a cold container makes it asynchronous). */
function handle(call: CallMessage): ReplyMessage | Promise<ReplyMessage> {
  // The pool evicts by key whatever runtime the call that carries the list is for.
  for (const key of call.evict ?? []) {
    wasm.forget(key)
    wasi.forget(key)
    warm.forget(key)
  }
  if (call.runtime === 'wasm') return wasm.handle(call)
  if (call.runtime === 'wasi') {
    if (call.load?.runtime === 'wasi') wasi.load(call.load)
    return wasi.handle(call)
  }
  const started = performance.now()
  if (call.load?.runtime === 'nodejs' || call.load?.runtime === 'python') warm.load(call.load)
  const input = call.input as Uint8Array
  const context = call.context ?? {
    requestId: '',
    functionVersion: '$LATEST',
    invokedFunctionArn: ''
  }
  const reply = (outcome: Awaited<ReturnType<(typeof warm)['call']>>): ReplyMessage => ({
    ...outcome,
    id: call.id,
    micros: Math.round((performance.now() - started) * 1000),
    warm: warm.stats()
  })
  const outcome = warm.call({ key: call.key, input, timeoutMs: call.timeoutMs, context })
  return outcome instanceof Promise ? outcome.then(reply) : reply(outcome)
}

async function serve(port: MessagePort): Promise<never> {
  /** Calls taken off the port, waiting for their records (ring order). */
  let posted: CallMessage[] = []
  /** The executables the ring's calls name by handle (given with each load). */
  const keys = new Map<number, string>()
  /** Replies that go on the port, and the output buffers they transfer. */
  let attached: ReplyBatch = []
  let transfer: ArrayBuffer[] = []
  /** The reply counter the main thread last saw, and when the first reply since was written. */
  let announced = 0
  let pendingSince = 0
  /** How long the last call ran (µs): the next one, likely as long, waits for no reply. */
  let lastMicros = 0
  const fromPort = (): CallMessage => {
    while (posted.length === 0) {
      const entry = receiveMessageOnPort(port)
      if (entry === undefined) throw new Error('a call record with no message on the port')
      posted = entry.message as CallBatch
    }
    return posted.shift() as CallMessage
  }
  // Replies on the port first, then the counter that publishes their records; a wake-up when
  // the main thread is not polling (it stores 0 before its last look at the counter, we store
  // the counter before reading its flag: one of the two sees the other).
  const flush = (): void => {
    if (attached.length > 0) {
      port.postMessage(attached, transfer)
      attached = []
      transfer = []
      Atomics.store(flags, STATE.replies, rings.written)
    }
    if (announced !== rings.written && Atomics.load(listening, 0) === 0) port.postMessage(null)
    announced = rings.written
    pendingSince = 0
  }
  let head = 0
  // Adaptive spin: the next spin lasts twice the last gap between calls (at least the base),
  // while gaps stay under the cap; a longer gap goes back to the base. Steady traffic keeps the
  // worker awake between calls, so neither thread pays a futex wake-up; an idle one sleeps.
  let spin = spinMicros
  const cap = spinMicros === 0 ? 0 : Math.max(spinMicros, MAX_SPIN_MICROS) // 0: never spin
  for (;;) {
    const idleSince = performance.now()
    const spinUntil = idleSince + spin / 1000
    while (Atomics.load(flags, STATE.doorbell) === head && performance.now() < spinUntil) {
      // Calls queueing: the next is a batch anyway, and the core is better spent on the main
      // thread (and, on a small machine, on the clients) than on a spin. A lone call keeps the
      // tight spin: its latency is the lowest (a futex wake-up takes 50-150 µs here).
      if (Atomics.load(flags, STATE.crowded) === 1) {
        Atomics.wait(flags, STATE.doorbell, head, NAP_MS)
      }
    }
    // Said before waiting, and the doorbell checked again by the wait itself: a call posted
    // after this store sees it and wakes us; one posted before it fails the wait's comparison.
    Atomics.store(flags, STATE.sleeping, 1)
    Atomics.wait(flags, STATE.doorbell, head)
    Atomics.store(flags, STATE.sleeping, 0)
    const gap = (performance.now() - idleSince) * 1000
    spin = gap > cap ? spinMicros : Math.min(cap, Math.max(spinMicros, 2 * gap))
    while (Atomics.load(flags, STATE.doorbell) !== head) {
      const record = rings.call(head)
      head = (head + 1) | 0
      let call: CallMessage
      if (record === null) {
        call = fromPort()
        if (call.handle !== undefined) keys.set(call.handle, call.key)
        for (const key of call.evict ?? []) {
          for (const [handle, held] of keys) if (held === key) keys.delete(handle)
        }
      } else {
        const { id, runtime, handle, input, timeoutMs } = record
        call = { id, key: keys.get(handle) ?? '', runtime, input, timeoutMs }
      }
      // Replies not yet seen are announced before a call that may run long (the last one did)
      // and whenever the main thread is idle; under load, short calls' replies go together.
      if (
        announced !== rings.written &&
        (lastMicros >= FLUSH_MICROS ||
          Atomics.load(listening, 0) === 0 ||
          (performance.now() - pendingSince) * 1000 >= FLUSH_MICROS)
      ) {
        flush()
      }
      Atomics.store(stamps, STATE.startedNs, process.hrtime.bigint())
      Atomics.store(flags, STATE.runningId, call.id)
      let reply = handle(call)
      if (reply instanceof Promise) reply = await reply
      Atomics.store(flags, STATE.runningId, 0)
      lastMicros = reply.micros
      if (pendingSince === 0) pendingSince = performance.now()
      if (rings.reply(reply)) {
        attached.push(reply)
        if (reply.ok && reply.output !== null) transfer.push(reply.output)
      } else if (attached.length === 0) {
        Atomics.store(flags, STATE.replies, rings.written) // seen by a polling main thread at once
      }
    }
    flush()
  }
}
