// Checks the WASI examples (functions/wasi/c/echo.c and functions/wasi/rust/echo.rs, built by
// `npm run build:wasi` to functions/build/wasi-*.wasm): each is a preview1 command the wasi
// runtime accepts, and both answer byte for byte like the TypeScript reference below when run
// under the runtime's host (lib/runtimes/wasi/host.ts).
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { WASI_IMPORTS, WasiHost } from '../../lib/runtimes/wasi/host.js'
import { parseModule, sameType } from '../../lib/wasm/module.js'

// Compiled to dist/test/functions/, so the repo root is three levels up.
const wasmPath = (name: string): string =>
  fileURLToPath(new URL(`../../../functions/build/${name}.wasm`, import.meta.url))

const EXAMPLES = [
  { name: 'wasi-c-echo', install: 'clang lld wasi-libc libclang-rt-14-dev-wasm32' },
  { name: 'wasi-rust-echo', install: 'rustc libstd-rust-dev-wasm32' }
].map((e) => ({ ...e, path: wasmPath(e.name) }))

const absent = EXAMPLES.filter((e) => !existsSync(e.path))
const skip =
  absent.length > 0
    ? `${absent.map((e) => `functions/build/${e.name}.wasm`).join(' and ')} not built: ` +
      `npm run build:wasi skips a language whose toolchain is missing ` +
      `(apt-get install ${absent.map((e) => e.install).join(' ')}; .ci/run installs them)`
    : false

interface Run {
  stdout: string
  stderr: string
  exitCode: number
}

/**
 * What echo answers, in TypeScript: the event (UTF-8) is JSON.parse'd, `name` must be a string
 * ("world" when absent), `items` an array of safe integers ([] when absent); the answer is
 * JSON.stringify's escaping of the greeting and GREETING, with the sum exact (a BigInt).
 */
function echoRef(stdin: Uint8Array, env: Record<string, string>): Run {
  const fail = (reason: string): Run => ({
    stdout: '',
    stderr: `echo: ${stdin.byteLength} bytes, error: ${reason}\n`,
    exitCode: 1
  })
  let text: string
  try {
    // ignoreBOM: a byte order mark is kept, and then JSON.parse refuses it, as echo does.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(stdin)
  } catch {
    return fail('event is not UTF-8')
  }
  let event: unknown
  try {
    event = JSON.parse(text)
  } catch {
    return fail('event is not JSON')
  }
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    return fail('event is not an object')
  }
  const fields = event as Record<string, unknown>
  const name = Object.hasOwn(fields, 'name') ? fields.name : 'world'
  const items = Object.hasOwn(fields, 'items') ? fields.items : []
  if (typeof name !== 'string') return fail('name is not a string')
  if (!Array.isArray(items) || !items.every((v) => Number.isSafeInteger(v))) {
    return fail('items is not an array of safe integers')
  }
  const sum = items.reduce((s: bigint, v: number) => s + BigInt(v), 0n)
  const answer =
    `{"greeting":${JSON.stringify(`Hello, ${name}!`)},"count":${items.length},` +
    `"sum":${sum},"env":${JSON.stringify(env.GREETING ?? null)}}`
  return { stdout: answer, stderr: `echo: ${stdin.byteLength} bytes\n`, exitCode: 0 }
}

/** Runs a module as the wasi runtime does: argv [function name], env, stdin in, stdout out. */
function run(module: WebAssembly.Module, stdin: Uint8Array, env: Record<string, string>): Run {
  const host = new WasiHost({
    stdin,
    args: ['echo'],
    env,
    deadline: Date.now() + 10_000,
    stdoutLimit: 6 * 1024 * 1024,
    stderrLimit: 256 * 1024
  })
  let memory: WebAssembly.Memory | undefined
  const instance = new WebAssembly.Instance(module, {
    wasi_snapshot_preview1: host.imports(() => memory as WebAssembly.Memory)
  })
  memory = instance.exports.memory as WebAssembly.Memory
  const out = host.run(() => (instance.exports._start as () => void)())
  return {
    stdout: new TextDecoder().decode(out.stdout),
    stderr: out.stderr,
    // null: _start returned (both do when main succeeds); proc_exit(0) would mean the same.
    exitCode: out.exitCode ?? 0
  }
}

const encode = (s: string): Uint8Array => new TextEncoder().encode(s)
const BASE_ENV = { AWS_LAMBDA_FUNCTION_NAME: 'echo', AWS_REGION: 'local' }

