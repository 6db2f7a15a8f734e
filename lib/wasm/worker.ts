import { performance } from 'node:perf_hooks'
import { receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads'
import { STATE, type CallBatch, type ReplyBatch, type WorkerData } from './protocol.js'
import { Runner } from './runner.js'

/**
 * Worker body. It never returns to its event loop: it waits on a shared doorbell and drains its
 * port synchronously, spinning briefly first, because a futex wake-up here costs more than a
 * tiny call. Around each call it publishes which call runs and since when, for the deadline check.
 */

/** Replies wait for the rest of their batch at most this long, so one post carries many. */
const FLUSH_MICROS = 200

const { port, state, spinMicros } = workerData as WorkerData
const flags = new Int32Array(state)
const stamps = new BigInt64Array(state)
const runner = new Runner()

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
