import { readFile } from 'node:fs/promises'
import { zipSync } from 'fflate'
import t from 'tap'
import { assertLag, lagOver, Watch } from '../hostile/watch.js'
import { localEdge } from '../support/local-edge.js'
import { WASI_COUNT_WAT, wat } from '../wasm/wat.js'

// WASI commands through one edge's HTTP API: recognised at deploy, stdin in and stdout out,
// stderr in the Tail log, the function's environment, typed errors, and what a command may not do.

const { edge, http } = await localEdge(t)
/** The event-loop lag hostile code may cause at most (the hostile suite's own bound). */
const MAX_LAG_MS = 100

const PREVIEW1 = 'wasi_snapshot_preview1'
/** A command: the imports it names, a memory, a string at 512, and `_start`'s body. */
const command = (imports: string, body: string, data = 'echo\\0a') =>
  wat(`(module ${imports} (memory (export "memory") 2) (data (i32.const 512) "${data}")
    (func (export "_start") (local $n i32) (local $total i32) ${body}))`)
const READ = `(import "${PREVIEW1}" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))`
const WRITE = `(import "${PREVIEW1}" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))`
const EXIT = `(import "${PREVIEW1}" "proc_exit" (func $exit (param i32)))`
/** Writes `len` bytes at `ptr` to `fd` (the iovec at 16, the count at 24). */
const write = (fd: number, ptr: string, len: string) => `
  (i32.store (i32.const 16) ${ptr}) (i32.store (i32.const 20) ${len})
  (drop (call $write (i32.const ${fd}) (i32.const 16) (i32.const 1) (i32.const 24)))`

/** Echoes stdin to stdout, then writes "echo" to stderr. */
const ECHO = command(
  `${READ} ${WRITE}`,
  `(block $done (loop $more
    (i32.store (i32.const 0) (i32.add (i32.const 1024) (local.get $total)))
    (i32.store (i32.const 4) (i32.sub (i32.const 60000) (local.get $total)))
    (drop (call $read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
    (local.set $n (i32.load (i32.const 8)))
    (br_if $done (i32.eqz (local.get $n)))
    (local.set $total (i32.add (local.get $total) (local.get $n)))
    (br $more)))
  ${write(1, '(i32.const 1024)', '(local.get $total)')}
  ${write(2, '(i32.const 512)', '(i32.const 5)')}`
)

/** Writes its environment (NUL-separated KEY=value) to stdout. */
const ENVIRON = command(
  `${WRITE}
  (import "${PREVIEW1}" "environ_sizes_get" (func $sizes (param i32 i32) (result i32)))
  (import "${PREVIEW1}" "environ_get" (func $environ (param i32 i32) (result i32)))`,
  `(drop (call $sizes (i32.const 0) (i32.const 4)))
  (drop (call $environ (i32.const 1024) (i32.const 8192)))
  ${write(1, '(i32.const 8192)', '(i32.load (i32.const 4))')}`
)

const deploy = (name: string, wasm: Uint8Array, extra: Record<string, unknown> = {}) =>
  http('POST', '/functions', { name, wasm_base64: Buffer.from(wasm).toString('base64'), ...extra })
const invoke = (name: string, body: string | Buffer, headers: Record<string, string> = {}) =>
  http('POST', `/2015-03-31/functions/${name}/invocations`, body, headers)

t.test('a WASI command is recognised at deploy and answers with its stdout', async (t) => {
  const deployed = await deploy('echo', ECHO)
  t.equal(deployed.status, 201)
  t.match(deployed.json(), {
    Runtime: 'provided.al2023',
    Handler: '_start',
    SwarmLambda: { runtime: 'wasi', abi: 'json', reduce: 'none' }
  })
  const body = Buffer.concat([Buffer.from('{"bytes":"as sent"}\n'), Buffer.from([0, 1, 255])])
  const answer = await invoke('echo', body, { 'x-amz-log-type': 'Tail' })
  t.equal(answer.status, 200)
  t.ok(answer.bytes.equals(body), 'stdout is stdin, byte for byte')
  const log = Buffer.from(answer.headers['x-amz-log-result'] as string, 'base64').toString()
  t.match(log, /^START RequestId: \S+ Version: \$LATEST\necho\nEND RequestId: /)
})

