import { createHash } from 'node:crypto'
import { parentPort } from 'node:worker_threads'
import { encode } from '../wire/codec.js'
import { codeBundle } from '../wire/function-record.js'
import { SwarmError } from '../errors.js'
import { compileEngine, Engine } from '../runtimes/js/engine.js'
import { checkJs } from '../runtimes/js/validate.js'
import { validate } from './policy.js'
import type { ValidateReply, ValidateRequest } from './validator.js'

/**
 * Runs the deploy-time checks off the main thread: parsing a large module takes 100s of ms, and
 * loading a JS handler runs the function's own top-level code (in QuickJS, under a deadline).
 */
const port = parentPort
if (port === null) throw new Error('lib/wasm/validator-worker.ts runs only as a worker thread')

let engine: Promise<Engine> | null = null

port.on('message', async (request: ValidateRequest) => {
  const { id } = request
  let reply: ValidateReply
  try {
    if (request.kind === 'wasm') {
      reply = { id, ok: true, fn: await validate(request.bytes, request.options) }
    } else {
      if (request.kind === 'nodejs') {
        engine ??= compileEngine().then((compiled) => Engine.load(compiled))
        await checkJs(await engine, request.source, request.timeoutMs)
      }
      const files = request.kind === 'nodejs' ? request.source.files : request.files
      // A copy of its own: a small Buffer may share Node's pool, which must not be transferred.
      const bytes = new Uint8Array(encode(codeBundle, files))
      const sha256 = createHash('sha256').update(bytes).digest('hex')
      reply = { id, ok: true, fn: null, bundle: { bytes, sha256 } }
    }
  } catch (err) {
    reply =
      err instanceof SwarmError
        ? { id, ok: false, code: err.code, message: err.message }
        : { id, ok: false, code: 'EXECUTOR_WORKER_FAILED', message: String(err) }
  }
  // The bytes that run are moved back, not copied: cloning 50 MB costs the receiver ~80 ms.
  const transfer = !reply.ok
    ? []
    : reply.fn !== null
      ? [reply.fn.bytes.buffer]
      : reply.bundle
        ? [reply.bundle.bytes.buffer]
        : []
  port.postMessage(reply, transfer as ArrayBuffer[])
})
