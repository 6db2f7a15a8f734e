import { WASM_INVALID } from '../errors.js'

const UTF8 = new TextDecoder('utf-8', { fatal: false })

/**
 * A byte cursor over a WebAssembly binary: LEB128 integers, names and bounds checks. Every read
 * past the end is a WASM_INVALID error, so a truncated module can never read garbage.
 */
export class Reader {
  readonly bytes: Uint8Array
  pos: number
  readonly end: number

  constructor(bytes: Uint8Array, start = 0, end = bytes.length) {
    this.bytes = bytes
    this.pos = start
    this.end = end
  }

  /** True while unread bytes remain. */
  more(): boolean {
    return this.pos < this.end
  }

  /** One byte. */
  u8(): number {
    if (this.pos >= this.end) throw WASM_INVALID(`unexpected end at byte ${this.pos}`)
    return this.bytes[this.pos++] as number
  }

  /** An unsigned LEB128 of at most 32 bits. */
  u32(): number {
    let result = 0
    let shift = 0
    for (;;) {
      const byte = this.u8()
      result += (byte & 0x7f) * 2 ** shift
      if ((byte & 0x80) === 0) break
      shift += 7
      if (shift > 28) throw WASM_INVALID(`integer too long at byte ${this.pos}`)
    }
    if (result > 0xffffffff) throw WASM_INVALID(`integer out of range at byte ${this.pos}`)
    return result
  }

  /** Skips a signed or unsigned LEB128 of at most `maxBits` bits; returns its value when it fits a double exactly. */
  sleb(maxBits: number): number {
    let result = 0
    let shift = 0
    let byte: number
    do {
      byte = this.u8()
      if (shift < 53) result += (byte & 0x7f) * 2 ** shift
      shift += 7
      if (shift > maxBits + 7) throw WASM_INVALID(`integer too long at byte ${this.pos}`)
    } while (byte & 0x80)
    if (shift < 53 && byte & 0x40) result -= 2 ** shift
    return result
  }

  /** `n` raw bytes, as a view. */
  take(n: number): Uint8Array {
    if (n > this.end - this.pos) throw WASM_INVALID(`unexpected end at byte ${this.pos}`)
    const view = this.bytes.subarray(this.pos, this.pos + n)
    this.pos += n
    return view
  }

  /** A length-prefixed UTF-8 name. */
  name(): string {
    return UTF8.decode(this.take(this.u32()))
  }
}

/** Appends an unsigned LEB128 encoding of `value` to `out`. */
export function writeU32(out: number[], value: number): void {
  let v = value >>> 0
  do {
    let byte = v & 0x7f
    v >>>= 7
    if (v !== 0) byte |= 0x80
    out.push(byte)
  } while (v !== 0)
}