t.test("the function's environment is its environ; updates reach it", async (t) => {
  t.equal((await deploy('environ', ENVIRON, { environment: { GREETING: 'hi' } })).status, 201)
  const first = (await invoke('environ', '')).text.split('\0')
  t.ok(first.includes('GREETING=hi'))
  t.ok(first.includes('AWS_LAMBDA_FUNCTION_NAME=environ'))
  t.ok(first.includes('AWS_EXECUTION_ENV=AWS_Lambda_provided.al2023'))
  const updated = await http('PUT', '/2015-03-31/functions/environ/configuration', {
    Environment: { Variables: { GREETING: 'ahoy' } }
  })
  t.equal(updated.status, 200)
  t.ok((await invoke('environ', '')).text.split('\0').includes('GREETING=ahoy'))
})

t.test('exit codes, traps and the deadline are typed function errors', async (t) => {
  await deploy(
    'exit3',
    command(
      `${WRITE} ${EXIT}`,
      `${write(2, '(i32.const 512)', '(i32.const 5)')} (call $exit (i32.const 3))`
    )
  )
  const exited = await invoke('exit3', '{}')
  t.equal(exited.headers['x-amz-function-error'], 'Unhandled')
  t.match(exited.json(), {
    errorType: 'Runtime.ExitError',
    errorMessage: 'Runtime exited with error: exit status 3\necho',
    errorCode: 'FUNCTION_EXIT'
  })
  await deploy(
    'exit0',
    command(
      `${WRITE} ${EXIT}`,
      `${write(1, '(i32.const 512)', '(i32.const 4)')} (call $exit (i32.const 0))`
    )
  )
  const clean = await invoke('exit0', '{}')
  t.equal(clean.status, 200)
  t.equal(clean.text, 'echo', 'proc_exit(0) is a normal end')
  // A command imports WASI (that is how the edge knows one): these two import fd_write.
  await deploy('trap', command(WRITE, 'unreachable'))
  t.match((await invoke('trap', '{}')).json(), { errorType: 'Runtime.Trap' })
  await deploy('spin', command(WRITE, '(loop $forever (br $forever))'), { timeoutMs: 300 })
  t.match((await invoke('spin', '{}')).json(), { errorType: 'Sandbox.Timedout' })
  t.equal((await invoke('echo', 'after')).text, 'after', 'the next call is fine')
})

t.test('no filesystem, no preopens: a path or an fd beyond 0-2 is an errno', async (t) => {
  const open = `(import "${PREVIEW1}" "path_open" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
    (import "${PREVIEW1}" "fd_prestat_get" (func $prestat (param i32 i32) (result i32)))`
  await deploy(
    'escape',
    command(
      `${WRITE} ${open}`,
      `(i32.store8 (i32.const 100) (call $open (i32.const 3) (i32.const 0) (i32.const 512)
          (i32.const 11) (i32.const 0) (i64.const -1) (i64.const -1) (i32.const 0) (i32.const 32)))
       (i32.store8 (i32.const 101) (call $prestat (i32.const 3) (i32.const 40)))
       ${write(1, '(i32.const 100)', '(i32.const 2)')}`,
      '/etc/passwd'
    )
  )
  const errnos = [...(await invoke('escape', '{}')).bytes]
  t.equal(errnos.length, 2)
  t.not(errnos[0], 0, `path_open("/etc/passwd") is refused (errno ${errnos[0]})`)
  t.equal(errnos[1], 8, 'fd_prestat_get(3) is EBADF: no preopened directory')
})

