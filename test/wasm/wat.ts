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
