import { move, transferableSymbol, valueSymbol } from 'piscina'
import { encodeJson, type JsonTask, type ParsedJson } from './json.js'

/**
 * The JSON worker (run by Piscina, see lib/gateway/json.ts): parses and encodes large bodies off
 * the gateway's thread. What it sends back must be cheap for the gateway to receive: number
 * arrays travel as typed arrays (moved, not copied), and anything else is limited to
 * MAX_CLONED_VALUES values, since the gateway's thread pays for each one it deserializes.
 */
export default function run(task: JsonTask): ParsedJson | Uint8Array {
  if (task.op === 'parse') return parse(task.body)
  return move(encodeJson(task.value)) as Uint8Array
}

/** At most this many values (strings, numbers, objects, …) outside number arrays come back. */
export const MAX_CLONED_VALUES = 10_000
/** Values nest at most this deep (the API's own bodies nest 3 deep). */
export const MAX_DEPTH = 64

const tooMany = `it holds more than ${MAX_CLONED_VALUES} values outside arrays of numbers`
const I32_MIN = -2_147_483_648
const I32_MAX = 2_147_483_647

function parse(body: Uint8Array): ParsedJson {
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'))
  } catch (err) {
    return { ok: false, error: 'invalid', message: (err as Error).message }
  }
  const transfer: ArrayBuffer[] = []
  const result = compact(value, transfer)
  if (typeof result === 'string') return { ok: false, error: 'costly', message: result }
  const parsed: ParsedJson = { ok: true, value: result.value }
  // Piscina's Transferable interface: the typed arrays' buffers are moved with the answer.
  return move({
    get [transferableSymbol]() {
      return transfer
    },
    get [valueSymbol]() {
      return parsed
    }
  }) as unknown as ParsedJson
}

/**
 * Replaces every non-empty array of numbers with an Int32Array (all 32-bit integers) or a
 * Float64Array (exact for any JSON number), and counts the other values. Iterative: a body may
 * nest arrays 3M deep. Returns why it refuses, as a string, when a limit is passed.
 */
function compact(root: unknown, transfer: ArrayBuffer[]): { value: unknown } | string {
  const holder: { value: unknown } = { value: root }
  const stack: {
    parent: Record<string, unknown> | unknown[]
    key: string | number
    depth: number
  }[] = [{ parent: holder as unknown as Record<string, unknown>, key: 'value', depth: 0 }]
  let values = 0
  while (stack.length > 0) {
    const { parent, key, depth } = stack.pop()!
    const value = (parent as Record<string | number, unknown>)[key]
    if (++values > MAX_CLONED_VALUES) return tooMany
    if (typeof value !== 'object' || value === null) continue
    if (depth >= MAX_DEPTH) return `it nests deeper than ${MAX_DEPTH} levels`
    if (Array.isArray(value)) {
      const typed = numbers(value)
      if (typed !== null) {
        transfer.push(typed.buffer as ArrayBuffer)
        ;(parent as Record<string | number, unknown>)[key] = typed
        continue
      }
      if (values + value.length > MAX_CLONED_VALUES) return tooMany // before stacking 3M items
      for (let i = 0; i < value.length; i++) stack.push({ parent: value, key: i, depth: depth + 1 })
      continue
    }
    const names = Object.keys(value)
    values += names.length // the members' names
    if (values + names.length > MAX_CLONED_VALUES) return tooMany
    for (const name of names) {
      stack.push({ parent: value as Record<string, unknown>, key: name, depth: depth + 1 })
    }
  }
  return holder
}

/** A typed copy of an array of numbers; null when it is empty or holds anything else. */
function numbers(array: unknown[]): Int32Array | Float64Array | null {
  if (array.length === 0) return null
  let integers = true
  for (const item of array) {
    if (typeof item !== 'number') return null
    if (integers && (!Number.isInteger(item) || item < I32_MIN || item > I32_MAX)) integers = false
  }
  return integers ? Int32Array.from(array as number[]) : Float64Array.from(array as number[])
}
