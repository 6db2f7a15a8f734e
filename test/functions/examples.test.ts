// Runs the example functions (functions/build/*.wasm, from `node functions/build.mjs`)
// through the executor and compares every result with the TypeScript references.
import t from 'tap'
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { WasmPool } from '../../lib/executor/pool.js'
import { validate } from '../../lib/wasm/policy.js'
import { mandelbrotRef, matmulRef, sha256Ref, sumRef } from './reference.js'

type Fn = Awaited<ReturnType<typeof validate>>

// Compiled to dist/test/functions/, so the repo root is three levels up.
const wasmPath = (name: string): string =>
  fileURLToPath(new URL(`../../../functions/build/${name}.wasm`, import.meta.url))

const pool = new WasmPool({ size: 2 })
await pool.ready()
t.teardown(() => pool.close())

async function load(name: string): Promise<{ fn: Fn; size: number; imports: number }> {
  const bytes = new Uint8Array(await readFile(wasmPath(name)))
  const imports = WebAssembly.Module.imports(new WebAssembly.Module(bytes)).length
  return { fn: await validate(bytes, { memoryPages: 256 }), size: bytes.byteLength, imports }
}

async function run(fn: Fn, input: number[]): Promise<{ result: number; output: number[] }> {
  const out = await pool.run(fn, { input: Int32Array.from(input), timeoutMs: 10_000 })
  return { result: out.result, output: Array.from(out.output ?? []) }
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i)

t.test('sum', async (t) => {
  const { fn, size, imports } = await load('sum')
  t.equal(imports, 0, 'no imports')
  t.comment(`sum.wasm: ${size} bytes`)
  const cases: Array<[number[], number]> = [
    [[10, 20, 30, 40], 100],
    [range(10_000).map((i) => i + 1), 50_005_000],
    [[], 0],
    [[2_147_483_647, 1], -2_147_483_648]
  ]
  for (const [input, expected] of cases) {
    const { result } = await run(fn, input)
    t.equal(result, expected, `${input.length} items`)
    t.equal(result, sumRef(Int32Array.from(input)), 'matches reference')
  }
})

t.test('mandelbrot', async (t) => {
  const { fn, size, imports } = await load('mandelbrot')
  t.equal(imports, 0, 'no imports')
  t.comment(`mandelbrot.wasm: ${size} bytes`)
  const header = [64, 48, 200, -2_000_000, -1_200_000, 1_000_000, 1_200_000]
  const cases: Array<[string, number[]]> = [
    ['all 48 rows', [...header, ...range(48)]],
    ['shuffled subset', [...header, 30, 2, 47, 0, 17, 24]],
    ['header only', header],
    ['short header', [64, 48]]
  ]
  for (const [name, input] of cases) {
    const { result, output } = await run(fn, input)
    const rows = Math.max(0, input.length - 7)
    t.equal(result, rows, `${name}: row count`)
    t.equal(output.length, rows * 64, `${name}: output size`)
    t.same(output, Array.from(mandelbrotRef(Int32Array.from(input))), `${name}: matches reference`)
  }
})

t.test('matmul', async (t) => {
  const { fn, size, imports } = await load('matmul')
  t.equal(imports, 0, 'no imports')
  t.comment(`matmul.wasm: ${size} bytes`)
  const cases: Array<[string, number[]]> = [
    ['n=32 all rows', [32, 12345, ...range(32)]],
    ['n=32 subset', [32, -7, 31, 0, 16, 3]],
    ['short header', [32]]
  ]
  for (const [name, input] of cases) {
    const { result, output } = await run(fn, input)
    const rows = Math.max(0, input.length - 2)
    t.equal(result, rows, `${name}: row count`)
    t.same(output, Array.from(matmulRef(Int32Array.from(input))), `${name}: matches reference`)
  }
})

t.test('sha256', async (t) => {
  const { fn, size, imports } = await load('sha256')
  t.equal(imports, 0, 'no imports')
  t.comment(`sha256.wasm: ${size} bytes`)

  const single = await run(fn, [1, 0x12345678])
  t.equal(single.result, 1)
  const digest = createHash('sha256')
    .update(Uint8Array.from([0x78, 0x56, 0x34, 0x12]))
    .digest()
  t.same(
    single.output,
    range(8).map((w) => digest.readInt32BE(w * 4)),
    'iterations 1 equals node:crypto'
  )

  const inputs = range(16).map((i) => Math.imul(i, 0x9e3779b9) ^ i)
  const cases: Array<[string, number[]]> = [
    ['iterations 1', [1, 0, 1, -1, 0x12345678]],
    ['iterations 1000', [1000, ...inputs]],
    ['iterations 0 counts as 1', [0, 42]],
    ['no header', []]
  ]
  for (const [name, input] of cases) {
    const { result, output } = await run(fn, input)
    const count = Math.max(0, input.length - 1)
    t.equal(result, count, `${name}: input count`)
    t.equal(output.length, count * 8, `${name}: output size`)
    t.same(output, Array.from(sha256Ref(Int32Array.from(input))), `${name}: matches reference`)
  }
})
