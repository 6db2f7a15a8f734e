import { MAX_OUTPUT_BYTES } from '../wasm/runner.js'
import type { CallOutcome } from './contract.js'

const UTF8 = new TextEncoder()

/**
 * A handler's JSON answer as a call's outcome: encoded into a buffer of its own (never Node's
 * shared pool: it is transferred as it is), or FUNCTION_BAD_OUTPUT over the output limit.
 */
export function answerOf(body: string, logs: { logs?: string }): CallOutcome {
  const bytes = UTF8.encode(body)
  if (bytes.length > MAX_OUTPUT_BYTES) {
    return {
      ok: false,
      code: 'FUNCTION_BAD_OUTPUT',
      message: `The function's output is invalid: the response is ${bytes.length} bytes, over the ${MAX_OUTPUT_BYTES}-byte limit`,
      ...logs
    }
  }
  const output = bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer : bytes.slice().buffer
  return { ok: true, result: bytes.length, output, ...logs }
}
