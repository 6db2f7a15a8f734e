import { performance } from 'node:perf_hooks'
import { deflateRawSync } from 'node:zlib'
import { zipSync } from 'fflate'
import t from 'tap'
import { parseDataset } from '../../lib/dataset.js'
import { SwarmError } from '../../lib/errors.js'
import { parseJson } from '../../lib/gateway/aws.js'
import { wasmFromCode } from '../../lib/gateway/zip.js'
import { SUM } from './bodies.js'
import { mutate, Rng } from './support.js'

/**
 * The parsers the hostile suite changed, on their own: the large-body JSON path must agree with
 * JSON.parse on every mutated body (integer arrays come back as Int32Arrays), the costly-shape
 * screen must refuse only large bodies, and the zip reader must refuse every broken archive with
 * a coded error, never a TypeError or a RangeError, and never inflate past the size it claims.
 */

const SEED = 0x9a45_8002
const PAD = Buffer.alloc(66_000, 0x20) // past the size where the fast path and the screen apply

/** JSON.parse's view of a value: Int32Arrays as arrays (and -0 as 0, as an Int32Array holds it). */
function plain(value: unknown): unknown {
  if (value instanceof Int32Array) return Array.from(value)
  if (Array.isArray(value)) return value.map(plain)
  if (typeof value === 'number' && Object.is(value, -0)) return 0
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(value)) {
      Object.defineProperty(out, key, {
        value: plain((value as Record<string, unknown>)[key]),
        enumerable: true
      })
    }
    return out
  }
  return value
}

function outcome(parse: () => unknown): string {
  try {
    return JSON.stringify(plain(parse()))
  } catch (err) {
    return err instanceof SwarmError
      ? err.code
      : `${(err as Error).name}: ${(err as Error).message}`
  }
}

t.test('large JSON bodies: the fast path agrees with JSON.parse on mutated bodies', (t) => {
  const rng = new Rng(SEED)
  const bases = [
    '[1,2,3,-4,0,2147483647,-2147483648]',
    '{"dataset":[1,2,3],"function":"sum"}',
    '{"name":"x","wasm_base64":"AGFzbQ==","timeoutMs":3,"x":null,"y":true,"z":1.5e3}',
    '{"a":"\\u0041","dataset":[1]}',
    '[ 1 , 2 ,3 ]',
    '{"__proto__":[1,2],"a":1,"a":[3]}',
    '{"dataset":[],"b":[-0,0]}',
    '{"a":[1],"b":[2,3],"c":[],"d":"x","e":[-2147483648,2147483647]}'
  ]
  let fast = 0
  const disagreements: string[] = []
  for (let i = 0; i < 5_000; i++) {
    const base = Buffer.from(rng.pick(bases))
    const body = i % 4 === 0 ? base : mutate(rng, base, true)
    const padded = Buffer.concat(i % 2 === 0 ? [body, PAD] : [PAD, body])
    let value: unknown = null
    const ours = outcome(() => (value = parseJson(padded)))
    const theirs = outcome(() => {
      try {
        return JSON.parse(padded.toString('utf8'))
      } catch {
        throw new SwarmError('INVALID_REQUEST', 'malformed')
      }
    })
    if (ours !== theirs && disagreements.length < 10) {
      disagreements.push(`${JSON.stringify(body.toString())}: ${ours} vs ${theirs}`)
    }
    const fields = typeof value === 'object' && value !== null ? Object.values(value) : []
    if (value instanceof Int32Array || fields.some((v) => v instanceof Int32Array)) fast++
  }
  t.same(disagreements, [], 'the same value, or both malformed')
  t.ok(fast > 500, `the fast path read ${fast} bodies`)
  t.end()
})