t.test('deploy refuses what a command may not import or lacks', async (t) => {
  const cases: [Uint8Array, string, RegExp][] = [
    [
      command(`(import "${PREVIEW1}" "sock_open" (func (param i32) (result i32)))`, ''),
      'WASM_FORBIDDEN_IMPORT',
      /sock_open/
    ],
    [
      command(`(import "${PREVIEW1}" "fd_write" (func (param i32) (result i32)))`, ''),
      'WASM_BAD_SIGNATURE',
      /fd_write/
    ],
    [
      wat(`(module ${WRITE} (memory (export "memory") 1) (func (export "main")))`),
      'WASM_MISSING_EXPORT',
      /_start/
    ],
    [command(`${WRITE} (import "env" "host" (func))`, ''), 'WASM_FORBIDDEN_IMPORT', /env/]
  ]
  for (const [wasm, code, message] of cases) {
    const answer = await deploy('refused', wasm)
    t.equal(answer.status, 400, code)
    t.equal(answer.json().errorCode, code)
    t.match(answer.json().message, message)
  }
})

t.test('CreateFunction takes a command in a zip; AWS sees provided.al2023', async (t) => {
  const created = await http('POST', '/2015-03-31/functions', {
    FunctionName: 'zipped',
    Runtime: 'provided.al2023',
    Handler: '_start',
    Role: 'arn:aws:iam::000000000000:role/x',
    Code: { ZipFile: Buffer.from(zipSync({ 'bootstrap.wasm': ECHO })).toString('base64') }
  })
  t.equal(created.status, 201)
  t.match(created.json(), { Runtime: 'provided.al2023', Handler: '_start' })
  t.equal((await invoke('zipped', 'zip')).text, 'zip')
})

const EXAMPLES = new URL('../../../functions/build/', import.meta.url)
const built = await Promise.all(
  ['wasi-c-echo', 'wasi-rust-echo'].map((name) =>
    readFile(new URL(`${name}.wasm`, EXAMPLES)).then(
      (bytes) => [name, bytes] as const,
      () => null
    )
  )
)
const missing = built.some((b) => b === null)
  ? 'the C and Rust examples are not built (npm run build:wasi needs clang, wasi-libc and rustc)'
  : false

t.test(
  'the C and Rust examples: stdout, stderr in the log, the environment',
  { skip: missing },
  async (t) => {
    const event = '{"name":"ada","items":[1,2,3]}'
    for (const entry of built) {
      if (entry === null) continue
      const [name, bytes] = entry
      t.equal((await deploy(name, bytes)).status, 201, `${name} deploys`)
      const answer = await invoke(name, event, { 'x-amz-log-type': 'Tail' })
      t.equal(answer.text, '{"greeting":"Hello, ada!","count":3,"sum":6,"env":null}', name)
      const log = Buffer.from(answer.headers['x-amz-log-result'] as string, 'base64').toString()
      t.match(log, /\necho: 30 bytes\nEND RequestId: /, `${name}: its stderr line`)
      const updated = await http('PUT', `/2015-03-31/functions/${name}/configuration`, {
        Environment: { Variables: { GREETING: 'hi' } }
      })
      t.equal(updated.status, 200)
      t.equal(
        (await invoke(name, event)).text,
        '{"greeting":"Hello, ada!","count":3,"sum":6,"env":"hi"}',
        `${name} sees GREETING`
      )
    }
  }
)

const COUNT = wat(WASI_COUNT_WAT)

t.test('a WASI command with a reducer shards a dataset event like a JS function', async (t) => {
  t.equal((await deploy('count', COUNT, { reduce: 'sum' })).status, 201)
  const event = JSON.stringify({ dataset: Array.from({ length: 5_000 }, (_, i) => i) })
  // The first run is cut as wide as placement allows; the next ones as the learnt cost says.
  for (let run = 0; run < 3; run++) {
    const answer = await invoke('count', event, { 'x-amz-log-type': 'Tail' })
    t.equal(answer.status, 200)
    t.equal(answer.text, '5000', `run ${run + 1}: the shards' counts add up to the whole`)
  }
  await deploy('count-one', COUNT)
  t.equal((await invoke('count-one', event)).text, '5000', 'one shard, the same answer')
})