// Events as JSON text (some as JSON.stringify writes them, some hand-written), each with an env.
const CASES: Array<[string, string | Uint8Array, Record<string, string>]> = [
  ['the documented event', '{"name":"ada","items":[1,2,3]}', { GREETING: 'Hi' }],
  [
    'unicode name, empty items, no GREETING',
    JSON.stringify({ name: 'Ada Lovelace — ünïcødé 🧮', items: [] }),
    {}
  ],
  [
    'no name, a sum past 2^53, GREETING to escape',
    JSON.stringify({ items: [2 ** 53 - 1, 2 ** 53 - 1, -5], other: { nested: [true, null] } }),
    { GREETING: 'tab\there "quoted" \\ 🙂' }
  ],
  ['an empty GREETING', '{}', { GREETING: '' }],
  [
    'escapes, a surrogate pair and lone surrogates in name',
    '{"n\\u0061me":"\\"\\/\\b\\f\\n\\r\\t\\u0001\\u007f\\ud83d\\ude00\\ud800.\\udc00"}',
    {}
  ],
  ['numbers JavaScript reads as integers', '{"items":[1.0,1e3,-0,250e-2,0.5e1]}', {}],
  ['the last of repeated keys', '{"name":1,"items":"x","name":"last","items":[7]}', {}],
  ['not UTF-8', Uint8Array.of(0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d), {}],
  ['not JSON', '{"name":"ada",}', {}],
  ['a byte order mark', '\ufeff{}', {}],
  ['not an object', '[1,2,3]', {}],
  ['name not a string', '{"name":["ada"]}', {}],
  ['items not safe integers', '{"items":[1,2.5]}', {}],
  ['items past 2^53', '{"items":[9007199254740992]}', {}],
  [
    'deeply nested ignored value',
    `{"x":${'['.repeat(20_000)}${']'.repeat(20_000)},"name":"deep"}`,
    {}
  ],
  [
    'a 1 MB event (many reads of stdin)',
    JSON.stringify({
      name: 'big',
      items: Array.from({ length: 120_000 }, (_, i) => i * 7919 - 5e5)
    }),
    { GREETING: 'bulk' }
  ]
]

const modules = new Map<string, WebAssembly.Module>()
if (!skip) {
  for (const e of EXAMPLES) {
    modules.set(e.name, new WebAssembly.Module(await readFile(e.path)))
  }
}

t.test('each example is a preview1 command the wasi runtime links', { skip }, async (t) => {
  for (const e of EXAMPLES) {
    const bytes = new Uint8Array(await readFile(e.path))
    t.comment(`${e.name}.wasm: ${bytes.byteLength} bytes`)
    const parsed = parseModule(bytes)
    t.ok(parsed.imports.length > 0, `${e.name}: imports WASI functions`)
    for (const i of parsed.imports) {
      const known = i.module === 'wasi_snapshot_preview1' && i.kind === 'function'
      t.ok(known, `${e.name}: imports ${i.kind} ${i.module}.${i.name}`)
      const type = WASI_IMPORTS[i.name]
      if (known && i.kind === 'function') {
        t.ok(type && sameType(i.type, type), `${e.name}: ${i.name} has the preview1 signature`)
      }
    }
    const exported = (name: string, kind: string) =>
      parsed.exports.some((x) => x.name === name && x.kind === kind)
    t.ok(exported('_start', 'function'), `${e.name}: exports _start`)
    t.ok(exported('memory', 'memory'), `${e.name}: exports memory`)
    t.notOk(parsed.hasStart, `${e.name}: no start section`)
  }
})

t.test('C and Rust answer like the reference, byte for byte', { skip }, async (t) => {
  const [c, rust] = EXAMPLES.map((e) => modules.get(e.name) as WebAssembly.Module)
  for (const [what, event, vars] of CASES) {
    const stdin = typeof event === 'string' ? encode(event) : event
    const env = { ...vars, ...BASE_ENV }
    const want = echoRef(stdin, env)
    const fromC = run(c as WebAssembly.Module, stdin, env)
    const fromRust = run(rust as WebAssembly.Module, stdin, env)
    t.same(fromC, want, `${what}: C`)
    t.same(fromRust, want, `${what}: Rust`)
    t.same(fromC, fromRust, `${what}: C and Rust agree`)
  }
})
