import { performance } from 'node:perf_hooks'
import t from 'tap'
import wabtInit from 'wabt'
import {
  WASI_IMPORTS,
  WasiHost,
  WasiOutputTooLarge,
  type WasiCall,
  type WasiOutcome
} from '../../../lib/runtimes/wasi/host.js'
import { wat } from '../../wasm/wat.js'

/**
 * The WASI preview1 host through tiny command modules written in WAT: stdin to stdout, stderr as
 * the log, argv and environ, exit codes, clocks, randomness, sleeping against the deadline, and
 * what is denied (files, preopens, sockets, closed fds, pointers outside memory, too much output).
 * Each module reports the errnos it got as bytes on stdout, so the assertions read exact bytes.
 */

const MiB = 1024 * 1024
const text = (bytes: Uint8Array) => Buffer.from(bytes).toString()

/** The import declarations of `names` (all of preview1 by default), from the signature table. */
function importsOf(names: readonly string[]): string {
  return names
    .map((name) => {
      const { params, results } = WASI_IMPORTS[name]!
      const result = results.length > 0 ? `(result ${results.join(' ')})` : ''
      return `(import "wasi_snapshot_preview1" "${name}" (func $${name} (param ${params.join(' ')}) ${result}))`
    })
    .join('\n')
}

/**
 * Helpers every module has. Scratch memory: 0-7 an iovec, 8-11 nwritten, 12 a byte.
 * `$ok` traps on a non-zero errno; `$write` writes (ptr, len) to fd; `$byte` one byte to stdout.
 */
const HELPERS = `
  (func $ok (param i32) (if (local.get 0) (then unreachable)))
  (func $write (param $fd i32) (param $ptr i32) (param $len i32) (result i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8)))
  (func $byte_to (param $fd i32) (param $b i32)
    (i32.store8 (i32.const 12) (local.get $b))
    (drop (call $write (local.get $fd) (i32.const 12) (i32.const 1))))
  (func $byte (param $b i32) (call $byte_to (i32.const 1) (local.get $b)))`

/** A command module: imports, one exported memory of `pages`, the helpers, and `body`. */
function command(
  body: string,
  options: { pages?: number; data?: string; imports?: string[] } = {}
): WebAssembly.Module {
  const { pages = 1, data = '', imports = Object.keys(WASI_IMPORTS) } = options
  return new WebAssembly.Module(
    wat(`(module ${importsOf(imports)}
      (memory (export "memory") ${pages})
      ${data}
      ${HELPERS}
      ${body})`)
  )
}

/** A call with production-like limits and a deadline 10 s away, unless told otherwise. */
function call(overrides: Partial<WasiCall> = {}): WasiCall {
  return {
    stdin: new Uint8Array(0),
    args: ['fn'],
    env: {},
    deadline: Date.now() + 10_000,
    stdoutLimit: 6 * MiB,
    stderrLimit: 256 * 1024,
    ...overrides
  }
}

/** Instantiates `module` with a host for `overrides` and runs its _start. */
function run(module: WebAssembly.Module, overrides: Partial<WasiCall> = {}): WasiOutcome {
  return runOn(new WasiHost(call(overrides)), module)
}

/** Instantiates `module` with `host` and runs its _start. */
function runOn(host: WasiHost, module: WebAssembly.Module): WasiOutcome {
  let memory: WebAssembly.Memory | undefined
  const instance = new WebAssembly.Instance(module, {
    wasi_snapshot_preview1: host.imports(() => memory as WebAssembly.Memory)
  })
  memory = instance.exports.memory as WebAssembly.Memory
  return host.run(() => (instance.exports._start as () => void)())
}

/**
 * Copies stdin to `fd` until EOF, reading into two iovecs of `chunk` bytes in all at 4096: a
 * short `chunk` makes many reads.
 */
function echo(fd: number, chunk: number, imports?: string[]): WebAssembly.Module {
  const half = Math.floor(chunk / 2)
  return command(
    `(func (export "_start") (local $n i32)
      (block $done (loop $next
        (i32.store (i32.const 16) (i32.const 4096))
        (i32.store (i32.const 20) (i32.const ${half}))
        (i32.store (i32.const 24) (i32.const ${4096 + half}))
        (i32.store (i32.const 28) (i32.const ${chunk - half}))
        (call $ok (call $fd_read (i32.const 0) (i32.const 16) (i32.const 2) (i32.const 32)))
        (local.set $n (i32.load (i32.const 32)))
        (br_if $done (i32.eqz (local.get $n)))
        (call $ok (call $write (i32.const ${fd}) (i32.const 4096) (local.get $n)))
        (br $next))))`,
    imports === undefined ? {} : { imports }
  )
}