t.test('hostile commands: each a typed error, and the next call is fine', async (t) => {
  const close = `(import "${PREVIEW1}" "fd_close" (func $close (param i32) (result i32)))`
  const sock = `(import "${PREVIEW1}" "sock_accept" (func $accept (param i32 i32 i32) (result i32)))`
  const poll = `(import "${PREVIEW1}" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))`
  const cases: [
    string,
    Uint8Array,
    (answer: { text: string; json: () => Record<string, unknown> }) => void
  ][] = [
    [
      'malloc bomb',
      command(
        WRITE,
        '(loop $more (br_if $more (i32.ne (memory.grow (i32.const 1)) (i32.const -1)))) unreachable'
      ),
      (a) => t.equal(a.json().errorType, 'Runtime.OutOfMemory')
    ],
    [
      'huge stdout',
      command(WRITE, `(loop $more ${write(1, '(i32.const 0)', '(i32.const 65536)')} (br $more))`),
      (a) => t.equal(a.json().errorType, 'Runtime.InvalidOutput')
    ],
    [
      'stderr flood',
      command(
        WRITE,
        `(local.set $n (i32.const 2000)) (loop $more ${write(2, '(i32.const 0)', '(i32.const 1024)')} (local.set $n (i32.sub (local.get $n) (i32.const 1))) (br_if $more (local.get $n)))`
      ),
      (a) => t.equal(a.text, '', 'the call ends normally; the log is capped')
    ],
    [
      'fd_close(1) then writes',
      command(
        `${WRITE} ${close}`,
        `(drop (call $close (i32.const 1))) ${write(1, '(i32.const 512)', '(i32.const 4)')}`
      ),
      (a) => t.equal(a.text, '', 'nothing reaches stdout after it is closed')
    ],
    [
      'sock_accept',
      command(
        `${WRITE} ${sock}`,
        `(i32.store8 (i32.const 100) (call $accept (i32.const 0) (i32.const 0) (i32.const 32))) ${write(1, '(i32.const 100)', '(i32.const 1)')}`
      ),
      (a) => t.not(a.text.charCodeAt(0), 0, 'refused with an errno')
    ],
    [
      'a 10 s poll_oneoff sleep',
      command(
        `${WRITE} ${poll}`,
        `(i64.store (i32.const 200) (i64.const 0)) (i32.store8 (i32.const 208) (i32.const 0)) (i32.store (i32.const 216) (i32.const 1)) (i64.store (i32.const 224) (i64.const 10000000000)) (loop $again (drop (call $poll (i32.const 200) (i32.const 300) (i32.const 1) (i32.const 400))) (br $again))`
      ),
      (a) => t.equal(a.json().errorType, 'Sandbox.Timedout')
    ]
  ]
  for (const [name, wasm] of cases) {
    const fn = `hostile-${cases.findIndex((c) => c[0] === name)}`
    const deployed = await deploy(fn, wasm, { timeoutMs: 500, memoryMb: 8 })
    t.equal(deployed.status, 201, `${name} deploys`)
  }
  // The edge's own event-loop lag and /healthz, watched all along (test/hostile/watch.ts).
  const watch = new Watch(edge.url)
  await watch.start()
  const lag = await lagOver(watch, MAX_LAG_MS, async () => {
    for (const [index, [name, , check]] of cases.entries()) {
      check(await invoke(`hostile-${index}`, '{}'))
      t.equal((await invoke('echo', 'still')).text, 'still', `after ${name}`)
    }
  })
  const report = await watch.stop()
  t.strictSame(report.failures, [], `/healthz answered 200 throughout (${report.probes} probes)`)
  assertLag(t, 'while hostile commands ran', lag, MAX_LAG_MS)
  t.comment(`slowest /healthz ${report.maxProbeMs.toFixed(1)} ms; edge lag ${lag.ms.toFixed(1)} ms`)
})

t.test(
  'runtime "wasi" may be given; for a module that is not a command it is refused',
  async (t) => {
    const given = await deploy('given', ECHO, { runtime: 'wasi' })
    t.equal(given.status, 201)
    t.equal(given.json().Runtime, 'provided.al2023')
    const seed = wat(`(module (memory (export "memory") 1)
    (func (export "execute") (param i32 i32) (result i32) (local.get 1)))`)
    const refused = await deploy('not-wasi', seed, { runtime: 'wasi' })
    t.equal(refused.status, 400)
    t.match(refused.json().message, /wasi needs a WASI command/)
  }
)
