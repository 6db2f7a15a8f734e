// A growing byte buffer: the answer's bytes, written in place (UTF-8).

export class Out {
  ptr: usize
  len: i32 = 0
  cap: i32

  constructor(cap: i32 = 256) {
    this.cap = max(cap, 16)
    this.ptr = heap.alloc(<usize>this.cap)
  }

  reserve(n: i32): void {
    if (this.len + n <= this.cap) return
    this.cap = max(this.cap << 1, this.len + n)
    this.ptr = heap.realloc(this.ptr, <usize>this.cap)
  }

  byte(b: u32): void {
    this.reserve(1)
    store<u8>(this.ptr + <usize>this.len, <u8>b)
    this.len++
  }

  bytes(src: usize, n: i32): void {
    this.reserve(n)
    memory.copy(this.ptr + <usize>this.len, src, <usize>n)
    this.len += n
  }

  /** A string known to be ASCII (literals). */
  ascii(s: string): void {
    const n = s.length
    this.reserve(n)
    for (let i = 0; i < n; i++) store<u8>(this.ptr + <usize>(this.len + i), <u8>s.charCodeAt(i))
    this.len += n
  }

  /** A code point (at most 0x10ffff) in UTF-8. */
  codePoint(c: u32): void {
    if (c < 0x80) this.byte(c)
    else if (c < 0x800) {
      this.byte(0xc0 | (c >>> 6))
      this.byte(0x80 | (c & 0x3f))
    } else if (c < 0x10000) {
      this.byte(0xe0 | (c >>> 12))
      this.byte(0x80 | ((c >>> 6) & 0x3f))
      this.byte(0x80 | (c & 0x3f))
    } else {
      this.byte(0xf0 | (c >>> 18))
      this.byte(0x80 | ((c >>> 12) & 0x3f))
      this.byte(0x80 | ((c >>> 6) & 0x3f))
      this.byte(0x80 | (c & 0x3f))
    }
  }

  /**
   * A string in UTF-8. `json`: as a JSON string literal, quoted and escaped as JSON.stringify
   * does (lone surrogates as \udXXX); otherwise raw, lone surrogates as U+FFFD (as TextEncoder).
   */
  text(s: string, json: bool): void {
    const n = s.length
    if (json) this.byte(0x22)
    for (let i = 0; i < n; i++) {
      let c = <u32>s.charCodeAt(i)
      if (json && c < 0x20) {
        if (c == 0x08) this.ascii('\\b')
        else if (c == 0x09) this.ascii('\\t')
        else if (c == 0x0a) this.ascii('\\n')
        else if (c == 0x0c) this.ascii('\\f')
        else if (c == 0x0d) this.ascii('\\r')
        else {
          this.ascii('\\u00')
          this.byte(HEX.charCodeAt(c >>> 4))
          this.byte(HEX.charCodeAt(c & 15))
        }
        continue
      }
      if (json && (c == 0x22 || c == 0x5c)) {
        this.byte(0x5c)
        this.byte(c)
        continue
      }
      if (c >= 0xd800 && c <= 0xdfff) {
        const next = i + 1 < n ? <u32>s.charCodeAt(i + 1) : 0
        if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          this.codePoint(0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00))
          i++
          continue
        }
        if (json) {
          this.ascii('\\u')
          for (let shift = 12; shift >= 0; shift -= 4) this.byte(HEX.charCodeAt((c >>> shift) & 15))
          continue
        }
        c = 0xfffd
      }
      this.codePoint(c)
    }
    if (json) this.byte(0x22)
  }
}

const HEX = '0123456789abcdef'
