import type { IncomingHttpHeaders } from 'node:http'
import { parseDataset, requireItems } from '../dataset.js'
import { INVALID_DATASET, INVALID_REQUEST } from '../errors.js'
import { jsonEvent, type JsonEvent } from '../scheduler/shards.js'
import type { Reduce } from '../wire/function-record.js'
import type { JsonCodec } from './json.js'

/** Header that marks a binary dataset: raw little-endian i32, no JSON to parse. */
export const DATASET_ENCODING_HEADER = 'x-swarm-dataset-encoding'

/**
 * An invocation payload, parsed once into the function's input. ABI v1: `{"dataset": [ints]}`,
 * a bare JSON array, or raw little-endian i32 with `X-Swarm-Dataset-Encoding: i32le`; an empty
 * dataset is refused. ABI v2: the bytes as sent.
 */
export async function parsePayload(
  json: JsonCodec,
  abi: 'v1' | 'v2',
  body: Buffer,
  headers: IncomingHttpHeaders
): Promise<Int32Array | Uint8Array> {
  if (abi === 'v2') return new Uint8Array(body.buffer, body.byteOffset, body.byteLength)
  const encoding = headers[DATASET_ENCODING_HEADER]
  let dataset: Int32Array
  if (encoding !== undefined) {
    if (encoding !== 'i32le')
      throw INVALID_REQUEST(`unknown dataset encoding "${encoding}" (use i32le)`)
    if (body.length % 4 !== 0)
      throw INVALID_DATASET(`an i32le body must be a multiple of 4 bytes, not ${body.length}`)
    // Node runs on little-endian hosts only, so the bytes are the ints. A body with a buffer of
    // its own (the gateway gives one to any body of 4 KB or more) is viewed, not copied (1.4 ms
    // for 4 MB); a small one may sit unaligned in Node's shared pool, and is copied.
    if (body.byteOffset === 0 && body.byteLength === body.buffer.byteLength) {
      dataset = new Int32Array(body.buffer, 0, body.length / 4)
    } else {
      dataset = new Int32Array(body.length / 4)
      Buffer.from(dataset.buffer).set(body)
    }
  } else {
    const value = await json.parse(body)
    const items =
      typeof value === 'object' && value !== null && !Array.isArray(value) && 'dataset' in value
        ? (value as { dataset: unknown }).dataset
        : value
    dataset = parseDataset(items)
  }
  return requireItems(dataset)
}

/**
 * A JS function's event: the body as sent (the sandbox parses it, so a large event costs this
 * thread nothing; `{}` when empty, as AWS passes), parsed here too only when the function has a
 * reducer and the event may hold a `dataset` to shard.
 */
export async function parseEvent(
  json: JsonCodec,
  reduce: Reduce,
  body: Buffer
): Promise<{ input: Uint8Array; event: JsonEvent | null }> {
  const input = new Uint8Array(body.buffer, body.byteOffset, body.byteLength)
  if (reduce === 'none' || body.length === 0) return { input, event: null }
  return { input, event: jsonEvent(await json.parse(body)) }
}
