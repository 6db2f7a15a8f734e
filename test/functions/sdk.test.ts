// The AssemblyScript JSON SDK (functions/sdk) and its ABI v2 examples (functions/src/greet.ts,
// transform.ts, built by `node functions/build.mjs`): each is deployed on an in-process edge and
// every answer is compared, byte for byte, with the TypeScript reference. Then the SDK's JSON
// itself: a module answering JSON.stringify(JSON.parse(body)), compiled here with the build's
// flags, is run on generated documents, numbers and broken texts against JavaScript's own JSON.
import asc from 'assemblyscript/asc'
import { readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import t, { type Test } from 'tap'
import { parseModule } from '../../lib/wasm/module.js'
import { localEdge } from '../support/local-edge.js'
import { greetRef, sdkEventRef, transformRef } from './reference.js'

// Compiled to dist/test/functions/, so the repo root is three levels up.
const root = fileURLToPath(new URL('../../../', import.meta.url))
const built = (name: string) => readFile(join(root, 'functions', 'build', `${name}.wasm`))

const { http } = await localEdge(t)

const encode = (text: string) => Buffer.from(text, 'utf8')
const BOM = Buffer.from([0xef, 0xbb, 0xbf])

/** A body as a test name: quoted, non-ASCII as \u escapes (a raw U+2028 would end TAP's line). */
const label = (text: string) =>
  text.length > 80
    ? `${text.length} characters`
    : JSON.stringify(text).replace(
        /[^\x20-\x7e]/g,
        (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`
      )

/** What the SDK answers for a body that is not JSON. */
const invalid = (message: string) =>
  JSON.stringify({ errorType: 'InvalidJSON', errorMessage: message })

/** Bodies that are not JSON, and the SDK's message for each (offsets are UTF-8 bytes). */
const MALFORMED: Array<[string, string]> = [
  ['{"name":', 'Unexpected end of JSON input at byte 8'],
  ["{'name':'x'}", 'Unexpected character at byte 1'],
  ['{"items":[1,2,]}', 'Unexpected character at byte 14'],
  ['{"name":"x",}', 'Unexpected character at byte 12'],
  ['{"a":1} x', 'Unexpected character at byte 8'],
  ['{"a" 1}', 'Unexpected character at byte 5'],
  ['[01]', 'Bad number at byte 2'],
  ['[1.]', 'Bad number at byte 3'],
  ['[.5]', 'Unexpected character at byte 1'],
  ['[+1]', 'Unexpected character at byte 1'],
  ['[1e]', 'Bad number at byte 3'],
  ['-', 'Bad number at byte 1'],
  ['[NaN]', 'Unexpected character at byte 1'],
  ['nul', 'Unexpected end of JSON input at byte 3'],
  ['True', 'Unexpected character at byte 0'],
  ['"\\x"', 'Bad escape in string at byte 1'],
  ['"\\u12g4"', 'Bad escape in string at byte 1'],
  ['"a\nb"', 'Bad control character in string at byte 2'],
  ['"é', 'Unexpected end of JSON input at byte 3'],
  ['   ', 'Unexpected end of JSON input at byte 3'],
  ['\ufeff\ufeff{}', 'Unexpected character at byte 3']
]

/** Deploys a built example with the seed API, as README's curl line does. */
async function deploy(t: Test, name: string): Promise<void> {
  const wasm = await built(name)
  const created = await http('POST', '/functions', { name, wasm_base64: wasm.toString('base64') })
  t.equal(created.status, 201, `${name} deployed (${wasm.length} bytes)`)
  t.match(created.json(), { SwarmLambda: { abi: 'v2' } }, `${name} is ABI v2`)
}

const invoke = (name: string, body: Buffer) =>
  http('POST', `/2015-03-31/functions/${name}/invocations`, body)

/** Invokes `name` with each body and checks the answer against `ref` of the body's event. */
async function check(
  t: Test,
  name: string,
  ref: (event: unknown) => string,
  bodies: Array<string | Buffer>
): Promise<void> {
  for (const body of bodies) {
    const bytes = typeof body === 'string' ? encode(body) : body
    const answer = await invoke(name, bytes)
    const what = label(bytes.toString())
    t.equal(answer.status, 200, `${what}: 200`)
    t.equal(answer.text, ref(sdkEventRef(bytes)), `${what}: as the reference`)
  }
}

t.test('the built examples: no imports, no start section, the v2 exports', async (t) => {
  for (const name of ['greet', 'transform']) {
    const bytes = await built(name)
    const parsed = parseModule(new Uint8Array(bytes))
    t.same(parsed.imports, [], `${name}: imports nothing`)
    t.equal(parsed.hasStart, false, `${name}: no start section`)
    const exports = Object.fromEntries(parsed.exports.map((e) => [e.name, e.kind]))
    t.match(
      exports,
      { memory: 'memory', alloc: 'function', handle: 'function', _initialize: 'function' },
      `${name}: exports memory, alloc, handle and _initialize`
    )
    t.comment(`${name}.wasm: ${bytes.length} bytes`)
  }
})

t.test('greet', async (t) => {
  await deploy(t, 'greet')
  await check(t, 'greet', greetRef, [
    '{"name":"Ada"}',
    '',
    '{}',
    '{"name":""}',
    '{"name":null}',
    '{"name":42}',
    '{"name":["Ada"]}',
    '[]',
    '"Ada"',
    'null',
    '{"name":"Zoë"}',
    '{"name":"世界"}',
    '{"name":"🎉 party"}', // an astral character counts 2 in `length`, as in JS
    '{"name":"a\\"b\\\\c\\/d\\n\\t\\b\\f\\r\\u0000\\u001f\\u007f"}',
    '{"name":"\\u00e9\\u00C9 \\ud83d\\ude00"}', // escaped pair → the character, raw
    '{"name":"\\ud800 and \\udfff"}', // lone surrogates stay escaped, as JSON.stringify does
    '{"name":"\u2028\u2029"}',
    ' \t\r\n{ "name" : "spaced" } \n',
    '{"name":"first","name":"second"}',
    '{"other":1,"name":"x","extra":[1,{"deep":true}],"n":-0.5e-3}',
    Buffer.concat([BOM, encode('{"name":"after a BOM"}')]),
    Buffer.from([...encode('{"name":"bad '), 0xff, 0xc3, 0x28, 0xe2, 0x82, ...encode('!"}')]),
    '['.repeat(512) + ']'.repeat(512),
    `{"name":"${'x'.repeat(100_000)}"}`
  ])
})

t.test('transform', async (t) => {
  await deploy(t, 'transform')
  // A fixed pseudo-random sequence of doubles of every magnitude.
  let seed = 0x2545f491
  const random = () => {
    seed ^= seed << 13
    seed ^= seed >>> 17
    seed ^= seed << 5
    return (seed >>> 0) / 2 ** 32
  }
  const many = Array.from({ length: 5000 }, () => (random() - 0.5) * 10 ** (random() * 40 - 20))
  await check(t, 'transform', transformRef, [
    '{"items":[1,2,3],"scale":2}',
    '{"items":[],"scale":5}',
    '{}',
    '',
    '{"items":[0.1,0.2,0.3]}',
    '{"items":[-1.5,2.25,-0,1e-7,123456789.125,0.000001],"scale":-0.1}',
    '{"items":[1E2,1e+2,1e-2,-0.0e5,5e-324,2.5e-323],"scale":0.5}',
    '{"items":[1e21,9007199254740993,123456789012345680000],"scale":1}',
    '{"items":[1.7976931348623157e308,1],"scale":10}', // Infinity: null, as JSON.stringify writes it
    '{"items":[1e400],"scale":0}', // Infinity × 0: NaN, null
    '{"items":[1,"2",null,true,[3],{"n":4},5],"scale":"x"}',
    '{"items":"nope","scale":3}',
    '{"scale":3,"items":[-7,-3,-11]}',
    '{"items":[0.1],"scale":3}',
    `{"items":[${many.join(',')}],"scale":1.1}`,
    JSON.stringify({ items: many.map((x) => Math.round(x)), scale: -3 })
  ])
})

t.test(
  'a body that is not JSON: the SDK answers InvalidJSON, the handler is not called',
  async (t) => {
    for (const [body, message] of MALFORMED) {
      t.throws(() => JSON.parse(body), `${label(body)}: not JSON in JS either`)
      for (const name of ['greet', 'transform']) {
        const answer = await invoke(name, encode(body))
        t.equal(answer.status, 200)
        t.equal(answer.text, invalid(message), `${name}: ${label(body)}`)
      }
    }
    // The SDK's one refusal of valid JSON: nesting past 512 levels (512 pass: see greet).
    const deep = encode('['.repeat(513) + ']'.repeat(513))
    const answer = await invoke('greet', deep)
    t.equal(answer.text, invalid('Nesting deeper than 512 at byte 512'), '513 levels: refused')
  }
)

// ---- the SDK's JSON against JavaScript's -------------------------------------------------------

/** functions/build.mjs's flags: no imports (no abort), no start section (_initialize instead). */
const BUILD_FLAGS = [
  '-O3',
  '--runtime',
  'stub',
  '--noAssert',
  '--use',
  'abort=',
  '--exportStart',
  '_initialize'
]

/** Compiles an AssemblyScript entry (given as source, in functions/src/) with the build's flags. */
async function compile(source: string): Promise<Uint8Array> {
  const entry = join(root, 'functions', 'src', '__sdk_test_entry.ts')
  let binary: Uint8Array | null = null
  const stderr: string[] = []
  const { error } = await asc.main([entry, '--outFile', 'out.wasm', ...BUILD_FLAGS], {
    readFile(filename, baseDir) {
      const path = resolve(baseDir, filename)
      if (path === entry) return source
      try {
        return readFileSync(path, 'utf8')
      } catch {
        return null
      }
    },
    writeFile(filename, contents) {
      if (filename.endsWith('.wasm') && typeof contents !== 'string') binary = contents
    },
    stdout: { write: () => true },
    stderr: {
      write: (chunk: Uint8Array | string) => {
        stderr.push(String(chunk))
        return true
      }
    }
  })
  if (error !== null || binary === null)
    throw new Error(`asc: ${error?.message}\n${stderr.join('')}`)
  return binary
}

/** A v2 module, called as the edge's runner calls it: a fresh instance per body. */
function v2(bytes: Uint8Array): (body: Uint8Array) => Buffer {
  const module = new WebAssembly.Module(bytes)
  return (body) => {
    const e = new WebAssembly.Instance(module, {}).exports as Record<string, CallableFunction>
    const memory = e.memory as unknown as WebAssembly.Memory
    e._initialize?.()
    const ptr = (e.alloc?.(body.length) as number) >>> 0
    new Uint8Array(memory.buffer, ptr, body.length).set(body)
    const packed = BigInt.asUintN(64, e.handle?.(ptr, body.length) as bigint)
    const out = Number(packed >> 32n)
    return Buffer.from(new Uint8Array(memory.buffer, out, Number(packed & 0xffffffffn)))
  }
}

t.test('JSON.stringify(JSON.parse(body)): as in JavaScript', async (t) => {
  const wasm = await compile(`import { JSON, handler } from '../sdk'
export { alloc, handle } from '../sdk/abi'
handler((event: JSON.Value): JSON.Value => event)`)
  t.same(parseModule(wasm).imports, [], 'the echo module imports nothing')
  const echo = v2(wasm)

  let seed = 0x9e3779b9
  const random = () => {
    seed ^= seed << 13
    seed ^= seed >>> 17
    seed ^= seed << 5
    return (seed >>> 0) / 2 ** 32
  }
  const int = (n: number) => Math.floor(random() * n)

  let compared = 0
  let rejected = 0
  const mismatches: string[] = []
  const compare = (body: Uint8Array | string) => {
    const bytes = typeof body === 'string' ? encode(body) : Buffer.from(body)
    let expected: string
    try {
      expected = JSON.stringify(sdkEventRef(bytes))
    } catch {
      expected = 'InvalidJSON'
      rejected++
    }
    const got = echo(bytes).toString()
    const answer = got.startsWith('{"errorType":"InvalidJSON"') ? 'InvalidJSON' : got
    compared++
    if (answer !== expected && mismatches.length < 5) {
      mismatches.push(`${JSON.stringify(bytes.toString('latin1'))}: ${got} ≠ ${expected}`)
    }
  }

  // Numbers: random bit patterns, then decimals of every length and exponent.
  const view = new DataView(new ArrayBuffer(8))
  const doubles: number[] = []
  while (doubles.length < 50_000) {
    view.setUint32(0, int(2 ** 32))
    view.setUint32(4, int(2 ** 32))
    const x = view.getFloat64(0)
    if (Number.isFinite(x)) doubles.push(x)
  }
  for (let i = 0; i < doubles.length; i += 500) compare(JSON.stringify(doubles.slice(i, i + 500)))
  const decimals: string[] = []
  for (let i = 0; i < 30_000; i++) {
    let digits = String(1 + int(9))
    for (let n = int(25); n > 0; n--) digits += String(int(10))
    const sign = int(2) ? '-' : ''
    decimals.push(`${sign}${digits}e${int(700) - 350}`, `${sign}0.${digits}`, `${digits}.${digits}`)
  }
  for (let i = 0; i < decimals.length; i += 500) compare(`[${decimals.slice(i, i + 500)}]`)
  for (const x of [
    '5e-324',
    '2.4703282292062327e-324',
    '2.4703282292062328e-324',
    '2.2250738585072011e-308',
    '2.2250738585072014e-308',
    '1.7976931348623157e308',
    '1.7976931348623158e308',
    '1.7976931348623159e308',
    '9007199254740993',
    '1e21',
    '1e-7',
    '-0',
    '0e99999999999',
    '1e99999999999',
    `0.${'0'.repeat(400)}1`,
    `1${'0'.repeat(400)}`,
    // halfway between two doubles, then a hair above and below, some with 800+ digits
    '1.00000000000000011102230246251565404236316680908203125',
    '1.00000000000000011102230246251565404236316680908203124',
    '1.00000000000000011102230246251565404236316680908203126',
    `9007199254740993.${'0'.repeat(900)}1`,
    `9007199254740993${'0'.repeat(900)}`,
    `2.${'0'.repeat(1000)}1e-308`
  ]) {
    compare(x)
  }

  // Documents: nested values with awkward strings, numbers and keys (array-index keys come
  // first in JS's order), written compactly or indented.
  const text = () => {
    let s = ''
    for (let n = int(8); n > 0; n--) {
      const kind = int(9)
      if (kind < 3) s += String.fromCharCode(32 + int(95))
      else if (kind === 3) s += String.fromCharCode(int(32))
      else if (kind === 4) s += String.fromCharCode(0xd800 + int(0x800))
      else if (kind === 5) s += String.fromCodePoint(0x10000 + int(0x100000))
      else if (kind === 6) s += String.fromCharCode(0x80 + int(0xd800 - 0x80))
      else if (kind === 7) s += String(int(20))
      else s += '"\\/\u2028\u007f'.charAt(int(5))
    }
    return s
  }
  const value = (depth: number): unknown => {
    const kind = int(depth > 4 ? 5 : 7)
    if (kind === 0) return int(3) === 0 ? null : int(2) === 0
    if (kind === 1) return int(2) ? int(2000) - 1000 : (random() - 0.5) * 10 ** (int(40) - 20)
    if (kind < 5) return text()
    if (kind === 5) return Array.from({ length: int(5) }, () => value(depth + 1))
    const object: Record<string, unknown> = {}
    for (let n = int(12); n > 0; n--) object[int(3) ? text() : String(int(30))] = value(depth + 1)
    return object
  }
  for (let i = 0; i < 2000; i++) {
    const v = value(0)
    compare(int(2) ? JSON.stringify(v) : JSON.stringify(v, null, int(2) ? '\t' : 2))
  }
  compare('{"b":1,"2":2,"1":3,"x":4,"01":5,"4294967294":6,"4294967295":7,"-1":8,"b":9}')

  // Broken texts: a valid one with a few characters inserted, removed or replaced.
  const bases = [
    '{"a":[1,2,{"b":null}],"c":"x\\ny\\u00e9","d":-1.5e3,"e":true,"f":false}',
    '[1, 2.5, -0, 0e1, "s", [], {}]',
    '"abc"'
  ]
  const alphabet = '{}[],:"\\ -+.eE0123456789tfnulrsa\t\n\r\x00\x1f\x7f\u00e9'
  for (let i = 0; i < 20_000; i++) {
    let s = bases[int(bases.length)] ?? ''
    for (let n = 1 + int(3); n > 0; n--) {
      const at = int(s.length + 1)
      const c = alphabet.charAt(int(alphabet.length))
      const op = int(3)
      s = s.slice(0, at) + (op === 1 ? '' : c) + s.slice(op === 0 ? at : at + 1)
    }
    compare(s)
  }

  // Strings holding invalid UTF-8 (read as U+FFFD, as TextDecoder does), some after a BOM.
  for (let i = 0; i < 5000; i++) {
    const bytes = [0x22]
    for (let n = int(6); n > 0; n--) {
      const kind = int(4)
      if (kind === 0) bytes.push(0x80 + int(128))
      else if (kind === 1) bytes.push(0xc0 + int(64))
      else if (kind === 2) bytes.push(0x61)
      else bytes.push(...encode(String.fromCodePoint(0x80 + int(0x10ff80))))
    }
    if (int(10) > 0) bytes.push(0x22)
    if (int(10) === 0) bytes.unshift(0xef, 0xbb, 0xbf)
    compare(Uint8Array.from(bytes))
  }

  t.same(mismatches, [], `${compared} bodies (${rejected} not JSON) answered as JavaScript does`)
})

t.test('textHandler and bytesHandler: the body as it is', async (t) => {
  const text = v2(
    await compile(`import { textHandler } from '../sdk'
export { alloc, handle } from '../sdk/abi'
textHandler((body: string): string => body + ' (' + body.length.toString() + ')')`)
  )
  const bodies = [
    encode(''),
    encode('plain'),
    encode('Zoë 世界 🎉 not JSON {'),
    Buffer.concat([BOM, encode('after a BOM')]),
    Buffer.from([
      0x61, 0xff, 0xc3, 0x28, 0xe2, 0x82, 0xed, 0xa0, 0x80, 0xf4, 0x90, 0x80, 0x80, 0x62
    ])
  ]
  for (const body of bodies) {
    const decoded = new TextDecoder().decode(body) // what the SDK hands a text handler
    t.equal(text(body).toString(), `${decoded} (${decoded.length})`, label(decoded))
  }

  const bytes = v2(
    await compile(`import { bytesHandler } from '../sdk'
export { alloc, handle } from '../sdk/abi'
bytesHandler((body: Uint8Array): Uint8Array => body.reverse())`)
  )
  const raw = Buffer.from([0, 1, 2, 0xff, 0xfe, 0x80, 0x22])
  t.same(bytes(raw), Buffer.from(raw).reverse(), 'bytes, reversed')
  t.same(bytes(Buffer.alloc(0)), Buffer.alloc(0), 'no bytes')
})
