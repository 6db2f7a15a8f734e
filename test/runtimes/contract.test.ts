import t from 'tap'
import type { Executable } from '../../lib/runtimes/contract.js'
import { compileEngine } from '../../lib/runtimes/js/engine.js'
import { jsFunction } from '../../lib/runtimes/js/function.js'
import { pythonFunction } from '../../lib/runtimes/python/function.js'
import { wasiFunction } from '../../lib/runtimes/wasi/function.js'
import { validate } from '../../lib/wasm/policy.js'
import { WasmPool } from '../../lib/executor/pool.js'
import { wat } from '../wasm/wat.js'

// One contract, every runtime (STYLE.md): echo, a function error, a timeout, the memory cap and
// logs, run through the same pool the scheduler uses. A runtime joins by adding its row.

const pool = new WasmPool({ size: 1, assets: { quickjs: await compileEngine() } })
await pool.ready()
t.teardown(() => pool.close())

const context = { requestId: 'contract-1', functionVersion: '$LATEST', invokedFunctionArn: 'arn' }

/** A v2 module: `alloc` grows memory for the input, `handle` answers with a body of its own. */
const v2 = (handle: string) =>
  validate(
    wat(`(module (memory (export "memory") 1)
      (func (export "alloc") (param $n i32) (result i32)
        (i32.mul (memory.grow (i32.add (i32.shr_u (local.get $n) (i32.const 16)) (i32.const 1)))
          (i32.const 65536)))
      (func (export "handle") (param $ptr i32) (param $len i32) (result i64) ${handle}))`),
    { memoryPages: 64 }
  )

const js = (name: string, source: string) =>
  jsFunction({
    functionName: name,
    sha256: `contract-${name}`,
    handler: 'index.handler',
    files: new Map([['index.js', source]]),
    environment: {},
    memoryMb: 16,
    region: 'us-east-1',
    runtime: 'nodejs20.x'
  })

const py = (name: string, body: string) =>
  pythonFunction({
    functionName: name,
    sha256: `contract-${name}`,
    handler: 'lambda_function.lambda_handler',
    files: new Map([['lambda_function.py', `def lambda_handler(event, context):\n    ${body}\n`]]),
    environment: {},
    memoryMb: 64,
    region: 'us-east-1',
    runtime: 'python3.13'
  })

/** A WASI command whose `_start` body is `body`, with fd_read/fd_write/proc_exit imported. */
const wasi = async (name: string, body: string) =>
  wasiFunction(
    await validate(
      wat(`(module
        (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
        (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
        (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
        (memory (export "memory") 2)
        (data (i32.const 512) "echo\\0a")
        (func (export "_start") (local $n i32) (local $total i32) ${body}))`),
      { memoryPages: 64 }
    ),
    { functionName: name, environment: {}, memoryMb: 4, region: 'us-east-1' }
  )

/** Reads all of stdin to 1024, writes it to stdout and "echo" to stderr. */
const ECHO = `
  (block $done (loop $more
    (i32.store (i32.const 0) (i32.add (i32.const 1024) (local.get $total)))
    (i32.store (i32.const 4) (i32.sub (i32.const 60000) (local.get $total)))
    (drop (call $read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 16)))
    (local.set $n (i32.load (i32.const 16)))
    (br_if $done (i32.eqz (local.get $n)))
    (local.set $total (i32.add (local.get $total) (local.get $n)))
    (br $more)))
  (i32.store (i32.const 0) (i32.const 1024)) (i32.store (i32.const 4) (local.get $total))
  (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 16)))
  (i32.store (i32.const 8) (i32.const 512)) (i32.store (i32.const 12) (i32.const 5))
  (drop (call $write (i32.const 2) (i32.const 8) (i32.const 1) (i32.const 16)))`

