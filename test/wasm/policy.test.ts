import t from 'tap'
import { parseModule } from '../../lib/wasm/module.js'
import { validate } from '../../lib/wasm/policy.js'
import { MEMORY_IMPORT } from '../../lib/wasm/rewrite.js'
import { SEED_WASM_BASE64, SUM_EXECUTE, wat } from './wat.js'

const seed = Buffer.from(SEED_WASM_BASE64, 'base64')
const limits = { memoryPages: 16 }

t.test(
  'the seed module passes as ABI v1 and is rewritten to a capped, host-provided memory',
  async (t) => {
    t.equal(seed.length, 148)
    const fn = await validate(seed, limits)
    t.equal(fn.abi, 'v1')
    t.equal(fn.memory.min, 1)
    t.equal(fn.memory.max, 16)
    t.equal(fn.growTrapFunction, null, 'the seed never grows memory: no instrumentation')
    t.match(fn.sourceSha256, /^[0-9a-f]{64}$/)
    t.not(fn.sha256, fn.sourceSha256, 'what runs differs from what was uploaded')
    const rewritten = parseModule(fn.bytes)
    t.same(rewritten.memories, [], 'no memory is defined any more')
    t.same(
      rewritten.imports.map((i) =>
        i.kind === 'memory' ? [i.module, i.name, i.limits.min, i.limits.max] : i
      ),
      [[MEMORY_IMPORT.module, MEMORY_IMPORT.name, 1, 16]]
    )
  }
)

t.test('a declared maximum below the cap is kept; one above is lowered to the cap', async (t) => {
  const small = await validate(
    wat(`(module (memory (export "memory") 1 4) ${SUM_EXECUTE})`),
    limits
  )
  t.same(small.memory, { min: 1, max: 4 })
  const large = await validate(
    wat(`(module (memory (export "memory") 2 1000) ${SUM_EXECUTE})`),
    limits
  )
  t.same(large.memory, { min: 2, max: 16 })
})

t.test(
  'every table gets a maximum of at most 100,000 entries, which the engine keeps',
  async (t) => {
    const grow =
      '(func (export "grow") (param i32) (result i32) (table.grow $t (ref.null func) (local.get 0)))'
    for (const [declared, max] of [
      ['10 funcref', 100_000],
      ['10 20 funcref', 20],
      ['10 4294967295 funcref', 100_000]
    ] as const) {
      const fn = await validate(
        wat(`(module (table $t ${declared}) (memory (export "memory") 1) ${SUM_EXECUTE} ${grow})`),
        limits
      )
      const rewritten = parseModule(fn.bytes)
      t.same(
        rewritten.tables.map((table) => [table.min, table.max]),
        [[10, max]],
        `(table ${declared})`
      )
      const memory = new WebAssembly.Memory({ initial: 1, maximum: 16 })
      const instance = await WebAssembly.instantiate(fn.module, {
        [MEMORY_IMPORT.module]: { [MEMORY_IMPORT.name]: memory }
      })
      const growBy = instance.exports.grow as (n: number) => number
      t.equal(growBy(max - 10 + 1), -1, `growing past ${max} is refused`)
      t.equal(growBy(max - 10), 10, `growing to ${max} is not`)
    }
  }
)

t.test('ABI v2 is detected from its exports', async (t) => {
  const fn = await validate(
    wat(`(module (memory (export "memory") 1)
      (func (export "alloc") (param i32) (result i32) (i32.const 1024))
      (func (export "handle") (param i32 i32) (result i64) (i64.const 0)))`),
    limits
  )
  t.equal(fn.abi, 'v2')
})

