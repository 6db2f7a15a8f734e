import { Piscina } from 'piscina'
import { INTERNAL, INVALID_REQUEST } from '../errors.js'

/**
 * Bodies up to this size are parsed on the gateway's thread: the costliest JSON this small (32k
 * nested arrays) parses in about 10 ms. Larger ones go to the JSON worker.
 */
export const PLAIN_PARSE_BYTES = 64 * 1024
/** Replies holding up to this many array items are encoded on the gateway's thread. */
export const PLAIN_ENCODE_ITEMS = 64 * 1024

/** Gateway → JSON worker. */
export type JsonTask = { op: 'parse'; body: Uint8Array } | { op: 'encode'; value: unknown }

/** What the JSON worker makes of a body. */
export type ParsedJson =
  { ok: true; value: unknown } | { ok: false; error: 'invalid' | 'costly'; message: string }

/**
 * Request and reply JSON, parsed and encoded so that no body stalls the gateway's event loop.
 * Small bodies take JSON.parse on the spot. Larger ones (up to 6 MB) are parsed on a worker
 * thread (Piscina), where 6 MB of 3M nested arrays can take a second without harm; what comes
 * back is cheap to receive: arrays of numbers arrive as Int32Array (all 32-bit integers) or
 * Float64Array, and at most 10,000 other values (see lib/gateway/json-worker.ts). Replies with
 * large typed arrays (an array-output function's result) are encoded there too.
 */
export class JsonCodec {
  private readonly pool = new Piscina<JsonTask, ParsedJson | Uint8Array>({
    filename: new URL('./json-worker.js', import.meta.url).href,
    minThreads: 1,
    maxThreads: 2,
    idleTimeout: 60_000,
    resourceLimits: { maxOldGenerationSizeMb: 1024 }
  })

  /** Parses a request body; malformed or costly JSON is an INVALID_REQUEST error. */
  async parse(body: Buffer): Promise<unknown> {
    if (body.length === 0) throw INVALID_REQUEST('the body is empty; JSON was expected')
    if (body.length <= PLAIN_PARSE_BYTES) {
      try {
        return JSON.parse(body.toString('utf8'))
      } catch (err) {
        throw invalid((err as Error).message, err)
      }
    }
    const parsed = (await this.run({ op: 'parse', body })) as ParsedJson
    if (parsed.ok) return parsed.value
    if (parsed.error === 'invalid') throw invalid(parsed.message)
    throw INVALID_REQUEST(
      `a body over ${PLAIN_PARSE_BYTES} bytes is parsed only when cheap to use, and ${parsed.message} (send a large dataset as one array of integers, or as i32le)`
    )
  }

  /** JSON bytes for a reply body; typed arrays in it become JSON arrays. */
  async encode(value: unknown): Promise<Buffer> {
    const items = typedItems(value)
    if (items === 0) return Buffer.from(JSON.stringify(value)) // the hot path: a scalar result
    if (items <= PLAIN_ENCODE_ITEMS) return Buffer.from(encodeJson(value))
    const bytes = (await this.run({ op: 'encode', value })) as Uint8Array
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  /** Stops the worker threads; tasks still queued fail. */
  async close(): Promise<void> {
    await this.pool.destroy()
  }

  private async run(task: JsonTask): Promise<ParsedJson | Uint8Array> {
    try {
      return await this.pool.run(task)
    } catch (err) {
      throw INTERNAL(err) // the worker died (it has a heap of its own, far above what 6 MB needs)
    }
  }
}

function invalid(message: string, cause?: unknown) {
  return INVALID_REQUEST(`the body is not valid JSON (${message})`, cause)
}

/** Items in the typed arrays among a reply body's top two levels (where results sit). */
function typedItems(value: unknown, depth = 0): number {
  if (ArrayBuffer.isView(value)) return (value as unknown as ArrayLike<number>).length
  if (typeof value !== 'object' || value === null || depth > 1) return 0
  let items = 0
  for (const member of Object.values(value)) items += typedItems(member, depth + 1)
  return items
}

/**
 * JSON text for a value whose typed arrays become JSON arrays. TypedArray.prototype.join writes
 * the numbers natively, far faster than JSON.stringify over Array.from's copy: each typed array
 * leaves a marker string in the skeleton, and the markers are replaced by the joined numbers.
 * The text comes back in a buffer of its own (not Buffer's shared pool), so it can be moved.
 */
export function encodeJson(value: unknown): Uint8Array {
  const arrays: ArrayLike<number>[] = []
  // A random marker: no string in the value can pose as one.
  const marker = `swarm-array-${crypto.randomUUID()}-`
  const skeleton = JSON.stringify(value, (_key, item: unknown) => {
    if (ArrayBuffer.isView(item) && !(item instanceof DataView)) {
      arrays.push(item as unknown as ArrayLike<number>)
      return `${marker}${arrays.length - 1}`
    }
    return item
  })
  const text = new TextEncoder()
  if (arrays.length === 0) return text.encode(skeleton)
  const parts = skeleton.split(new RegExp(`"${marker}(\\d+)"`))
  for (let i = 1; i < parts.length; i += 2) {
    parts[i] = `[${Array.prototype.join.call(arrays[Number(parts[i])], ',')}]`
  }
  return text.encode(parts.join(''))
}

/** Narrows a parsed JSON value to an object. */
export function asObject(value: unknown, what: string): Record<string, unknown> {
  if (
    typeof value !== 'object' ||
    value === null ||
    Array.isArray(value) ||
    ArrayBuffer.isView(value)
  ) {
    throw INVALID_REQUEST(`${what} must be a JSON object`)
  }
  return value as Record<string, unknown>
}