t.test('echo: stdin reaches stdout byte for byte, over many reads', async (t) => {
  const input = new Uint8Array(20_000).map((_, i) => (i % 7 === 0 ? 0 : (i * 31) & 0xff))
  const out = run(echo(1, 1000), { stdin: input })
  t.same(out.stdout, input)
  t.equal(out.stdout.byteOffset, 0)
  t.equal(out.stdout.buffer.byteLength, input.length, 'a buffer of its own, exactly as long')
  t.equal(out.stderr, '')
  t.equal(out.exitCode, null)

  t.same(run(echo(1, 1000)).stdout, new Uint8Array(0), 'empty stdin is EOF at once')
})

t.test(
  'a call starting in the buffer a previous call wrote into sees only its own bytes',
  async (t) => {
    const first = new WasiHost(call({ stdin: new Uint8Array(3000).fill(0x61) }))
    const module = echo(1, 1000)
    t.equal(runOn(first, module).stdout.length, 3000)
    const scratch = first.stdoutScratch
    t.ok(scratch.length >= 3000, 'the first call grew the buffer')
    const out = run(module, { stdin: Buffer.from('short'), stdoutScratch: scratch })
    t.equal(text(out.stdout), 'short', "none of the first call's bytes")
    t.equal(out.stdout.buffer.byteLength, 5, 'an answer of its own, not a view of the scratch')
    t.same(run(module, { stdoutScratch: scratch }).stdout, new Uint8Array(0))
  }
)

t.test('stderr is captured as text, apart from stdout', async (t) => {
  const module = command(
    `(data (i32.const 256) "hello log\\n")
    (func (export "_start")
      (i32.store (i32.const 16) (i32.const 256))
      (i32.store (i32.const 20) (i32.const 6))
      (i32.store (i32.const 24) (i32.const 262))
      (i32.store (i32.const 28) (i32.const 4))
      (call $ok (call $fd_write (i32.const 2) (i32.const 16) (i32.const 2) (i32.const 32)))
      (call $ok (call $write (i32.const 1) (i32.const 256) (i32.const 5))))`
  )
  const out = run(module)
  t.equal(out.stderr, 'hello log\n')
  t.equal(text(out.stdout), 'hello')
})

t.test(
  'args and environ round trip: counts, sizes, pointers and NUL-terminated strings',
  async (t) => {
    // stdout: count, size, the pointer array and the strings, for args then for environ.
    const module = command(
      `(func $dump (param $ptrs i32) (param $buf i32)
      (call $ok (call $write (i32.const 1) (i32.const 16) (i32.const 8)))
      (call $ok (call $write (i32.const 1) (local.get $ptrs)
        (i32.shl (i32.load (i32.const 16)) (i32.const 2))))
      (call $ok (call $write (i32.const 1) (local.get $buf) (i32.load (i32.const 20)))))
    (func (export "_start")
      (call $ok (call $args_sizes_get (i32.const 16) (i32.const 20)))
      (call $ok (call $args_get (i32.const 1024) (i32.const 2048)))
      (call $dump (i32.const 1024) (i32.const 2048))
      (call $ok (call $environ_sizes_get (i32.const 16) (i32.const 20)))
      (call $ok (call $environ_get (i32.const 4096) (i32.const 8192)))
      (call $dump (i32.const 4096) (i32.const 8192)))`
    )
    const env = { AWS_LAMBDA_FUNCTION_NAME: 'my-fn', GREETING: 'grüß dich', EMPTY: '' }
    const out = Buffer.from(run(module, { args: ['my-fn'], env }).stdout)

    let at = 0
    const read = (ptrBase: number) => {
      const count = out.readUInt32LE(at)
      const size = out.readUInt32LE(at + 4)
      at += 8
      const ptrs = Array.from({ length: count }, (_, i) => out.readUInt32LE(at + i * 4) - ptrBase)
      at += count * 4
      const strings = out.subarray(at, at + size)
      at += size
      return { ptrs, strings: strings.toString() }
    }
    t.same(read(2048), { ptrs: [0], strings: 'my-fn\0' })
    const environ = read(8192)
    const expected = ['AWS_LAMBDA_FUNCTION_NAME=my-fn', 'GREETING=grüß dich', 'EMPTY=']
    t.equal(environ.strings, expected.map((line) => `${line}\0`).join(''))
    t.same(
      environ.ptrs.map(
        (ptr) => Buffer.from(environ.strings).subarray(ptr).toString().split('\0')[0]
      ),
      expected,
      'each pointer starts its string'
    )
    t.equal(at, out.length)
  }
)

