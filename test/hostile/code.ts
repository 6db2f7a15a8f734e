import { deflateRawSync } from 'node:zlib'
import { zipSync } from 'fflate'
import { SEED_WASM_BASE64, SUM_EXECUTE, wat } from '../wasm/wat.js'
import { JSON_HEADERS, json, NAMES, SUM, SUM_ZIP_B64 } from './bodies.js'
import { mutate, type Input, type Outcome, Rng } from './support.js'

/**
 * Hostile code: bad base64, broken and lying zips, zip bombs, mutated modules, modules the
 * policy refuses and bytes that are no module, over every API that takes a module.
 */

const BAD_BASE64 = [
  '',
  '=',
  '====',
  'A',
  'AB',
  'ABC',
  'A===',
  'AB=C',
  '*',
  '%%%%',
  'AGFzbQ==AGFzbQ==',
  'AGFzbQ===',
  '-_-_',
  'AGFz\u00e9bQ==',
  '\u0000\u0000\u0000\u0000',
  'AGFzbQEAAAA',
  'AGFzbQEAAAA=',
  'AGFzbQIAAAA=',
  'UEsDBA==',
  'UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==',
  'A'.repeat(40_001),
  '/'.repeat(4_000),
  ' \n\t ',
  'AGFzbQ' + '\\'.repeat(10)
]

/** Bad base64 in every field that takes it. */
export function badBase64(): Input[] {
  const inputs: Input[] = []
  for (const text of BAD_BASE64) {
    const typed = (outcome: Outcome) =>
      'status' in outcome && outcome.status === 400
        ? null
        : `expected a 400, got ${'status' in outcome ? outcome.status : 'a drop'}`
    inputs.push(
      {
        category: 'bad base64',
        method: 'POST',
        path: '/functions',
        headers: JSON_HEADERS,
        body: json({ name: NAMES(), wasm_base64: text }),
        expect: typed
      },
      {
        category: 'bad base64',
        method: 'POST',
        path: '/2015-03-31/functions',
        headers: JSON_HEADERS,
        body: json({ FunctionName: NAMES(), Code: { ZipFile: text } }),
        expect: typed
      },
      {
        category: 'bad base64',
        method: 'POST',
        path: '/api/v1/jobs',
        headers: JSON_HEADERS,
        body: json({ wasm_base64: text, dataset: [1] }),
        expect: typed
      }
    )
  }
  return inputs
}

/** A zip's central directory entry and local header for one file, hand-built to lie. */
function handZip(name: string, data: Uint8Array, sizes: { original?: number; method?: number }) {
  const nameBytes = Buffer.from(name)
  const local = Buffer.alloc(30)
  local.writeUInt32LE(0x04034b50, 0)
  local.writeUInt16LE(20, 4)
  local.writeUInt16LE(sizes.method ?? 0, 8)
  local.writeUInt32LE(data.length, 18)
  local.writeUInt32LE(sizes.original ?? data.length, 22)
  local.writeUInt16LE(nameBytes.length, 26)
  const central = Buffer.alloc(46)
  central.writeUInt32LE(0x02014b50, 0)
  central.writeUInt16LE(20, 4)
  central.writeUInt16LE(20, 6)
  central.writeUInt16LE(sizes.method ?? 0, 10)
  central.writeUInt32LE(data.length, 20)
  central.writeUInt32LE(sizes.original ?? data.length, 24)
  central.writeUInt16LE(nameBytes.length, 28)
  central.writeUInt32LE(0, 42)
  const body = Buffer.concat([local, nameBytes, data])
  const directory = Buffer.concat([central, nameBytes])
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(1, 8)
  end.writeUInt16LE(1, 10)
  end.writeUInt32LE(directory.length, 12)
  end.writeUInt32LE(body.length, 16)
  return Buffer.concat([body, directory, end])
}

/** Mutated and hand-made zips for CreateFunction's Code.ZipFile. */
export function badZips(rng: Rng, mutations: number): Input[] {
  const zip = Buffer.from(SUM_ZIP_B64, 'base64')
  const create = (bytes: Uint8Array, category = 'bad zip (Code.ZipFile)'): Input => ({
    category,
    method: 'POST',
    path: '/2015-03-31/functions',
    headers: JSON_HEADERS,
    body: json({
      FunctionName: NAMES(),
      Code: { ZipFile: Buffer.from(bytes).toString('base64') }
    })
  })
  const inputs: Input[] = []
  for (let i = 0; i < mutations; i++) inputs.push(create(mutate(rng, zip)))
  const garbage = new Uint8Array([1, 2, 3, 4])
  for (const bytes of [
    Buffer.from('PK\x03\x04'),
    Buffer.from('PK\x05\x06' + '\0'.repeat(18)),
    zipSync({}),
    zipSync({ 'readme.txt': new Uint8Array([65]) }),
    zipSync({ 'a.wasm': SUM, 'b.wasm': SUM }),
    zipSync({ 'dir/x.wasm': garbage }),
    zipSync({ 'x.WASM': new Uint8Array(0) }),
    zipSync({ '../../etc/passwd.wasm': SUM }),
    handZip('x.wasm', SUM, { method: 99 }),
    handZip('x.wasm', SUM, { original: 0xffffffff }),
    handZip('x.wasm', SUM.subarray(0, 20), { original: SUM.length }),
    handZip('x.wasm', rng.bytes(200), { method: 8 }),
    handZip('x.wasm', rng.bytes(200), { method: 8, original: 10 }),
    handZip('\u0000.wasm', SUM, {}),
    handZip('x.wasm'.padStart(60_000, '/'), SUM, {}),
    Buffer.concat([Buffer.from('PK\x03\x04'), rng.bytes(500)])
  ]) {
    inputs.push(create(bytes))
  }
  return inputs
}

