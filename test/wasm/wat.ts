import wabtInit from 'wabt'

const wabt = await wabtInit()

/** Compiles WebAssembly text to a binary with wabt, so hostile modules are written as test data. */
export function wat(text: string): Uint8Array {
  const module = wabt.parseWat('test.wat', text, {
    bulk_memory: true,
    multi_value: true,
    threads: true
  })
  try {
    // No module.validate(): wabt.js refuses shared memories whatever the features, and the
    // policy under test is what should judge a module anyway.
    return module.toBinary({}).buffer
  } finally {
    module.destroy()
  }
}

/** The seed's own module (seed 000's README): sums the i32 array at (ptr, len); 148 bytes. */
export const SEED_WASM_BASE64 =
  'AGFzbQEAAAABBwFgAn9/AX8DAgEABQMBAAEHFAIGbWVtb3J5AgAHZXhlY3V0ZQAACi4BLAECfwJAA0AgAyABTw0BIAIgACADQQRsaigCAGohAiADQQFqIQMMAAsLIAILADIEbmFtZQIXAQAEAANwdHIBA2xlbgIDc3VtAwNpZHgDEgEAAgAEZG9uZQEHbXlfbG9vcA=='

/** A v1 `execute` that sums its input, in text form, for modules that add something to it. */
export const SUM_EXECUTE = `
  (func (export "execute") (param $ptr i32) (param $len i32) (result i32)
    (local $i i32) (local $sum i32)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
      (local.set $sum (i32.add (local.get $sum)
        (i32.load (i32.add (local.get $ptr) (i32.shl (local.get $i) (i32.const 2))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (local.get $sum))`

/** Sums the items after its header, after spinning header[0] million loop turns (tests' slow shards). */
export const SLOW_SUM_WAT = `(module (memory (export "memory") 1)
  (func (export "execute") (param $ptr i32) (param $len i32) (result i32)
    (local $i i32) (local $sum i32) (local $spin i32)
    (local.set $spin (i32.mul (i32.load (local.get $ptr)) (i32.const 1000000)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $spin)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (local.set $i (i32.const 1))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
      (local.set $sum (i32.add (local.get $sum)
        (i32.load (i32.add (local.get $ptr) (i32.shl (local.get $i) (i32.const 2))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (local.get $sum)))`

/**
 * A WASI command answering the number of items in its event's `dataset` (commas + 1, for an event
 * holding only a dataset of numbers) as a JSON number: additive, so a sharded sum of its answers
 * equals one shard's.
 */
export const WASI_COUNT_WAT = `(module
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (func (export "_start") (local $n i32) (local $total i32) (local $i i32) (local $count i32)
    (block $done (loop $more
      (i32.store (i32.const 0) (i32.add (i32.const 4096) (local.get $total)))
      (i32.store (i32.const 4) (i32.sub (i32.const 120000) (local.get $total)))
      (drop (call $read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
      (local.set $n (i32.load (i32.const 8)))
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $total (i32.add (local.get $total) (local.get $n)))
      (br $more)))
    (local.set $count (i32.const 1))
    (block $end (loop $scan
      (br_if $end (i32.ge_u (local.get $i) (local.get $total)))
      (if (i32.eq (i32.load8_u (i32.add (i32.const 4096) (local.get $i))) (i32.const 44))
        (then (local.set $count (i32.add (local.get $count) (i32.const 1)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $scan)))
    ;; the digits, written backwards from 2047
    (local.set $i (i32.const 2048))
    (loop $digit
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (i32.store8 (local.get $i) (i32.add (i32.const 48) (i32.rem_u (local.get $count) (i32.const 10))))
      (local.set $count (i32.div_u (local.get $count) (i32.const 10)))
      (br_if $digit (i32.ne (local.get $count) (i32.const 0))))
    (i32.store (i32.const 16) (local.get $i))
    (i32.store (i32.const 20) (i32.sub (i32.const 2048) (local.get $i)))
    (drop (call $write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24)))))`