t.test('exit codes: proc_exit(0), proc_exit(3), and returning from _start', async (t) => {
  const exiting = (code: number) =>
    command(`(func (export "_start")
      (call $byte (i32.const 65))
      (call $proc_exit (i32.const ${code}))
      (call $byte (i32.const 66)))`)
  for (const code of [0, 3]) {
    const out = run(exiting(code))
    t.equal(out.exitCode, code, `proc_exit(${code})`)
    t.equal(text(out.stdout), 'A', 'output before the exit is kept, nothing after it runs')
  }
  const returning = run(command(`(func (export "_start") (call $byte (i32.const 65)))`))
  t.equal(returning.exitCode, null)
  t.equal(text(returning.stdout), 'A')
})

t.test('a trap is rethrown by run; the log written before it stays readable', async (t) => {
  const module = command(
    `(data (i32.const 256) "panicked at boom\\n")
    (func (export "_start")
      (drop (call $write (i32.const 2) (i32.const 256) (i32.const 17)))
      unreachable)`
  )
  const host = new WasiHost(call())
  let memory: WebAssembly.Memory | undefined
  const instance = new WebAssembly.Instance(module, {
    wasi_snapshot_preview1: host.imports(() => memory as WebAssembly.Memory)
  })
  memory = instance.exports.memory as WebAssembly.Memory
  t.throws(() => host.run(instance.exports._start as () => void), WebAssembly.RuntimeError)
  t.equal(host.logs(), 'panicked at boom\n')
})

t.test(
  'clocks: monotonic increases, realtime is now, cputime is small, unknown ids EINVAL',
  async (t) => {
    const module = command(
      `(func (export "_start") (local $i i32)
      (call $ok (call $clock_time_get (i32.const 1) (i64.const 0) (i32.const 1024)))
      (loop $spin
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $spin (i32.lt_u (local.get $i) (i32.const 100000))))
      (call $ok (call $clock_time_get (i32.const 1) (i64.const 0) (i32.const 1032)))
      (call $ok (call $clock_time_get (i32.const 0) (i64.const 1000) (i32.const 1040)))
      (call $ok (call $clock_res_get (i32.const 1) (i32.const 1048)))
      (call $ok (call $clock_time_get (i32.const 2) (i64.const 0) (i32.const 1056)))
      (i32.store8 (i32.const 1064) (call $clock_time_get (i32.const 9) (i64.const 0) (i32.const 1072)))
      (i32.store8 (i32.const 1065) (call $clock_res_get (i32.const 4) (i32.const 1072)))
      (call $ok (call $write (i32.const 1) (i32.const 1024) (i32.const 42))))`
    )
    const before = BigInt(Date.now()) * 1_000_000n
    const out = Buffer.from(run(module).stdout)
    const after = BigInt(Date.now() + 1) * 1_000_000n
    const [first, second, realtime, resolution, cputime] = [0, 8, 16, 24, 32].map((at) =>
      out.readBigUInt64LE(at)
    ) as [bigint, bigint, bigint, bigint, bigint]
    t.ok(second > first, `monotonic ${first} < ${second}`)
    t.ok(realtime >= before && realtime <= after, 'realtime is the wall clock in nanoseconds')
    t.ok(resolution > 0n)
    t.ok(cputime > 0n && cputime < 10_000_000_000n, 'cputime is this call’s own, not the process’s')
    t.same([out[40], out[41]], [28, 28], 'EINVAL for clock ids 9 and 4')
  }
)