interface Row {
  echo: Executable
  error: Executable
  errorCode: string
  loop: Executable
  bomb: Executable
  /** What the echo function logs for one call ('' when the runtime has no log). */
  log: RegExp | null
  /** The echo's answer when it is not the payload byte for byte (Python's json.dumps). */
  echoed?: string
}

const runtimes: Record<string, Row> = {
  wasm: {
    // (ptr << 32) | len: the input itself.
    echo: await v2(
      '(i64.or (i64.shl (i64.extend_i32_u (local.get $ptr)) (i64.const 32)) (i64.extend_i32_u (local.get $len)))'
    ),
    error: await v2('unreachable'),
    errorCode: 'FUNCTION_TRAP',
    loop: await v2('(loop $forever (br $forever)) (i64.const 0)'),
    bomb: await v2(
      '(loop $more (br_if $more (i32.ne (memory.grow (i32.const 1)) (i32.const -1)))) (i64.const 0)'
    ),
    log: null
  },
  wasi: {
    echo: await wasi('echo', ECHO),
    error: await wasi('exit', '(call $exit (i32.const 3))'),
    errorCode: 'FUNCTION_EXIT',
    loop: await wasi('loop', '(loop $forever (br $forever))'),
    bomb: await wasi(
      'bomb',
      '(loop $more (br_if $more (i32.ne (memory.grow (i32.const 1)) (i32.const -1))))'
    ),
    log: /^echo\n$/
  },
  nodejs: {
    echo: js('echo', 'exports.handler = async (e) => { console.log("echo", e.n); return e }'),
    error: js('error', 'exports.handler = async () => { throw new RangeError("no") }'),
    errorCode: 'FUNCTION_UNHANDLED',
    loop: js('loop', 'exports.handler = () => { for (;;) {} }'),
    bomb: js(
      'bomb',
      'exports.handler = () => { const a = []; for (;;) a.push("x".repeat(1e5) + a.length) }'
    ),
    log: /^\S+Z\tcontract-1\tINFO\techo 7\n$/
  },
  python: {
    echo: py('echo', 'print("echo", event["n"])\n    return event'),
    error: py('error', 'raise ArithmeticError("no")'),
    errorCode: 'FUNCTION_UNHANDLED',
    loop: py('loop', 'while True: pass'),
    bomb: py('bomb', 'a = []\n    while True: a.append("x" * 100000 + str(len(a)))'),
    log: /^echo 7\n$/,
    echoed: '{"n": 7}'
  }
}

const payload = Buffer.from('{"n":7}')
const run = (fn: Executable, timeoutMs = 2_000) =>
  pool.run(fn, { input: Uint8Array.from(payload), timeoutMs, context })

for (const [name, row] of Object.entries(runtimes)) {
  t.test(`${name}: echo`, async (t) => {
    const out = await run(row.echo)
    t.equal(Buffer.from(out.payload ?? []).toString(), row.echoed ?? '{"n":7}')
    if (row.log === null) t.equal(out.logs, undefined)
    else t.match(out.logs, row.log)
  })

  t.test(`${name}: a function error is coded, and the next call works`, async (t) => {
    await t.rejects(run(row.error), { code: row.errorCode, kind: 'function' })
    t.equal(Buffer.from((await run(row.echo)).payload ?? []).toString(), row.echoed ?? '{"n":7}')
  })

  t.test(`${name}: the deadline stops an endless loop`, async (t) => {
    await t.rejects(run(row.loop, 200), {
      code: 'FUNCTION_TIMEOUT',
      message: 'The function timed out after 200 ms'
    })
    t.equal(Buffer.from((await run(row.echo)).payload ?? []).toString(), row.echoed ?? '{"n":7}')
  })

  t.test(`${name}: the memory cap stops a memory bomb`, async (t) => {
    await t.rejects(run(row.bomb, 10_000), { code: 'FUNCTION_MEMORY_LIMIT' })
    t.equal(Buffer.from((await run(row.echo)).payload ?? []).toString(), row.echoed ?? '{"n":7}')
  })
}
