import { performance } from 'node:perf_hooks'
import { deflateRawSync } from 'node:zlib'
import { zipSync } from 'fflate'
import t from 'tap'
import { parseDataset } from '../../lib/dataset.js'
import { SwarmError } from '../../lib/errors.js'
import { encodeJson, JsonCodec } from '../../lib/gateway/json.js'
import { wasmFromCode } from '../../lib/gateway/zip.js'
import { SUM } from './bodies.js'
import { mutate, Rng } from './support.js'

/**
 * The parsers the hostile suite changed, on their own: the JSON worker's view of a large body
 * must be JSON.parse's on every mutated body (number arrays come back typed), its limits must
 * refuse only large bodies, the reply encoder must write what JSON.stringify would, and the zip
 * reader must refuse every broken archive with a coded error, never a TypeError or a RangeError,
 * and never inflate past the size it claims.
 */

const json = new JsonCodec()
t.teardown(() => json.close())

const SEED = 0x9a45_8002
const PAD = Buffer.alloc(66_000, 0x20) // past the size where the JSON worker takes a body

/** JSON.parse's view of a value: typed arrays as arrays (and -0 as 0, as an Int32Array holds it). */
function plain(value: unknown): unknown {
  if (value instanceof Int32Array || value instanceof Float64Array) return plain(Array.from(value))
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

async function outcome(parse: () => unknown): Promise<string> {
  try {
    return JSON.stringify(plain(await parse()))
  } catch (err) {
    return err instanceof SwarmError
      ? err.code
      : `${(err as Error).name}: ${(err as Error).message}`
  }
}

t.test('large JSON bodies: the worker agrees with JSON.parse on mutated bodies', async (t) => {
  const rng = new Rng(SEED)
  const bases = [
    '[1,2,3,-4,0,2147483647,-2147483648]',
    '{"dataset":[1,2,3],"function":"sum"}',
    '{"name":"x","wasm_base64":"AGFzbQ==","timeoutMs":3,"x":null,"y":true,"z":1.5e3}',
    '{"a":"\\u0041","dataset":[1]}',
    '[ 1 , 2 ,3 ]',
    '{"__proto__":[1,2],"a":1,"a":[3]}',
    '{"dataset":[],"b":[-0,0]}',
    '{"a":[1],"b":[2,3],"c":[],"d":"x","e":[-2147483648,2147483647]}',
    '{"f":[1.5,2],"g":[2147483648],"h":[1,"x"],"i":[[1,2],[3]]}'
  ]
  let fast = 0
  const disagreements: string[] = []
  for (let i = 0; i < 2_000; i++) {
    const base = Buffer.from(rng.pick(bases))
    const body = i % 4 === 0 ? base : mutate(rng, base, true)
    const padded = Buffer.concat(i % 2 === 0 ? [body, PAD] : [PAD, body])
    let value: unknown = null
    const ours = await outcome(async () => (value = await json.parse(padded)))
    const theirs = await outcome(() => {
      try {
        return JSON.parse(padded.toString('utf8'))
      } catch {
        throw new SwarmError('INVALID_REQUEST', 'malformed')
      }
    })
    if (ours !== theirs && disagreements.length < 10) {
      disagreements.push(`${JSON.stringify(body.toString())}: ${ours} vs ${theirs}`)
    }
    const typed = (v: unknown) => v instanceof Int32Array || v instanceof Float64Array
    const fields = typeof value === 'object' && value !== null ? Object.values(value) : []
    if (typed(value) || fields.some(typed)) fast++
  }
  t.same(disagreements, [], 'the same value, or both malformed')
  t.ok(fast > 500, `${fast} bodies came back with typed arrays`)
})

t.test('the worker refuses large bodies costly to receive, and only large ones', async (t) => {
  const costly = '[' + '[],'.repeat(20_000) + '[]]' // 60 KB: parsed on the spot
  t.type(await json.parse(Buffer.from(costly)), Array, 'a small costly body parses')
  for (const [what, body, why] of [
    ['nested arrays', '['.repeat(100_000) + ']'.repeat(100_000), /nests deeper than 64/],
    ['objects', '[' + '{},'.repeat(30_000) + '{}]', /more than 10000 values/],
    ['strings', '[' + '"",'.repeat(30_000) + '""]', /more than 10000 values/],
    ['mixed', '[' + '1,"",'.repeat(30_000) + '1]', /more than 10000 values/],
    [
      'keys',
      '{' + Array.from({ length: 20_000 }, (_, i) => `"k${i}":1`).join(',') + '}',
      /more than 10000 values/
    ]
  ] as const) {
    const refusal = { code: 'INVALID_REQUEST', message: why }
    await t.rejects(json.parse(Buffer.from(body)), refusal, `${what}: refused`)
  }
  const escapes = (await json.parse(Buffer.from('{"a":"' + '\\n'.repeat(40_000) + '"}'))) as {
    a: string
  }
  t.equal(escapes.a, '\n'.repeat(40_000), 'one long string with escapes is one value')
  const dataset = await json.parse(Buffer.from(`{"dataset":[${'7,'.repeat(100_000)}7]}`))
  t.type((dataset as { dataset: unknown }).dataset, Int32Array, 'a large dataset comes as i32')
  const floats = await json.parse(Buffer.from(`[${'1.5,'.repeat(30_000)}2]`))
  t.type(floats, Float64Array, 'a large array of other numbers comes as f64')
  t.throws(() => parseDataset(floats), {
    code: 'INVALID_DATASET',
    message: 'Invalid dataset: item 0 (1.5) is not a 32-bit integer'
  })
  await t.rejects(json.parse(Buffer.concat([Buffer.from('[1,'), PAD])), {
    code: 'INVALID_REQUEST',
    message: /not valid JSON/
  })
})

t.test('replies: typed arrays are encoded as JSON.stringify writes arrays', async (t) => {
  const rng = new Rng(SEED + 2)
  const big = Int32Array.from({ length: 200_000 }, () => rng.int(2 ** 32) - 2 ** 31)
  const value = {
    result: big,
    partial: false,
    shards: [{ index: 0, edge: 'a "quoted" swarm-array-0 edge', items: 3 }],
    empty: new Int32Array(0),
    nested: { more: Int32Array.of(-1, 0, 1) }
  }
  const expected = JSON.stringify(value, (_k, v: unknown) =>
    v instanceof Int32Array ? Array.from(v) : v
  )
  t.equal(Buffer.from(encodeJson(value)).toString(), expected, 'on the spot')
  t.equal((await json.encode(value)).toString(), expected, 'on the worker (200,000 items)')
  t.equal((await json.encode({ result: 7 })).toString(), '{"result":7}', 'a scalar')
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

t.test(
  'zips: mutated archives are refused with a code, bombs without inflating them',
  async (t) => {
    const rng = new Rng(SEED + 1)
    for (const level of [0, 6, 9] as const) {
      const zip = zipSync({ 'dir/sum.wasm': [SUM, { level }], 'README.md': new Uint8Array(10) })
      t.same(Buffer.from(await wasmFromCode(zip)), Buffer.from(SUM), `level ${level}: the module`)
    }
    const zip = zipSync({ 'sum.wasm': SUM })
    const untyped: string[] = []
    for (let i = 0; i < 5_000; i++) {
      const bytes = mutate(rng, zip)
      try {
        const wasm = await wasmFromCode(bytes)
        if (wasm.length > 50 * 1024 * 1024) untyped.push(`#${i}: ${wasm.length} bytes`)
      } catch (err) {
        if (!(err instanceof SwarmError) || err.code !== 'INVALID_PARAMETER') {
          untyped.push(`#${i}: ${(err as Error).name}: ${(err as Error).message}`)
        }
      }
    }
    t.same(untyped.slice(0, 10), [], 'every mutated zip: a module or INVALID_PARAMETER')

    // A 49 MiB stream whose directory claims 100 bytes: yauzl stops it past 100.
    const stream = deflateRawSync(Buffer.alloc(49 * 1024 * 1024), { level: 9 })
    const lying = zipWith(stream, 100)
    const started = performance.now()
    await t.rejects(wasmFromCode(lying), {
      code: 'INVALID_PARAMETER',
      message: /bomb\.wasm: too many bytes in the stream\. expected 100\. got at least/
    })
    t.comment(`a lying bomb refused in ${(performance.now() - started).toFixed(1)} ms`)
    await t.rejects(wasmFromCode(zipWith(stream, 60 * 1024 * 1024)), { message: /unzips to over/ })
    const honest = await wasmFromCode(zipWith(stream, 49 * 1024 * 1024))
    t.equal(honest.length, 49 * 1024 * 1024, 'an honest 49 MiB entry inflates whole')
  }
)

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
