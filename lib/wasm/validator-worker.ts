import { parentPort } from 'node:worker_threads'
import { SwarmError } from '../errors.js'
import { validate } from './policy.js'
import type { ValidateReply, ValidateRequest } from './validator.js'

/** Runs the deploy-time policy off the main thread: parsing a large module takes 100s of ms. */
const port = parentPort
if (port === null) throw new Error('lib/wasm/validator-worker.ts runs only as a worker thread')

port.on('message', async ({ id, bytes, options }: ValidateRequest) => {
  let reply: ValidateReply
  try {
    reply = { id, ok: true, fn: await validate(bytes, options) }
  } catch (err) {
    reply =
      err instanceof SwarmError
        ? { id, ok: false, code: err.code, message: err.message }
        : { id, ok: false, code: 'EXECUTOR_WORKER_FAILED', message: String(err) }
  }
  // The bytes that run are moved back, not copied: cloning 50 MB costs the receiver ~80 ms.
  port.postMessage(reply, reply.ok ? [reply.fn.bytes.buffer as ArrayBuffer] : [])
})