t.test('random_get fills from the CSPRNG, past the 64 KiB chunk of getRandomValues', async (t) => {
  const module = command(
    `(func (export "_start")
      (call $byte (call $random_get (i32.const 131070) (i32.const 4)))
      (call $ok (call $random_get (i32.const 4096) (i32.const 100000)))
      (call $ok (call $write (i32.const 1) (i32.const 4096) (i32.const 100000))))`,
    { pages: 2 }
  )
  const out = run(module).stdout
  t.equal(out[0], 21, 'EFAULT past the end of memory')
  const random = out.subarray(1)
  t.equal(random.length, 100_000)
  t.equal(new Set(random).size, 256, 'every byte value occurs')
  t.ok(
    random.subarray(65_536).some((byte) => byte !== 0),
    'the second chunk is filled too'
  )
})

t.test('denied: files, preopens, sockets, seeking, signals; fds other than 0-2', async (t) => {
  const cases: Array<[string, number]> = [
    [
      '(call $path_open (i32.const 0) (i32.const 0) (i32.const 256) (i32.const 4) (i32.const 0) (i64.const -1) (i64.const -1) (i32.const 0) (i32.const 16))',
      76
    ],
    [
      '(call $path_open (i32.const 3) (i32.const 0) (i32.const 256) (i32.const 4) (i32.const 0) (i64.const 0) (i64.const 0) (i32.const 0) (i32.const 16))',
      8
    ],
    ['(call $path_unlink_file (i32.const 1) (i32.const 256) (i32.const 4))', 76],
    [
      '(call $path_symlink (i32.const 256) (i32.const 4) (i32.const 7) (i32.const 256) (i32.const 4))',
      8
    ],
    ['(call $fd_prestat_get (i32.const 3) (i32.const 16))', 8],
    ['(call $fd_prestat_get (i32.const 0) (i32.const 16))', 8],
    ['(call $fd_prestat_dir_name (i32.const 3) (i32.const 16) (i32.const 4))', 8],
    [
      '(call $fd_readdir (i32.const 3) (i32.const 16) (i32.const 4) (i64.const 0) (i32.const 20))',
      8
    ],
    [
      '(call $sock_send (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 16))',
      57
    ],
    ['(call $sock_accept (i32.const 9) (i32.const 0) (i32.const 16))', 8],
    ['(call $fd_seek (i32.const 0) (i64.const 0) (i32.const 0) (i32.const 16))', 70],
    ['(call $fd_tell (i32.const 1) (i32.const 16))', 70],
    [
      '(call $fd_pwrite (i32.const 1) (i32.const 0) (i32.const 1) (i64.const 0) (i32.const 16))',
      70
    ],
    ['(call $fd_read (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 16))', 8],
    ['(call $fd_write (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 16))', 8],
    ['(call $fd_write (i32.const 7) (i32.const 0) (i32.const 1) (i32.const 16))', 8],
    ['(call $fd_write (i32.const -1) (i32.const 0) (i32.const 1) (i32.const 16))', 8],
    ['(call $fd_fdstat_get (i32.const 3) (i32.const 16))', 8],
    ['(call $fd_renumber (i32.const 1) (i32.const 2))', 58],
    ['(call $fd_fdstat_set_flags (i32.const 1) (i32.const 1))', 0],
    ['(call $fd_fdstat_set_flags (i32.const 1) (i32.const 16))', 58],
    ['(call $fd_sync (i32.const 1))', 0],
    ['(call $fd_close (i32.const 3))', 8],
    ['(call $proc_raise (i32.const 2))', 52],
    ['(call $sched_yield)', 0]
  ]
  const module = command(
    `(data (i32.const 256) "/etc")
    (func (export "_start")
      ${cases.map(([expr]) => `(call $byte ${expr})`).join('\n')})`
  )
  const out = run(module).stdout
  t.same(Object.fromEntries(cases.map(([expr], i) => [expr, out[i]])), Object.fromEntries(cases))
})

t.test('the streams are character devices; fdstat and filestat say so', async (t) => {
  const module = command(
    `(func (export "_start")
      (call $ok (call $fd_fdstat_get (i32.const 1) (i32.const 1024)))
      (call $ok (call $fd_filestat_get (i32.const 0) (i32.const 1048)))
      (call $ok (call $write (i32.const 1) (i32.const 1024) (i32.const 88))))`
  )
  const out = Buffer.from(run(module).stdout)
  t.equal(out[0], 2, 'CHARACTER_DEVICE')
  t.equal(out.readUInt16LE(2), 1, 'APPEND')
  const rights = out.readBigUInt64LE(8)
  t.ok(rights & (1n << 6n), 'FD_WRITE')
  t.ok(rights & (1n << 2n), 'FD_SEEK: not a tty to wasi-libc, so stdout is fully buffered')
  t.notOk(rights & (1n << 13n), 'no PATH_OPEN')
  t.equal(out.readBigUInt64LE(16), 0n, 'inherits nothing')
  const filestat = out.subarray(24)
  t.equal(filestat[16], 2)
  t.ok(
    filestat.every((byte, i) => i === 16 || byte === 0),
    'zeros elsewhere'
  )
})

