/**
 * The hostile modules: loops, memory and table bombs, deep recursion, traps at instantiation,
 * huge memories and outputs, each with what it must come to.
 */

/** One hostile module: how it is deployed, what it is given, and what it must come to. */
export interface Case {
  what: string
  wat: string
  memoryMb?: number
  timeoutMs?: number
  payload?: string | Buffer
  headers?: Record<string, string>
  /** The deploy's error code, or the invocation's function error code ('ok': a 200 result). */
  expect: { deploy: string } | { invoke: string }
}

export const MEMORY = '(memory (export "memory") 1)'
const v1 = (body: string, extra = '', memory = MEMORY) =>
  `(module ${memory} ${extra} (func (export "execute") (param $ptr i32) (param $len i32) (result i32) ${body}))`

export const CASES: Case[] = [
  {
    what: 'an infinite loop',
    wat: v1('(loop $l (br $l)) (i32.const 0)'),
    timeoutMs: 300,
    expect: { invoke: 'FUNCTION_TIMEOUT' }
  },
  {
    what: 'an infinite loop in _initialize',
    wat: v1('(i32.const 0)', '(func (export "_initialize") (loop $l (br $l)))'),
    timeoutMs: 300,
    expect: { invoke: 'FUNCTION_TIMEOUT' }
  },
  {
    what: 'a loop that calls itself through a table',
    wat: v1(
      '(call_indirect (type $t) (i32.const 0) (i32.const 0))',
      '(type $t (func (param i32) (result i32))) (table 1 funcref) (elem (i32.const 0) $f) (func $f (type $t) (loop $l (br $l)) (i32.const 1))'
    ),
    timeoutMs: 300,
    expect: { invoke: 'FUNCTION_TIMEOUT' }
  },
  {
    what: 'a memory bomb (memory.grow by one page until refused)',
    wat: v1(
      '(loop $more (br_if $more (i32.ne (memory.grow (i32.const 1)) (i32.const -1)))) (i32.const 0)'
    ),
    memoryMb: 16,
    expect: { invoke: 'FUNCTION_MEMORY_LIMIT' }
  },
  {
    what: 'a memory bomb (one memory.grow of 65535 pages)',
    wat: v1('(drop (memory.grow (i32.const 65535))) (i32.const 0)'),
    memoryMb: 16,
    expect: { invoke: 'FUNCTION_MEMORY_LIMIT' }
  },
  {
    what: 'a memory bomb that writes every page it gets',
    wat: v1(
      `(local $page i32)
       (loop $more
         (local.set $page (memory.grow (i32.const 1)))
         (i32.store8 (i32.mul (local.get $page) (i32.const 65536)) (i32.const 1))
         (br $more))
       (i32.const 0)`
    ),
    memoryMb: 64,
    timeoutMs: 5_000,
    expect: { invoke: 'FUNCTION_MEMORY_LIMIT' }
  },
  {
    what: 'an input bigger than the memory cap',
    wat: v1('(local.get $len)', '', '(memory (export "memory") 1 1)'),
    memoryMb: 1,
    payload: JSON.stringify(Array.from({ length: 100_000 }, () => 7)), // 400 KB, in 2 shards
    expect: { invoke: 'FUNCTION_MEMORY_LIMIT' }
  },
  {
    what: 'unbounded recursion',
    wat: v1(
      '(call $f (local.get $len))',
      '(func $f (param i32) (result i32) (call $f (local.get 0)))'
    ),
    expect: { invoke: 'FUNCTION_TRAP' }
  },
  {
    what: 'recursion with 1,000 locals per frame',
    wat: v1(
      '(call $f (local.get $len))',
      `(func $f (param i32) (result i32) ${'(local i64) '.repeat(1_000)} (call $f (i32.add (local.get 0) (i32.const 1))))`
    ),
    expect: { invoke: 'FUNCTION_TRAP' }
  },
  {
    // The engine alone would let it grow to 10M entries (80 MB outside the memory cap): the
    // rewrite caps every table at 100,000, so both grows are refused (else `unreachable` traps).
    what: 'a table at the limit, grown toward the engine limit',
    wat: v1(
      `(if (i32.ne (table.grow $t (ref.null func) (i32.const 9900000)) (i32.const -1)) (then unreachable))
       (if (i32.ne (table.grow $t (ref.null func) (i32.const 1)) (i32.const -1)) (then unreachable))
       (table.size $t)`,
      '(table $t 100000 funcref)'
    ),
    timeoutMs: 10_000,
    expect: { invoke: 'ok' }
  },
  {
    what: 'a data segment out of bounds (traps at instantiation)',
    wat: v1('(i32.const 0)', '(data (i32.const 65530) "0123456789")'),
    expect: { invoke: 'FUNCTION_TRAP' }
  },
  {
    what: 'an element segment out of bounds (traps at instantiation)',
    wat: v1('(i32.const 0)', '(table 1 funcref) (func $g) (elem (i32.const 5) $g)'),
    expect: { invoke: 'FUNCTION_TRAP' }
  },
  {
    what: 'an _initialize that traps',
    wat: v1('(i32.const 0)', '(func (export "_initialize") unreachable)'),
    expect: { invoke: 'FUNCTION_TRAP' }
  },
  {
    what: 'a huge initial memory (4 GiB less 16 pages, at the cap)',
    wat: v1('(i32.const 7)', '', '(memory (export "memory") 65520)'),
    memoryMb: 4_095,
    expect: { invoke: 'ok' }
  },
  {
    what: 'a huge initial memory over the cap',
    wat: v1('(i32.const 7)', '', '(memory (export "memory") 65536)'),
    memoryMb: 4_095,
    expect: { deploy: 'WASM_MEMORY_TOO_LARGE' }
  },
  {
    what: 'an output past the end of memory',
    wat: v1(
      '(i32.const 0)',
      '(func (export "output_ptr") (result i32) (i32.const 0)) (func (export "output_len") (result i32) (i32.const 16777216))'
    ),
    expect: { invoke: 'FUNCTION_BAD_OUTPUT' }
  },
  {
    what: 'an output of 64 MiB (all of a 64 MiB memory)',
    wat: v1(
      '(i32.const 0)',
      '(func (export "output_ptr") (result i32) (i32.const 0)) (func (export "output_len") (result i32) (i32.const 16777216))',
      '(memory (export "memory") 1024)'
    ),
    memoryMb: 64,
    expect: { invoke: 'FUNCTION_BAD_OUTPUT' }
  },
  {
    what: 'an output of 6 MiB of large numbers (at the limit)',
    wat: v1(
      `(local $i i32)
       (loop $fill
         (i32.store (local.get $i) (i32.const -1234567890))
         (local.set $i (i32.add (local.get $i) (i32.const 4)))
         (br_if $fill (i32.lt_u (local.get $i) (i32.const 6291456))))
       (i32.const 0)`,
      '(func (export "output_ptr") (result i32) (i32.const 0)) (func (export "output_len") (result i32) (i32.const 1572864))',
      '(memory (export "memory") 97)'
    ),
    payload: '[1]',
    expect: { invoke: 'ok' }
  },
  {
    what: 'an ABI v2 payload of 64 MiB',
    wat: `(module (memory (export "memory") 1024)
      (func (export "alloc") (param i32) (result i32) (i32.const 0))
      (func (export "handle") (param i32 i32) (result i64) (i64.const 67108864)))`,
    memoryMb: 64,
    payload: 'x',
    expect: { invoke: 'FUNCTION_BAD_OUTPUT' }
  },
  {
    what: 'an ABI v2 output pointer past the end of memory',
    wat: `(module ${MEMORY}
      (func (export "alloc") (param i32) (result i32) (i32.const 0))
      (func (export "handle") (param i32 i32) (result i64) (i64.const 0x7fff000000000010)))`,
    payload: 'x',
    expect: { invoke: 'FUNCTION_BAD_OUTPUT' }
  },
  {
    what: 'an alloc that returns 0xffffffff',
    wat: `(module ${MEMORY}
      (func (export "alloc") (param i32) (result i32) (i32.const -1))
      (func (export "handle") (param i32 i32) (result i64) (i64.const 0)))`,
    payload: 'hello',
    expect: { invoke: 'FUNCTION_MEMORY_LIMIT' }
  },
  {
    what: 'an alloc that traps',
    wat: `(module ${MEMORY}
      (func (export "alloc") (param i32) (result i32) unreachable)
      (func (export "handle") (param i32 i32) (result i64) (i64.const 0)))`,
    payload: 'hello',
    expect: { invoke: 'FUNCTION_TRAP' }
  },
  {
    what: 'an alloc that never returns',
    wat: `(module ${MEMORY}
      (func (export "alloc") (param i32) (result i32) (loop $l (br $l)) (i32.const 0))
      (func (export "handle") (param i32 i32) (result i64) (i64.const 0)))`,
    timeoutMs: 300,
    payload: 'hello',
    expect: { invoke: 'FUNCTION_TIMEOUT' }
  },
  {
    what: 'a divide by zero',
    wat: v1('(i32.div_u (i32.const 1) (i32.const 0))'),
    expect: { invoke: 'FUNCTION_TRAP' }
  },
  {
    what: 'an out-of-bounds load',
    wat: v1('(i32.load (i32.const -4))'),
    expect: { invoke: 'FUNCTION_TRAP' }
  },
  {
    what: 'an indirect call of the wrong type',
    wat: v1(
      '(call_indirect (type $t) (i32.const 0))',
      '(type $t (func (result i32))) (table 1 funcref) (elem (i32.const 0) $g) (func $g (param i64))'
    ),
    expect: { invoke: 'FUNCTION_TRAP' }
  },
  {
    what: '50,000 locals (over the engine limit)',
    wat: v1(`${'(local i32) '.repeat(50_001)} (i32.const 0)`),
    expect: { deploy: 'WASM_INVALID' }
  }
]
