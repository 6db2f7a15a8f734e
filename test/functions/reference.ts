// Plain TypeScript references for the example Wasm functions in functions/src.
// Integer maths uses Math.imul / `| 0` / `>>> 0` to match Wasm i32/u32 wrapping,
// and the f64 expressions keep the guest's exact operation order.
import { createHash } from 'node:crypto'

/** sum: wrapping i32 sum of all items. */
export function sumRef(ints: Int32Array): number {
  let acc = 0
  for (const v of ints) acc = (acc + v) | 0
  return acc
}

/** mandelbrot: [width, height, maxIter, xMin, yMin, xMax, yMax, row...] (micro-units) → iteration counts, row-major. */
export function mandelbrotRef(dataset: Int32Array): Int32Array {
  if (dataset.length < 7) return new Int32Array(0)
  const [width = 0, height = 0, maxIter = 0, xMin = 0, yMin = 0, xMax = 0, yMax = 0] = dataset
  if (width <= 0 || height <= 0) return new Int32Array(0)
  const x0 = xMin / 1e6
  const y0 = yMin / 1e6
  const x1 = xMax / 1e6
  const y1 = yMax / 1e6
  const rows = dataset.subarray(7)
  const out = new Int32Array(rows.length * width)
  let o = 0
  for (const y of rows) {
    const cy = y0 + ((y1 - y0) * y) / height
    for (let x = 0; x < width; x++) {
      const cx = x0 + ((x1 - x0) * x) / width
      let zr = 0
      let zi = 0
      let i = 0
      while (i < maxIter) {
        const zr2 = zr * zr
        const zi2 = zi * zi
        if (zr2 + zi2 > 4) break
        zi = 2 * zr * zi + cy
        zr = zr2 - zi2 + cx
        i++
      }
      out[o++] = i
    }
  }
  return out
}

function mix(x: number): number {
  x ^= x >>> 16
  x = Math.imul(x, 0x7feb352d)
  x ^= x >>> 15
  x = Math.imul(x, 0x846ca68b)
  x ^= x >>> 16
  return x >>> 0
}

/** matmul element generator: entry (i, j) of matrix `which` (0 = A, 1 = B) for `seed`, in -8..8. */
export function matmulGen(seed: number, which: number, i: number, j: number): number {
  let h = mix(seed ^ Math.imul(which + 1, 0x9e3779b9))
  h = mix(h ^ Math.imul(i + 1, 0x85ebca6b))
  h = mix(h ^ Math.imul(j + 1, 0xc2b2ae35))
  return (h % 17) - 8
}

/** matmul: [n, seed, row...] → the listed rows of C = A×B (n wrapping i32 each), row-major. */
export function matmulRef(dataset: Int32Array): Int32Array {
  if (dataset.length < 2) return new Int32Array(0)
  const [n = 0, seed = 0] = dataset
  if (n <= 0) return new Int32Array(0)
  const rows = dataset.subarray(2)
  const out = new Int32Array(rows.length * n)
  rows.forEach((row, r) => {
    for (let j = 0; j < n; j++) {
      let acc = 0
      for (let k = 0; k < n; k++) {
        acc = (acc + Math.imul(matmulGen(seed, 0, row, k), matmulGen(seed, 1, k, j))) | 0
      }
      out[r * n + j] = acc
    }
  })
  return out
}

/** sha256: [iterations, x...] → 8 i32 per x: SHA-256 of x's 4 LE bytes, re-hashed iterations-1 times, as big-endian words. */
export function sha256Ref(dataset: Int32Array): Int32Array {
  if (dataset.length < 1) return new Int32Array(0)
  const iterations = Math.max(1, dataset[0] ?? 1)
  const inputs = dataset.subarray(1)
  const out = new Int32Array(inputs.length * 8)
  inputs.forEach((x, n) => {
    const msg = Buffer.alloc(4)
    msg.writeInt32LE(x)
    let h = createHash('sha256').update(msg).digest()
    for (let i = 1; i < iterations; i++) h = createHash('sha256').update(h).digest()
    for (let w = 0; w < 8; w++) out[n * 8 + w] = h.readInt32BE(w * 4)
  })
  return out
}

// ---- ABI v2 examples with the AssemblyScript JSON SDK (functions/sdk) ---------------------------

/**
 * The event the SDK hands a JSON handler for a body: `{}` when empty, else JSON.parse of its text
 * decoded as TextDecoder does (a leading BOM skipped, invalid UTF-8 as U+FFFD). Throws when the
 * text is not JSON (the SDK then answers {"errorType":"InvalidJSON",...} without calling the handler).
 */
export function sdkEventRef(body: Uint8Array): unknown {
  return body.length === 0 ? {} : JSON.parse(new TextDecoder().decode(body))
}

function member(event: unknown, key: string): unknown {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return undefined
  return Object.hasOwn(event, key) ? (event as Record<string, unknown>)[key] : undefined
}

/** greet: the answer to an event, as the function writes it. */
export function greetRef(event: unknown): string {
  const name = member(event, 'name')
  const greeting = `Hello, ${typeof name === 'string' && name !== '' ? name : 'world'}!`
  return JSON.stringify({ greeting, length: greeting.length })
}

/** transform: the answer to an event, as the function writes it (f64 arithmetic, in order). */
export function transformRef(event: unknown): string {
  const items = member(event, 'items')
  const scale = member(event, 'scale')
  const k = typeof scale === 'number' ? scale : 1
  const scaled = (Array.isArray(items) ? items : [])
    .filter((x): x is number => typeof x === 'number')
    .map((x) => x * k)
  const sum = scaled.reduce((acc, x) => acc + x, 0)
  const max = scaled.length > 0 ? scaled.reduce((m, x) => Math.max(m, x), -Infinity) : null
  return JSON.stringify({ scaled, sum, max })
}