t.test('the screen refuses costly large bodies at once, and only large ones', (t) => {
  const costly = '[' + '[],'.repeat(20_000) + '[]]' // 60 KB: under the limit
  t.type(parseJson(Buffer.from(costly)), Array, 'a small costly body parses')
  for (const [what, body] of [
    ['nested arrays', '['.repeat(100_000) + ']'.repeat(100_000)],
    ['objects', '[' + '{},'.repeat(30_000) + '{}]'],
    ['strings', '[' + '"",'.repeat(30_000) + '""]'],
    ['keys', '{' + Array.from({ length: 20_000 }, (_, i) => `"k${i}":1`).join(',') + '}'],
    ['escapes', '{"a":"' + '\\n'.repeat(40_000) + '"}']
  ] as const) {
    const started = performance.now()
    const refusal = { code: 'INVALID_REQUEST', message: /may hold at most/ }
    t.throws(() => parseJson(Buffer.from(body)), refusal, `${what}: refused by the screen`)
    t.comment(`${what}: refused in ${(performance.now() - started).toFixed(1)} ms`)
  }
  const dataset = parseJson(Buffer.from(`{"dataset":[${'7,'.repeat(100_000)}7]}`))
  t.type((dataset as { dataset: unknown }).dataset, Int32Array, 'a large dataset is read as i32')
  t.end()
})

t.test('dataset items are described without echoing them', (t) => {
  const deep = JSON.parse('['.repeat(100_000) + ']'.repeat(100_000)) as unknown
  t.throws(() => parseDataset([1, deep]), {
    code: 'INVALID_DATASET',
    message: 'Invalid dataset: item 1 (an array) is not a 32-bit integer'
  })
  t.throws(() => parseDataset(['x'.repeat(1_000_000)]), {
    message: 'Invalid dataset: item 0 (a string of 1000000 characters) is not a 32-bit integer'
  })
  t.throws(() => parseDataset([Infinity]), { message: /item 0 \(Infinity\)/ })
  t.end()
})

t.test('zips: mutated archives are refused with a code, bombs without inflating them', (t) => {
  const rng = new Rng(SEED + 1)
  for (const level of [0, 6, 9] as const) {
    const zip = zipSync({ 'dir/sum.wasm': [SUM, { level }], 'README.md': new Uint8Array(10) })
    t.same(Buffer.from(wasmFromCode(zip)), Buffer.from(SUM), `level ${level}: the module`)
  }
  const zip = zipSync({ 'sum.wasm': SUM })
  const untyped: string[] = []
  for (let i = 0; i < 5_000; i++) {
    const bytes = mutate(rng, zip)
    try {
      const wasm = wasmFromCode(bytes)
      if (wasm.length > 50 * 1024 * 1024) untyped.push(`#${i}: ${wasm.length} bytes`)
    } catch (err) {
      if (!(err instanceof SwarmError) || err.code !== 'INVALID_PARAMETER') {
        untyped.push(`#${i}: ${(err as Error).name}: ${(err as Error).message}`)
      }
    }
  }
  t.same(untyped.slice(0, 10), [], 'every mutated zip: a module or INVALID_PARAMETER')

  // A 49 MiB stream whose directory claims 100 bytes: inflating stops at 101.
  const stream = deflateRawSync(Buffer.alloc(49 * 1024 * 1024), { level: 9 })
  const lying = zipWith(stream, 100)
  const started = performance.now()
  // The message says inflating stopped one byte past the claim: the 49 MiB were never made.
  t.throws(() => wasmFromCode(lying), {
    code: 'INVALID_PARAMETER',
    message: /more than the 100 bytes/
  })
  t.comment(`a lying bomb refused in ${(performance.now() - started).toFixed(1)} ms`)
  t.throws(() => wasmFromCode(zipWith(stream, 60 * 1024 * 1024)), { message: /unzips to over/ })
  t.end()
})

/** A one-entry zip around a raw deflate stream, its directory claiming `size` bytes. */
function zipWith(stream: Buffer, size: number): Buffer {
  const zip = Buffer.from(zipSync({ 'bomb.wasm': [new Uint8Array(1), { level: 9 }] }))
  const local = zip.subarray(0, 30 + 9)
  const central = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]))
  const directory = Buffer.from(zip.subarray(central))
  const head = Buffer.from(local)
  for (const [buffer, at] of [
    [head, 18],
    [directory, 20]
  ] as const) {
    buffer.writeUInt32LE(stream.length, at)
    buffer.writeUInt32LE(size, at + 4)
  }
  const end = directory.length - 22
  directory.writeUInt32LE(head.length + stream.length, end + 16)
  return Buffer.concat([head, stream, directory])
}