/** Bombs that inflate for real: up to 49 MiB, under the module limit. */
export const BIG_INFLATE = 'bad zip (bombs inflating 49 MiB, under the limit)'

/** Zip bombs: tiny requests that inflate to (or claim) tens of megabytes. */
export function zipBombs(): Input[] {
  const MB = 1024 * 1024
  const deflated = (size: number) => deflateRawSync(Buffer.alloc(size), { level: 9 })
  const over = deflated(60 * MB)
  const under = deflated(49 * MB)
  const bombs = [
    handZip('bomb.wasm', over, { method: 8, original: 60 * MB }),
    handZip('bomb.wasm', under, { method: 8, original: 49 * MB }),
    // The same stream with a directory claiming 100 bytes: what is inflated must not trust it.
    handZip('bomb.wasm', under, { method: 8, original: 100 }),
    // 60 MiB claimed as 49: still over the limit once inflated.
    handZip('bomb.wasm', over, { method: 8, original: 49 * MB })
  ]
  return bombs.map((bytes, i) => ({
    category: i === 1 || i === 3 ? BIG_INFLATE : 'bad zip (bombs)',
    method: 'POST',
    path: '/2015-03-31/functions',
    headers: JSON_HEADERS,
    body: json({
      FunctionName: `bomb${i}`,
      Code: { ZipFile: Buffer.from(bytes).toString('base64') }
    }),
    expect: (outcome: Outcome) =>
      'status' in outcome && outcome.status === 400 ? null : 'a zip bomb must be a 400'
  }))
}

/** Modules the policy must refuse, each with the code it must give. */
export const REFUSED_MODULES: [string, string, string][] = [
  [
    'a function import',
    '(module (import "env" "f" (func)) (memory (export "memory") 1) SUM)',
    'WASM_FORBIDDEN_IMPORT'
  ],
  [
    // A WASI import makes a WASI command (lib/runtimes/wasi), which must export _start.
    'WASI without _start',
    '(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32))) (memory (export "memory") 1) SUM)',
    'WASM_MISSING_EXPORT'
  ],
  [
    'a WASI function the host does not provide',
    '(module (import "wasi_snapshot_preview1" "sock_open" (func (param i32) (result i32))) (memory (export "memory") 1) (func (export "_start")))',
    'WASM_FORBIDDEN_IMPORT'
  ],
  [
    'an imported table',
    '(module (import "env" "t" (table 1 funcref)) (memory (export "memory") 1) SUM)',
    'WASM_FORBIDDEN_IMPORT'
  ],
  [
    'an imported global',
    '(module (import "env" "g" (global i32)) (memory (export "memory") 1) SUM)',
    'WASM_FORBIDDEN_IMPORT'
  ],
  [
    'an imported memory',
    '(module (import "env" "memory" (memory 1)) (export "memory" (memory 0)) SUM)',
    'WASM_IMPORTED_MEMORY'
  ],
  ['a shared memory', '(module (memory (export "memory") 1 1 shared) SUM)', 'WASM_SHARED_MEMORY'],
  [
    'a start section',
    '(module (memory (export "memory") 1) (func $s) (start $s) SUM)',
    'WASM_START_SECTION'
  ],
  ['no memory', '(module SUM)', 'WASM_MISSING_EXPORT'],
  ['an unexported memory', '(module (memory 1) SUM)', 'WASM_MISSING_EXPORT'],
  ['no execute', '(module (memory (export "memory") 1))', 'WASM_MISSING_EXPORT'],
  [
    'execute of the wrong type',
    '(module (memory (export "memory") 1) (func (export "execute") (param i64) (result i32) (i32.const 0)))',
    'WASM_BAD_SIGNATURE'
  ],
  [
    'execute as a global',
    '(module (memory (export "memory") 1) (global (export "execute") i32 (i32.const 0)))',
    'WASM_BAD_SIGNATURE'
  ],
  [
    'handle without alloc',
    '(module (memory (export "memory") 1) (func (export "handle") (param i32 i32) (result i64) (i64.const 0)))',
    'WASM_MISSING_EXPORT'
  ],
  [
    'output_ptr without output_len',
    '(module (memory (export "memory") 1) SUM (func (export "output_ptr") (result i32) (i32.const 0)))',
    'WASM_MISSING_EXPORT'
  ],
  [
    '_initialize with a result',
    '(module (memory (export "memory") 1) SUM (func (export "_initialize") (result i32) (i32.const 0)))',
    'WASM_BAD_SIGNATURE'
  ],
  [
    'a huge initial memory',
    '(module (memory (export "memory") 65535) SUM)',
    'WASM_MEMORY_TOO_LARGE'
  ],
  [
    'a table over the limit',
    '(module (memory (export "memory") 1) (table 100001 funcref) SUM)',
    'WASM_UNSUPPORTED'
  ]
].map(([what, text, code]) => [
  what as string,
  (text as string).replace('SUM', SUM_EXECUTE),
  code as string
])