t.test('fd_close(1): later writes to it fail with EBADF, stdout stays as it was', async (t) => {
  const module = command(
    `(data (i32.const 256) "beforeafter")
    (func (export "_start")
      (call $ok (call $write (i32.const 1) (i32.const 256) (i32.const 6)))
      (call $byte_to (i32.const 2) (call $fd_close (i32.const 1)))
      (call $byte_to (i32.const 2) (call $write (i32.const 1) (i32.const 262) (i32.const 5)))
      (call $byte_to (i32.const 2) (call $fd_close (i32.const 1))))`
  )
  const out = run(module)
  t.equal(text(out.stdout), 'before')
  t.same([...Buffer.from(out.stderr)], [0, 8, 8], 'closed, then EBADF twice')
})

t.test('pointers outside memory are EFAULT, with no effect and no host exception', async (t) => {
  const module = command(
    `(func (export "_start")
      (i32.store (i32.const 16) (i32.const 65530))
      (i32.store (i32.const 20) (i32.const 10))
      (i32.store (i32.const 24) (i32.const 1024))
      (i32.store (i32.const 28) (i32.const 10))
      (call $byte (call $fd_write (i32.const 1) (i32.const -16) (i32.const 1) (i32.const 32)))
      (call $byte (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 32)))
      (call $byte (call $fd_write (i32.const 1) (i32.const 24) (i32.const 1) (i32.const 65534)))
      (call $byte (call $fd_write (i32.const 1) (i32.const 16) (i32.const 0x20000000) (i32.const 32)))
      (call $byte (call $fd_read (i32.const 0) (i32.const 16) (i32.const 1) (i32.const 32)))
      (call $byte (call $clock_time_get (i32.const 1) (i64.const 0) (i32.const 65532)))
      (call $byte (call $args_get (i32.const 65534) (i32.const 256)))
      (call $byte (call $environ_sizes_get (i32.const 16) (i32.const -4)))
      (call $byte (call $random_get (i32.const -1) (i32.const 2)))
      (call $byte (call $poll_oneoff (i32.const 65530) (i32.const 1024) (i32.const 1) (i32.const 32)))
      (call $byte (call $fd_fdstat_get (i32.const 1) (i32.const 65530)))
      (call $byte (call $fd_filestat_get (i32.const 2) (i32.const 65500)))
      ;; stdin was not consumed by the failed read
      (call $ok (call $fd_read (i32.const 0) (i32.const 24) (i32.const 1) (i32.const 32)))
      (call $ok (call $write (i32.const 1) (i32.const 1024) (i32.load (i32.const 32)))))`
  )
  const out = run(module, { stdin: Buffer.from('xyz') }).stdout
  t.same([...out.subarray(0, 12)], Array(12).fill(21))
  t.equal(text(out.subarray(12)), 'xyz')
})

t.test('memory that grows between calls is read afresh', async (t) => {
  const module = command(
    `(data (i32.const 256) "grown")
    (func (export "_start")
      (drop (memory.grow (i32.const 1)))
      (memory.copy (i32.const 65636) (i32.const 256) (i32.const 5))
      (call $ok (call $write (i32.const 1) (i32.const 65636) (i32.const 5))))`
  )
  t.equal(text(run(module).stdout), 'grown')
})

t.test('stdout over its limit fails the call with WasiOutputTooLarge', async (t) => {
  const input = new Uint8Array(120).fill(0x61)
  t.throws(() => run(echo(1, 60), { stdin: input, stdoutLimit: 100 }), WasiOutputTooLarge)
  const exact = run(echo(1, 50), { stdin: input.subarray(0, 100), stdoutLimit: 100 })
  t.equal(exact.stdout.length, 100, 'exactly the limit is fine')
})

