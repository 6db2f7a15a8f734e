import { performance } from 'node:perf_hooks'
import { receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads'
import { STATE, type CallBatch, type ReplyBatch, type WorkerData } from './protocol.js'
import { Runner } from './runner.js'

/**
 * Worker body. It never returns to its event loop: it waits on a shared doorbell and drains its
 * port synchronously, spinning briefly first, because a futex wake-up here costs more than a
 * tiny call. Around each call it publishes which call runs and since when, for the deadline check.
 */

/**
 * The longest a worker spins for its next call (the adaptive spin's cap): calls arriving closer
 * together than this never wait for a thread wake-up (50-150 µs each way on a small VM).
 */
const MAX_SPIN_MICROS = 2_000
/** Replies wait for the rest of their batch at most this long, so one post carries many. */
const FLUSH_MICROS = 200

const { port, state, spinMicros } = workerData as WorkerData
const flags = new Int32Array(state)
const stamps = new BigInt64Array(state)
const runner = new Runner()

serve(port)

function serve(port: MessagePort): never {
  let seen = 0
  // Adaptive spin: the next spin lasts twice the last gap between calls (at least the base),
  // while gaps stay under the cap; a longer gap goes back to the base. Steady traffic keeps the
  // worker awake between calls, so neither thread pays a futex wake-up; an idle one sleeps.
  let spin = spinMicros
  const cap = Math.max(spinMicros, MAX_SPIN_MICROS)
  for (;;) {
    const idleSince = performance.now()
    const spinUntil = idleSince + spin / 1000
    while (Atomics.load(flags, STATE.doorbell) === seen && performance.now() < spinUntil);
    Atomics.wait(flags, STATE.doorbell, seen)
    const gap = (performance.now() - idleSince) * 1000
    spin = gap > cap ? spinMicros : Math.min(cap, Math.max(spinMicros, 2 * gap))
    seen = Atomics.load(flags, STATE.doorbell)
    let replies: ReplyBatch = []
    let transfer: ArrayBuffer[] = []
    let firstReplyAt = 0
    for (let entry = receiveMessageOnPort(port); entry; entry = receiveMessageOnPort(port)) {
      for (const call of entry.message as CallBatch) {
        Atomics.store(stamps, STATE.startedNs, process.hrtime.bigint())
        Atomics.store(flags, STATE.runningId, call.id)
        const reply = runner.handle(call)
        Atomics.store(flags, STATE.runningId, 0)
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