const refusals: [string, string | Uint8Array, string, RegExp][] = [
  ['non-Wasm bytes', 'this is not wasm', 'WASM_INVALID', /magic number/],
  ['a truncated module', seed.subarray(0, 60), 'WASM_INVALID', /past the end|unexpected end/],
  ['an empty upload', '', 'WASM_INVALID', /shorter than/],
  [
    'a forbidden function import',
    `(module (import "env" "now" (func (result i32))) (memory (export "memory") 1) ${SUM_EXECUTE})`,
    'WASM_FORBIDDEN_IMPORT',
    /"env"\."now"/
  ],
  [
    'an imported memory',
    `(module (import "env" "memory" (memory 1)) (export "memory" (memory 0)) ${SUM_EXECUTE})`,
    'WASM_IMPORTED_MEMORY',
    /"env"\."memory"/
  ],
  [
    'a shared memory',
    `(module (memory (export "memory") 1 2 shared) ${SUM_EXECUTE})`,
    'WASM_SHARED_MEMORY',
    /Shared memory/
  ],
  [
    'a start section',
    `(module (memory (export "memory") 1) (func $boot) (start $boot) ${SUM_EXECUTE})`,
    'WASM_START_SECTION',
    /_initialize/
  ],
  [
    'a wrong execute signature',
    `(module (memory (export "memory") 1) (func (export "execute") (param i32) (result i32) (i32.const 0)))`,
    'WASM_BAD_SIGNATURE',
    /"execute" must be \(func \(param i32 i32\) \(result i32\)\), but the module declares \(func \(param i32\) \(result i32\)\)/
  ],
  [
    'a missing execute',
    `(module (memory (export "memory") 1) (func (export "run") (param i32 i32) (result i32) (i32.const 0)))`,
    'WASM_MISSING_EXPORT',
    /"execute"/
  ],
  ['no exported memory', `(module (memory 1) ${SUM_EXECUTE})`, 'WASM_MISSING_EXPORT', /"memory"/],
  [
    'output_ptr without output_len',
    `(module (memory (export "memory") 1) (func (export "output_ptr") (result i32) (i32.const 0)) ${SUM_EXECUTE})`,
    'WASM_MISSING_EXPORT',
    /"output_len"/
  ],
  [
    'an initial memory above the cap',
    `(module (memory (export "memory") 17) ${SUM_EXECUTE})`,
    'WASM_MEMORY_TOO_LARGE',
    /17 pages.*16 pages/
  ],
  [
    'a huge table',
    `(module (table 200000 funcref) (memory (export "memory") 1) ${SUM_EXECUTE})`,
    'WASM_UNSUPPORTED',
    /200000 entries/
  ],
  [
    'a v2 handle returning i32',
    `(module (memory (export "memory") 1)
      (func (export "alloc") (param i32) (result i32) (i32.const 0))
      (func (export "handle") (param i32 i32) (result i32) (i32.const 0)))`,
    'WASM_BAD_SIGNATURE',
    /"handle" must be \(func \(param i32 i32\) \(result i64\)\)/
  ]
]

for (const [what, source, code, message] of refusals) {
  t.test(`refuses ${what} with ${code}`, async (t) => {
    const bytes =
      typeof source === 'string' && source.startsWith('(module') ? wat(source) : Buffer.from(source)
    await t.rejects(validate(bytes, limits), { code, message, status: 400 })
  })
}

t.test('a module that compiles to nothing valid is refused with the engine message', async (t) => {
  // Well-formed sections, but the body of execute returns nothing where an i32 is due.
  const bytes = wat(`(module (memory (export "memory") 1) ${SUM_EXECUTE})`)
  const broken = Buffer.from(bytes)
  const at = broken.lastIndexOf(0x0b) // the final `end`: turn the result into a type error
  broken[at - 2] = 0x01 // local.get $sum → nop (keeps the length)
  broken[at - 1] = 0x01
  await t.rejects(validate(broken, limits), { code: 'WASM_INVALID' })
})

t.test('an allow-listed host import passes only with its exact signature', async (t) => {
  const good = wat(`(module (import "env" "abort" (func (param i32 i32 i32 i32)))
    (memory (export "memory") 1) ${SUM_EXECUTE})`)
  await t.rejects(validate(good, limits), { code: 'WASM_FORBIDDEN_IMPORT' })
  const fn = await validate(good, { ...limits, allowImports: ['env.abort'] })
  t.same(fn.allowImports, ['env.abort'])
  const bad = wat(`(module (import "env" "abort" (func (param i32)))
    (memory (export "memory") 1) ${SUM_EXECUTE})`)
  await t.rejects(validate(bad, { ...limits, allowImports: ['env.abort'] }), {
    code: 'WASM_BAD_SIGNATURE'
  })
})

t.test('memory limits are validated', async (t) => {
  for (const memoryPages of [0, -1, 1.5, 65_536, Number.NaN]) {
    await t.rejects(validate(seed, { memoryPages }), { code: 'INVALID_LIMIT' }, `${memoryPages}`)
  }
})

t.test(
  'memory.grow is instrumented, and a 0x40 byte inside an immediate is left alone',
  async (t) => {
    const fn = await validate(
      wat(`(module (memory (export "memory") 1)
      (func (export "execute") (param i32 i32) (result i32)
        (drop (i32.const 64))
        (memory.grow (local.get 1))))`),
      limits
    )
    t.equal(fn.growTrapFunction, 1, 'appended after the one defined function')
    const body = parseModule(fn.bytes)
    t.equal(body.functionTypes.length, 2)
    // The i32.const 64 immediate (0x40 as LEB is 0xc0 0x00) survived; the grow became a call.
    t.ok(Buffer.from(fn.bytes).includes(Buffer.from([0x41, 0xc0, 0x00, 0x1a])))
    t.ok(Buffer.from(fn.bytes).includes(Buffer.from([0x20, 0x01, 0x10, 0x01])))
  }
)
