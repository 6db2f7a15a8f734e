import { INVALID_DATASET } from './errors.js'

/** The largest dataset accepted as JSON, in items (a binary encoding is the way past this). */
export const MAX_JSON_DATASET_ITEMS = 10_000_000

/** Refuses an empty dataset: there is nothing to run it on. */
export function requireItems(dataset: Int32Array): Int32Array {
  if (dataset.length === 0) throw INVALID_DATASET('the dataset is empty')
  return dataset
}

/**
 * Narrows a parsed JSON value to an ABI v1 dataset: an array of integers that fit in an i32.
 * The first offending item is named, so a client can find it.
 */
export function parseDataset(value: unknown): Int32Array {
  // A large body's number arrays come from the JSON worker typed (lib/gateway/json.ts).
  if (value instanceof Int32Array) return value
  if (!Array.isArray(value) && !(value instanceof Float64Array))
    throw INVALID_DATASET('the dataset must be a JSON array of integers')
  if (value.length > MAX_JSON_DATASET_ITEMS) {
    throw INVALID_DATASET(`the dataset has ${value.length} items, over ${MAX_JSON_DATASET_ITEMS}`)
  }
  const out = new Int32Array(value.length)
  const items: ArrayLike<unknown> = value
  for (let i = 0; i < items.length; i++) {
    const item = items[i]
    if (
      typeof item !== 'number' ||
      !Number.isInteger(item) ||
      item < -2_147_483_648 ||
      item > 2_147_483_647
    ) {
      throw INVALID_DATASET(`item ${i} (${describe(item)}) is not a 32-bit integer`)
    }
    out[i] = item
  }
  return out
}

/**
 * A short, bounded description of an offending item. Not JSON.stringify: a 100k-deep nested
 * array would overflow the stack (a RangeError, then a 500) and a 6 MB string would be echoed.
 */
function describe(item: unknown): string {
  if (Array.isArray(item)) return 'an array'
  if (item === null) return 'null'
  if (typeof item === 'object') return 'an object'
  if (typeof item === 'string') {
    return item.length > 32 ? `a string of ${item.length} characters` : JSON.stringify(item)
  }
  return String(item)
}
