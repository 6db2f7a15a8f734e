// The function's handler: registered once, at the top level of the function's file (that code
// runs in `_initialize`, which the host calls before each call's `alloc`), and called by
// `handle` (abi.ts) with the invocation's body.
import { decodeText, object, parseBytes, parseError, Value, write } from './json'
import { Out } from './out'

/** Takes the event (the body's JSON; `{}` for an empty body) and answers the reply's value. */
export type JsonHandler = (event: Value) => Value
/** Takes the body as text (UTF-8, decoded as TextDecoder does) and answers the reply's text. */
export type TextHandler = (body: string) => string
/** Takes the body's bytes and answers the reply's bytes. */
export type BytesHandler = (body: Uint8Array) => Uint8Array

let jsonHandler: JsonHandler | null = null
let textHandler_: TextHandler | null = null
let bytesHandler_: BytesHandler | null = null

/** Registers a JSON handler (replacing any other handler). */
export function handler(fn: JsonHandler): void {
  jsonHandler = fn
  textHandler_ = null
  bytesHandler_ = null
}

/** Registers a text handler (replacing any other handler). */
export function textHandler(fn: TextHandler): void {
  jsonHandler = null
  textHandler_ = fn
  bytesHandler_ = null
}

/** Registers a bytes handler (replacing any other handler). */
export function bytesHandler(fn: BytesHandler): void {
  jsonHandler = null
  textHandler_ = null
  bytesHandler_ = fn
}

/**
 * Runs the registered handler on the `len` bytes at `ptr`. A JSON handler is not called when the
 * body is not JSON: the answer is then {"errorType":"InvalidJSON","errorMessage":"<why> at byte
 * <offset>"}. No handler registered: a trap.
 */
export function dispatch(ptr: usize, len: usize): Out {
  const out = new Out()
  const json = jsonHandler
  if (json !== null) {
    const event = len == 0 ? object() : parseBytes(ptr, len)
    if (event === null) {
      out.ascii('{"errorType":"InvalidJSON","errorMessage":')
      out.text(parseError(), true)
      out.byte(0x7d)
    } else write(out, json(event))
    return out
  }
  const text = textHandler_
  if (text !== null) {
    out.text(text(decodeText(ptr, len)), false)
    return out
  }
  const bytes = bytesHandler_
  if (bytes !== null) {
    const body = new Uint8Array(<i32>len)
    memory.copy(body.dataStart, ptr, len)
    const reply = bytes(body)
    out.bytes(reply.dataStart, reply.byteLength)
    return out
  }
  unreachable()
  return out
}