t.test('stderr over its limit keeps the newest bytes', async (t) => {
  const input = Buffer.from(Array.from({ length: 1000 }, (_, i) => String(i % 10)).join(''))
  const small = run(echo(2, 7), { stdin: input, stderrLimit: 64 })
  t.equal(small.stderr, input.subarray(-64).toString(), 'many small writes wrap the ring')
  const large = run(echo(2, 300), { stdin: input, stderrLimit: 64 })
  t.equal(large.stderr, input.subarray(-64).toString(), 'writes larger than the limit')
  t.equal(run(echo(2, 64), { stdin: input, stderrLimit: 2000 }).stderr, input.toString())

  const accents = Buffer.from('é'.repeat(100))
  const cut = run(echo(2, 9), { stdin: accents, stderrLimit: 5 })
  t.equal(cut.stderr, 'éé', 'a character cut by the cap is dropped, not shown as U+FFFD')
})

/** Sleeps with one clock subscription; stdout: errno, nevents, the event. */
function sleeper(timeoutNs: bigint, options: { clock?: number; absolute?: boolean } = {}) {
  return command(
    `(func (export "_start")
      (i64.store (i32.const 1024) (i64.const 0x1234))
      (i32.store8 (i32.const 1032) (i32.const 0))
      (i32.store (i32.const 1040) (i32.const ${options.clock ?? 1}))
      (i64.store (i32.const 1048) (i64.const ${timeoutNs}))
      (i32.store16 (i32.const 1064) (i32.const ${options.absolute === true ? 1 : 0}))
      (call $byte (call $poll_oneoff (i32.const 1024) (i32.const 2048) (i32.const 1) (i32.const 16)))
      (call $ok (call $write (i32.const 1) (i32.const 16) (i32.const 4)))
      (call $ok (call $write (i32.const 1) (i32.const 2048) (i32.const 32))))`
  )
}

/** The fields of a poll_oneoff answer (errno, nevents, then `event` records). */
function events(stdout: Uint8Array) {
  const out = Buffer.from(stdout)
  const count = out.readUInt32LE(1)
  return {
    errno: out[0],
    events: Array.from({ length: count }, (_, i) => {
      const at = 5 + i * 32
      return {
        userdata: out.readBigUInt64LE(at),
        error: out.readUInt16LE(at + 8),
        type: out[at + 10],
        nbytes: out.readBigUInt64LE(at + 16),
        flags: out.readUInt16LE(at + 24)
      }
    })
  }
}

const CLOCK_EVENT = { userdata: 0x1234n, error: 0, type: 0, nbytes: 0n, flags: 0 }

t.test('poll_oneoff sleeps on a clock', async (t) => {
  const started = process.hrtime.bigint()
  const out = run(sleeper(50_000_000n))
  t.ok(process.hrtime.bigint() - started >= 50_000_000n, 'at least 50 ms')
  t.same(events(out.stdout), { errno: 0, events: [CLOCK_EVENT] })

  const at = BigInt(Date.now() + 30) * 1_000_000n
  const absolute = run(sleeper(at, { clock: 0, absolute: true }))
  t.ok(BigInt(Date.now()) * 1_000_000n >= at - 1_000_000n, 'until a realtime instant')
  t.same(events(absolute.stdout), { errno: 0, events: [CLOCK_EVENT] })
})

t.test('poll_oneoff never sleeps past the deadline', async (t) => {
  const started = Date.now()
  const deadline = started + 100
  const out = run(sleeper(10_000_000_000n), { deadline })
  t.ok(Date.now() >= deadline, 'slept until the deadline')
  t.ok(Date.now() - started < 10_000, 'not for the 10 s asked')
  t.same(
    events(out.stdout),
    { errno: 0, events: [CLOCK_EVENT] },
    'reported as fired: the caller times the call out'
  )
})

