import { WASM_UNSUPPORTED } from '../errors.js'
import { Reader } from './reader.js'

const MEMORY_GROW = 0x40

/**
 * Walks one function body (locals, then instructions) and returns the byte offsets of every
 * `memory.grow` opcode. Decoding every immediate is what makes the offsets trustworthy: a byte
 * 0x40 inside an immediate is not an instruction. Opcodes we cannot decode are refused.
 */
export function findMemoryGrows(bytes: Uint8Array, start: number, end: number): number[] {
  const r = new Reader(bytes, start, end)
  for (let groups = r.u32(); groups > 0; groups--) {
    r.u32()
    skipValType(r)
  }
  const found: number[] = []
  while (r.more()) {
    const at = r.pos
    const op = r.u8()
    if (op === MEMORY_GROW) found.push(at)
    skipImmediates(r, op)
  }
  return found
}

function skipHeapType(r: Reader): void {
  r.sleb(33)
}

function skipValType(r: Reader): void {
  const byte = r.u8()
  // (ref null ht) and (ref ht) carry a heap type.
  if (byte === 0x63 || byte === 0x64) skipHeapType(r)
}

function skipBlockType(r: Reader): void {
  const value = r.sleb(33)
  if (value === -29 || value === -28) skipHeapType(r)
}

function skipMemarg(r: Reader): void {
  const align = r.u32()
  if (align & 0x40) r.u32() // multi-memory: a memory index follows
  r.sleb(64)
}

function skipImmediates(r: Reader, op: number): void {
  if (op >= 0x45 && op <= 0xc4) return // numeric instructions: no immediates
  if (op >= 0x28 && op <= 0x3e) return skipMemarg(r)
  if (op >= 0x20 && op <= 0x26) return void r.u32()
  switch (op) {
    case 0x00: // unreachable
    case 0x01: // nop
    case 0x05: // else
    case 0x0a: // throw_ref
    case 0x0b: // end
    case 0x0f: // return
    case 0x19: // catch_all
    case 0x1a: // drop
    case 0x1b: // select
    case 0xd1: // ref.is_null
    case 0xd3: // ref.as_non_null
      return
    case 0x02: // block
    case 0x03: // loop
    case 0x04: // if
    case 0x06: // try
      return skipBlockType(r)
    case 0x07: // catch
    case 0x08: // throw
    case 0x09: // rethrow
    case 0x0c: // br
    case 0x0d: // br_if
    case 0x10: // call
    case 0x12: // return_call
    case 0x14: // call_ref
    case 0x15: // return_call_ref
    case 0x18: // delegate
    case 0x3f: // memory.size
    case 0x40: // memory.grow
    case 0xd2: // ref.func
    case 0xd5: // br_on_null
    case 0xd6: // br_on_non_null
      return void r.u32()
    case 0x11: // call_indirect
    case 0x13: // return_call_indirect
      r.u32()
      return void r.u32()
    case 0x0e: // br_table
      for (let n = r.u32(); n > 0; n--) r.u32()
      return void r.u32()
    case 0x1c: // select t*
      for (let n = r.u32(); n > 0; n--) skipValType(r)
      return
    case 0x1f: // try_table
      skipBlockType(r)
      for (let n = r.u32(); n > 0; n--) {
        const kind = r.u8()
        if (kind <= 1) r.u32()
        r.u32()
      }
      return
    case 0x41: // i32.const
      return void r.sleb(32)
    case 0x42: // i64.const
      return void r.sleb(64)
    case 0x43: // f32.const
      return void r.take(4)
    case 0x44: // f64.const
      return void r.take(8)
    case 0xd0: // ref.null
      return skipHeapType(r)
    case 0xfc:
      return skipMiscPrefixed(r)
    case 0xfd:
      return skipSimd(r)
    case 0xfe:
      return skipAtomic(r)
    default:
      throw WASM_UNSUPPORTED(`opcode 0x${op.toString(16)} at byte ${r.pos - 1}`)
  }
}

function skipMiscPrefixed(r: Reader): void {
  const sub = r.u32()
  if (sub <= 7) return // saturating truncations
  switch (sub) {
    case 8: // memory.init
    case 10: // memory.copy
    case 12: // table.init
    case 14: // table.copy
      r.u32()
      return void r.u32()
    case 9: // data.drop
    case 11: // memory.fill
    case 13: // elem.drop
    case 15: // table.grow
    case 16: // table.size
    case 17: // table.fill
      return void r.u32()
    default:
      throw WASM_UNSUPPORTED(`opcode 0xfc ${sub}`)
  }
}

function skipSimd(r: Reader): void {
  const sub = r.u32()
  if (sub <= 0x0b || sub === 0x5c || sub === 0x5d) return skipMemarg(r) // loads and stores
  if (sub === 0x0c || sub === 0x0d) return void r.take(16) // v128.const, i8x16.shuffle
  if (sub >= 0x15 && sub <= 0x22) return void r.u8() // extract / replace lane
  if (sub >= 0x54 && sub <= 0x5b) {
    skipMemarg(r) // load / store lane
    return void r.u8()
  }
  if (sub <= 0x113) return // arithmetic, comparisons, relaxed SIMD: no immediates
  throw WASM_UNSUPPORTED(`opcode 0xfd ${sub}`)
}

function skipAtomic(r: Reader): void {
  const sub = r.u32()
  if (sub === 0x03) return void r.u8() // atomic.fence
  if (sub <= 0x4e) return skipMemarg(r)
  throw WASM_UNSUPPORTED(`opcode 0xfe ${sub}`)
}