/** Handcrafted byte strings that are not modules at all. */
function notModules(): Buffer[] {
  const header = Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0])
  return [
    Buffer.alloc(0),
    header.subarray(0, 4),
    header,
    Buffer.from([0, 0x61, 0x73, 0x6d, 2, 0, 0, 0]),
    Buffer.from([0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0]), // a component
    Buffer.concat([header, Buffer.from([1, 0xff, 0xff, 0xff, 0xff, 0x0f])]), // a 4 GiB section
    Buffer.concat([header, Buffer.from([1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01])]), // LEB overflow
    Buffer.concat([header, Buffer.from([1, 5, 0xff, 0xff, 0xff, 0xff, 0x0f])]), // 4G types
    Buffer.concat([header, Buffer.from([3, 5, 0xff, 0xff, 0xff, 0xff, 0x0f])]), // 4G functions
    Buffer.concat([header, Buffer.from([5, 3, 1, 0, 0xff])]), // truncated memory limits
    Buffer.concat([header, Buffer.from([7, 4, 1, 0xff, 0xff, 0x03])]), // export name past the end
    Buffer.concat([header, Buffer.from([0x7f, 0])]), // unknown section id
    Buffer.concat([header, Buffer.from([0, 5, 0xff, 0xff, 0xff, 0xff, 0x0f])]), // custom name too long
    Buffer.concat([header, Buffer.from([1, 1, 0]), Buffer.from([1, 1, 0])]), // duplicate section
    Buffer.concat([header, Buffer.alloc(1000, 0)]),
    Buffer.concat([header, Buffer.alloc(1000, 0xff)])
  ]
}

/** Mutated modules, modules the policy refuses, and bytes that are no module, over every API. */
export function badModules(rng: Rng, mutations: number): Input[] {
  const inputs: Input[] = []
  const deploy = (bytes: Uint8Array, category: string, expect?: string): Input => ({
    category,
    method: 'POST',
    path: '/functions',
    headers: JSON_HEADERS,
    body: json({ name: NAMES(), wasm_base64: Buffer.from(bytes).toString('base64') }),
    expect
  })
  const create = (bytes: Uint8Array, category: string, expect?: string): Input => ({
    category,
    method: 'POST',
    path: '/2015-03-31/functions',
    headers: JSON_HEADERS,
    body: json({ FunctionName: NAMES(), Code: { ZipFile: Buffer.from(bytes).toString('base64') } }),
    expect
  })
  const job = (bytes: Uint8Array, category: string, expect?: string): Input => ({
    category,
    method: 'POST',
    path: '/api/v1/jobs',
    headers: JSON_HEADERS,
    body: json({ wasm_base64: Buffer.from(bytes).toString('base64'), dataset: [1, 2] }),
    expect
  })
  const seed = Buffer.from(SEED_WASM_BASE64, 'base64')
  for (let i = 0; i < mutations; i++) {
    inputs.push(deploy(mutate(rng, i % 2 === 0 ? SUM : seed), 'bad Wasm bytes (mutated modules)'))
  }
  for (let i = 0; i < mutations / 4; i++) {
    inputs.push(create(mutate(rng, SUM), 'bad Wasm bytes (mutated modules)'))
    inputs.push(job(mutate(rng, SUM), 'bad Wasm bytes (mutated modules)'))
  }
  for (const bytes of notModules()) {
    // A raw module must start with \0asm to be one in Code.ZipFile; the rest is "not a zip".
    for (const make of [deploy, create, job])
      inputs.push(make(bytes, 'bad Wasm bytes (not modules)'))
  }
  for (const [, text, code] of REFUSED_MODULES) {
    const bytes = wat(text)
    for (const make of [deploy, create, job]) {
      // A job takes ABI v1 only: a v2-looking module is refused either way, by code or by ABI.
      inputs.push(make(bytes, 'forbidden imports and policy refusals', code))
    }
  }
  return inputs
}