t.test('poll_oneoff: streams are ready at once, unknown fds get EBADF', async (t) => {
  const subscription = (i: number, userdata: number, tag: number, fdOrClock: number) => `
    (i64.store (i32.const ${1024 + i * 48}) (i64.const ${userdata}))
    (i32.store8 (i32.const ${1032 + i * 48}) (i32.const ${tag}))
    (i32.store (i32.const ${1040 + i * 48}) (i32.const ${fdOrClock}))
    (i64.store (i32.const ${1048 + i * 48}) (i64.const 10000000000))`
  const module = command(
    `(func (export "_start")
      ${subscription(0, 1, 0, 1)}
      ${subscription(1, 2, 1, 0)}
      ${subscription(2, 3, 2, 1)}
      ${subscription(3, 4, 1, 5)}
      (call $byte (call $poll_oneoff (i32.const 1024) (i32.const 2048) (i32.const 4) (i32.const 16)))
      (call $ok (call $write (i32.const 1) (i32.const 16) (i32.const 4)))
      (call $ok (call $write (i32.const 1) (i32.const 2048) (i32.const 96)))
      (call $byte (call $poll_oneoff (i32.const 1024) (i32.const 2048) (i32.const 0) (i32.const 16))))`
  )
  const started = Date.now()
  const out = run(module, { stdin: Buffer.from('abc'), stdoutLimit: 1000 })
  t.ok(Date.now() - started < 5_000, 'the 10 s clock did not hold the ready streams back')
  const answer = events(out.stdout.subarray(0, -1))
  t.same(answer, {
    errno: 0,
    events: [
      { userdata: 2n, error: 0, type: 1, nbytes: 3n, flags: 0 },
      { userdata: 3n, error: 0, type: 2, nbytes: 1000n, flags: 0 },
      { userdata: 4n, error: 8, type: 1, nbytes: 0n, flags: 0 }
    ]
  })
  t.equal(out.stdout.at(-1), 28, 'no subscriptions: EINVAL')
})

t.test('a module that catches the exit or the overflow does not get away with it', async (t) => {
  // Wasm exception handling lets a module catch the host's throw: the host remembers the end.
  const wabt = await wabtInit()
  const module = (body: string) => {
    const parsed = wabt.parseWat(
      'eh.wat',
      `(module ${importsOf(['fd_write', 'proc_exit'])}
        (memory (export "memory") 1) (data (i32.const 256) "0123456789") ${HELPERS} ${body})`,
      { exceptions: true }
    )
    try {
      return new WebAssembly.Module(parsed.toBinary({}).buffer)
    } finally {
      parsed.destroy()
    }
  }
  const exit = run(
    module(`(func (export "_start")
      (try (do (call $proc_exit (i32.const 7))) (catch_all))
      (try (do (call $byte (i32.const 66))) (catch_all)))`)
  )
  t.same({ exitCode: exit.exitCode, stdout: text(exit.stdout) }, { exitCode: 7, stdout: '' })

  const overflow = module(`(func (export "_start")
    (try (do (drop (call $write (i32.const 1) (i32.const 256) (i32.const 10)))) (catch_all))
    (try (do (drop (call $write (i32.const 1) (i32.const 256) (i32.const 2)))) (catch_all)))`)
  t.throws(() => run(overflow, { stdoutLimit: 4 }), WasiOutputTooLarge)
})

t.test('the signature table: all of preview1, as the host implements it', async (t) => {
  const host = new WasiHost(call())
  const implemented = Object.keys(host.imports(() => new WebAssembly.Memory({ initial: 1 })))
  t.same(implemented.sort(), Object.keys(WASI_IMPORTS).sort())
  t.equal(implemented.length, 46)
  t.same(WASI_IMPORTS.fd_write, { params: ['i32', 'i32', 'i32', 'i32'], results: ['i32'] })
  t.same(WASI_IMPORTS.clock_time_get, { params: ['i32', 'i64', 'i32'], results: ['i32'] })
  t.same(WASI_IMPORTS.proc_exit, { params: ['i32'], results: [] })
  t.same(WASI_IMPORTS.path_open, {
    params: ['i32', 'i32', 'i32', 'i32', 'i32', 'i64', 'i64', 'i32', 'i32'],
    results: ['i32']
  })
  t.same(WASI_IMPORTS.sched_yield, { params: [], results: ['i32'] })
})

t.test('per-call cost: instantiate + run, 200 B echoed', async (t) => {
  const module = echo(1, 4096, ['fd_read', 'fd_write'])
  const input = new Uint8Array(200).map((_, i) => i)
  const median = (runs: number[]) => runs.sort((a, b) => a - b)[Math.floor(runs.length / 2)]!
  const timings: number[] = []
  let last: WasiOutcome | undefined
  for (let i = 0; i < 1100; i++) {
    const started = performance.now()
    last = run(module, { stdin: input })
    if (i >= 100) timings.push((performance.now() - started) * 1000) // after a warm-up
  }
  t.same(last?.stdout, input)
  t.comment(`wasi host: ${median(timings).toFixed(1)} µs per call (median of 1000, in-thread)`)
})
