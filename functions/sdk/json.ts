// JSON values for AssemblyScript: a tagged tree, a parser that accepts exactly what JavaScript's
// JSON.parse accepts (RFC 8259), and a writer that produces the bytes JSON.stringify would.
// Imported as the `JSON` namespace of the SDK (functions/sdk/index.ts).
import { decimalToF64, MAX_DIGITS, writeNumber } from './number'
import { Out } from './out'

export enum Kind {
  Null,
  Bool,
  Number,
  String,
  Array,
  Object
}

/** Deepest nesting of arrays and objects the parser takes (deeper: an error, not a stack overflow). */
export const MAX_DEPTH = 512

const NO_VALUES: Array<Value> = []
const NO_NAMES: Array<string> = []

/**
 * A JSON value. Read it with the `is…`/`as…` methods, `get(key)` and `at(i)` (both answer the
 * shared null value when there is nothing there, so lookups chain); build one with `object()`,
 * `array()` and `from(x)`, then `set(key, x)` and `push(x)`. Treat the fields as read-only.
 */
export class Value {
  kind: Kind
  b: bool = false
  n: f64 = 0
  s: string = ''
  /** An array's elements, or an object's member values (in insertion order). */
  list: Array<Value>
  /** An object's member names, in insertion order (JS order: see keys()). */
  names: Array<string>
  /** Name → position, once an object has more than a few members. */
  index: Map<string, i32> | null = null
  /** Whether some member name is an array index ("0", "17"): JS lists those first. */
  indexNames: bool = false

  constructor(kind: Kind) {
    this.kind = kind
    // Scalars share two empty arrays (never written: set and push check the kind).
    this.list = kind == Kind.Array || kind == Kind.Object ? [] : NO_VALUES
    this.names = kind == Kind.Object ? [] : NO_NAMES
  }

  isNull(): bool {
    return this.kind == Kind.Null
  }
  isBool(): bool {
    return this.kind == Kind.Bool
  }
  isNumber(): bool {
    return this.kind == Kind.Number
  }
  isString(): bool {
    return this.kind == Kind.String
  }
  isArray(): bool {
    return this.kind == Kind.Array
  }
  isObject(): bool {
    return this.kind == Kind.Object
  }

  /** The boolean, or `fallback` if this is not a boolean. */
  asBool(fallback: bool = false): bool {
    return this.kind == Kind.Bool ? this.b : fallback
  }
  /** The number, or `fallback` if this is not a number. */
  asNumber(fallback: f64 = NaN): f64 {
    return this.kind == Kind.Number ? this.n : fallback
  }
  /** The string, or `fallback` if this is not a string. */
  asString(fallback: string = ''): string {
    return this.kind == Kind.String ? this.s : fallback
  }

  /** Elements of an array, members of an object, 0 otherwise. */
  get length(): i32 {
    return this.kind == Kind.Array || this.kind == Kind.Object ? this.list.length : 0
  }

  /** An array's element `i`, or null. */
  at(i: i32): Value {
    return this.kind == Kind.Array && i >= 0 && i < this.list.length ? this.list[i] : NULL
  }

  /** An array's elements (the array itself: pushing to it adds elements); empty otherwise. */
  items(): Array<Value> {
    return this.kind == Kind.Array ? this.list : []
  }

  has(key: string): bool {
    return this.find(key) >= 0
  }

  /** An object's member `key`, or null. */
  get(key: string): Value {
    const i = this.find(key)
    return i >= 0 ? this.list[i] : NULL
  }

  /** An object's member names in JavaScript's order: array indices ascending, then the others
   * in insertion order (what Object.keys and JSON.stringify use). */
  keys(): Array<string> {
    if (this.kind != Kind.Object) return []
    const order = this.order()
    const keys = new Array<string>(order.length)
    for (let i = 0; i < order.length; i++) keys[i] = this.names[order[i]]
    return keys
  }

  /** Sets an object's member (a new name goes last; an existing one keeps its place). */
  set<T>(key: string, value: T): Value {
    if (this.kind != Kind.Object) return this
    const v = from<T>(value)
    const i = this.find(key)
    if (i >= 0) {
      this.list[i] = v
      return this
    }
    const at = this.names.length
    this.names.push(key)
    this.list.push(v)
    if (!this.indexNames && isIndex(key)) this.indexNames = true
    let index = this.index
    if (index !== null) index.set(key, at)
    else if (at == 8) {
      index = new Map<string, i32>()
      for (let j = 0; j <= at; j++) index.set(this.names[j], j)
      this.index = index
    }
    return this
  }

  /** Appends to an array. */
  push<T>(value: T): Value {
    if (this.kind == Kind.Array) this.list.push(from<T>(value))
    return this
  }

  /** The JSON text, as JSON.stringify would write it. */
  toString(): string {
    return stringify(this)
  }

  private find(key: string): i32 {
    if (this.kind != Kind.Object) return -1
    const index = this.index
    if (index !== null) return index.has(key) ? index.get(key) : -1
    const names = this.names
    for (let i = 0; i < names.length; i++) if (names[i] == key) return i
    return -1
  }

  /** Member positions in JavaScript's property order. */
  order(): Array<i32> {
    const n = this.names.length
    const order = new Array<i32>(n)
    if (!this.indexNames) {
      for (let i = 0; i < n; i++) order[i] = i
      return order
    }
    const indices = new Array<u64>()
    for (let i = 0; i < n; i++) {
      const name = this.names[i]
      if (isIndex(name)) indices.push(((<u64>U32.parseInt(name)) << 32) | (<u64>i))
    }
    indices.sort()
    let o = 0
    for (let i = 0; i < indices.length; i++) order[o++] = <i32>(<u32>indices[i])
    for (let i = 0; i < n; i++) if (!isIndex(this.names[i])) order[o++] = i
    return order
  }
}

/** The shared null value (also what get/at answer for a missing member). */
export const NULL = new Value(Kind.Null)

/** A canonical array index: "0", or digits without a leading zero, at most 4294967294. */
function isIndex(key: string): bool {
  const n = key.length
  if (n == 0 || n > 10) return false
  if (n > 1 && key.charCodeAt(0) == 0x30) return false
  let v: u64 = 0
  for (let i = 0; i < n; i++) {
    const d = <u32>key.charCodeAt(i) - 0x30
    if (d > 9) return false
    v = v * 10 + d
  }
  return v <= 4294967294
}

export function object(): Value {
  return new Value(Kind.Object)
}

export function array(): Value {
  return new Value(Kind.Array)
}

/**
 * A value from an AssemblyScript one: bool → boolean, any integer or float → number (as f64),
 * string → string (null → null), an array of those → array, a Value as it is.
 */
export function from<T>(x: T): Value {
  if (isBoolean<T>()) {
    const v = new Value(Kind.Bool)
    v.b = <bool>x
    return v
  }
  if (isInteger<T>() || isFloat<T>()) {
    const v = new Value(Kind.Number)
    v.n = <f64>x
    return v
  }
  if (isNullable<T>()) {
    if (changetype<usize>(x) == 0) return NULL
  }
  if (isString<T>()) {
    const v = new Value(Kind.String)
    v.s = changetype<string>(x)
    return v
  }
  if (isArray<T>()) {
    const v = array()
    // @ts-ignore: an array
    for (let i = 0; i < x.length; i++) v.push(x[i])
    return v
  }
  if (x instanceof Value) return changetype<Value>(x)
  ERROR('JSON.from: takes bool, a number, string, an array of those, or a Value')
  return NULL
}

// ---- writing ----------------------------------------------------------------------------------

/** Appends v's JSON text (UTF-8) to out. */
export function write(out: Out, v: Value): void {
  switch (v.kind) {
    case Kind.Null:
      out.ascii('null')
      break
    case Kind.Bool:
      out.ascii(v.b ? 'true' : 'false')
      break
    case Kind.Number:
      writeNumber(out, v.n)
      break
    case Kind.String:
      out.text(v.s, true)
      break
    case Kind.Array: {
      out.byte(0x5b)
      const list = v.list
      for (let i = 0; i < list.length; i++) {
        if (i > 0) out.byte(0x2c)
        write(out, list[i])
      }
      out.byte(0x5d)
      break
    }
    default: {
      out.byte(0x7b)
      const order = v.order()
      for (let i = 0; i < order.length; i++) {
        if (i > 0) out.byte(0x2c)
        out.text(v.names[order[i]], true)
        out.byte(0x3a)
        write(out, v.list[order[i]])
      }
      out.byte(0x7d)
    }
  }
}

/** v's JSON text, as JSON.stringify(v) would write it (no spaces). */
export function stringify(v: Value): string {
  const out = new Out()
  write(out, v)
  return String.UTF8.decodeUnsafe(out.ptr, <usize>out.len)
}

// ---- parsing ----------------------------------------------------------------------------------

let start: usize = 0
let cur: usize = 0
let end: usize = 0
let failure: string | null = null

// String contents are gathered here as UTF-16, then copied into a string.
let units: usize = 0
let unitsCap: i32 = 0

// A number's significant digits (values 0..9).
const DIGITS = new StaticArray<u8>(MAX_DIGITS + 1)

function fail(what: string): Value {
  if (failure === null) failure = what + ' at byte ' + (<i32>(min(cur, end) - start)).toString()
  return NULL
}

function unexpected(): Value {
  return fail(cur >= end ? 'Unexpected end of JSON input' : 'Unexpected character')
}

function skipSpace(): void {
  while (cur < end) {
    const c = load<u8>(cur)
    if (c != 0x20 && c != 0x0a && c != 0x0d && c != 0x09) return
    cur++
  }
}

/** Decodes one UTF-8 sequence at cur (its first byte >= 0x80) as the WHATWG decoder does: an
 * invalid sequence is U+FFFD, its longest valid prefix consumed. */
function utf8(): u32 {
  const b0 = <u32>load<u8>(cur++)
  let need = 0
  let lower: u32 = 0x80
  let upper: u32 = 0xbf
  let cp: u32 = 0
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    need = 1
    cp = b0 & 0x1f
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    if (b0 == 0xe0) lower = 0xa0
    if (b0 == 0xed) upper = 0x9f
    need = 2
    cp = b0 & 0x0f
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    if (b0 == 0xf0) lower = 0x90
    if (b0 == 0xf4) upper = 0x8f
    need = 3
    cp = b0 & 0x07
  } else return 0xfffd
  for (; need > 0; need--) {
    if (cur >= end) return 0xfffd
    const b = <u32>load<u8>(cur)
    if (b < lower || b > upper) return 0xfffd
    lower = 0x80
    upper = 0xbf
    cp = (cp << 6) | (b & 0x3f)
    cur++
  }
  return cp
}

function reserveUnits(n: i32): void {
  if (n <= unitsCap) return
  unitsCap = max(n, max(unitsCap << 1, 64))
  units =
    units == 0 ? heap.alloc((<usize>unitsCap) << 1) : heap.realloc(units, (<usize>unitsCap) << 1)
}

/** Appends a code point as UTF-16 at units[n]; answers the new count. */
function pushUnit(n: i32, cp: u32): i32 {
  reserveUnits(n + 2)
  if (cp < 0x10000) {
    store<u16>(units + ((<usize>n) << 1), <u16>cp)
    return n + 1
  }
  cp -= 0x10000
  store<u16>(units + ((<usize>n) << 1), <u16>(0xd800 | (cp >>> 10)))
  store<u16>(units + ((<usize>n) << 1) + 2, <u16>(0xdc00 | (cp & 0x3ff)))
  return n + 2
}

function hex(c: u32): i32 {
  if (c - 0x30 < 10) return <i32>(c - 0x30)
  const l = (c | 0x20) - 0x61
  return l < 6 ? <i32>l + 10 : -1
}

function parseString(): string {
  cur++ // the opening quote
  let n = 0
  while (true) {
    if (cur >= end) {
      unexpected()
      return ''
    }
    const c = <u32>load<u8>(cur)
    if (c == 0x22) {
      cur++
      break
    }
    if (c == 0x5c) {
      if (cur + 1 >= end) {
        cur = end
        unexpected()
        return ''
      }
      const e = <u32>load<u8>(cur + 1)
      let u: i32 = -1
      if (e == 0x22 || e == 0x5c || e == 0x2f) u = e
      else if (e == 0x62) u = 0x08
      else if (e == 0x66) u = 0x0c
      else if (e == 0x6e) u = 0x0a
      else if (e == 0x72) u = 0x0d
      else if (e == 0x74) u = 0x09
      else if (e == 0x75 && cur + 6 <= end) {
        u = 0
        for (let i: usize = 2; i < 6; i++) {
          const h = hex(load<u8>(cur + i))
          if (h < 0) {
            u = -1
            break
          }
          u = (u << 4) | h
        }
      }
      if (u < 0) {
        fail('Bad escape in string')
        return ''
      }
      cur += e == 0x75 ? 6 : 2
      n = pushUnit(n, <u32>u) // a \u escape may leave a lone surrogate, as in JS
      continue
    }
    if (c < 0x20) {
      fail('Bad control character in string')
      return ''
    }
    if (c < 0x80) {
      n = pushUnit(n, c)
      cur++
    } else n = pushUnit(n, utf8())
  }
  return n == 0 ? '' : String.UTF16.decodeUnsafe(units, (<usize>n) << 1)
}

function isDigit(c: u32): bool {
  return c - 0x30 < 10
}

function parseNumber(): Value {
  const negative = load<u8>(cur) == 0x2d
  if (negative) cur++
  if (cur >= end || !isDigit(load<u8>(cur))) return fail('Bad number')
  let count = 0 // significant digits kept in DIGITS
  let exp10: i32 = 0 // value = DIGITS × 10^exp10
  let sticky = false // a nonzero digit dropped past MAX_DIGITS
  let fraction = false
  while (true) {
    if (cur >= end) break
    const c = <u32>load<u8>(cur)
    if (isDigit(c)) {
      const d = <u8>(c - 0x30)
      if (count == 0 && d == 0) {
        if (fraction) exp10--
      } else if (count < MAX_DIGITS) {
        DIGITS[count++] = d
        if (fraction) exp10--
      } else {
        if (d != 0) sticky = true
        if (!fraction) exp10++
      }
      cur++
      // A leading zero is the whole integer part ("01" is not JSON).
      if (!fraction && count == 0 && d == 0) {
        if (cur < end && isDigit(load<u8>(cur))) return fail('Bad number')
      }
      continue
    }
    if (c == 0x2e && !fraction) {
      cur++
      if (cur >= end || !isDigit(load<u8>(cur))) return fail('Bad number')
      fraction = true
      continue
    }
    break
  }
  if (cur < end && (load<u8>(cur) | 0x20) == 0x65) {
    cur++
    let expNegative = false
    if (cur < end && (load<u8>(cur) == 0x2b || load<u8>(cur) == 0x2d)) {
      expNegative = load<u8>(cur++) == 0x2d
    }
    if (cur >= end || !isDigit(load<u8>(cur))) return fail('Bad number')
    let e: i32 = 0
    while (cur < end && isDigit(load<u8>(cur))) {
      if (e < 100000000) e = e * 10 + <i32>(load<u8>(cur) - 0x30) // past that, 0 or Infinity
      cur++
    }
    exp10 += expNegative ? -e : e
  }
  if (sticky) {
    // Nonzero digits past the kept ones: a final 1 stands for them. It cannot change the
    // rounding, since a value halfway between two f64 has fewer than MAX_DIGITS digits.
    DIGITS[count++] = 1
    exp10--
  } else {
    while (count > 0 && DIGITS[count - 1] == 0) {
      count--
      exp10++
    }
  }
  const v = new Value(Kind.Number)
  v.n = decimalToF64(changetype<usize>(DIGITS), count, exp10, negative)
  return v
}

function literal(word: string, v: Value): Value {
  const n = word.length
  for (let i = 0; i < n; i++) {
    if (cur >= end || <u32>load<u8>(cur) != <u32>word.charCodeAt(i)) return unexpected()
    cur++
  }
  return v
}

function parseValue(depth: i32): Value {
  skipSpace()
  if (cur >= end) return unexpected()
  const c = <u32>load<u8>(cur)
  if (c == 0x22) {
    const v = new Value(Kind.String)
    v.s = parseString()
    return v
  }
  if (c == 0x2d || isDigit(c)) return parseNumber()
  if (c == 0x74) return literal('true', from(true))
  if (c == 0x66) return literal('false', from(false))
  if (c == 0x6e) return literal('null', NULL)
  if (c != 0x5b && c != 0x7b) return unexpected()
  if (depth >= MAX_DEPTH) return fail('Nesting deeper than ' + MAX_DEPTH.toString())
  cur++
  const isArray = c == 0x5b
  const close: u32 = isArray ? 0x5d : 0x7d
  const v = isArray ? array() : object()
  skipSpace()
  if (cur < end && <u32>load<u8>(cur) == close) {
    cur++
    return v
  }
  while (true) {
    if (isArray) {
      const item = parseValue(depth + 1)
      if (failure !== null) return NULL
      v.list.push(item)
    } else {
      skipSpace()
      if (cur >= end || load<u8>(cur) != 0x22) return unexpected()
      const key = parseString()
      if (failure !== null) return NULL
      skipSpace()
      if (cur >= end || load<u8>(cur) != 0x3a) return unexpected()
      cur++
      const item = parseValue(depth + 1)
      if (failure !== null) return NULL
      v.set(key, item) // a repeated name: the last value, at the first one's place (as in JS)
    }
    skipSpace()
    if (cur >= end) return unexpected()
    const next = <u32>load<u8>(cur)
    if (next == close) {
      cur++
      return v
    }
    if (next != 0x2c) return unexpected()
    cur++
  }
}

/**
 * Parses `len` bytes of UTF-8 JSON text at `ptr` (a leading byte order mark is skipped, invalid
 * UTF-8 in strings reads as U+FFFD, as TextDecoder does). Null if it is not JSON: see parseError().
 */
export function parseBytes(ptr: usize, len: usize): Value | null {
  start = ptr
  cur = ptr
  end = ptr + len
  failure = null
  if (len >= 3 && load<u8>(ptr) == 0xef && load<u8>(ptr + 1) == 0xbb && load<u8>(ptr + 2) == 0xbf) {
    cur += 3
  }
  const v = parseValue(0)
  if (failure === null) {
    skipSpace()
    if (cur < end) unexpected()
  }
  return failure === null ? v : null
}

/** Parses JSON text; null if it is not JSON: see parseError(). */
export function parse(text: string): Value | null {
  const bytes = String.UTF8.encode(text)
  return parseBytes(changetype<usize>(bytes), <usize>bytes.byteLength)
}

/** Why the last parse answered null: "<what> at byte <offset>" (UTF-8 offset from the start). */
export function parseError(): string {
  const f = failure
  return f === null ? '' : f
}

/** `len` bytes of UTF-8 at `ptr` as a string, decoded as TextDecoder does (BOM skipped, U+FFFD
 * for invalid sequences). */
export function decodeText(ptr: usize, len: usize): string {
  start = ptr
  cur = ptr
  end = ptr + len
  if (len >= 3 && load<u8>(ptr) == 0xef && load<u8>(ptr + 1) == 0xbb && load<u8>(ptr + 2) == 0xbf) {
    cur += 3
  }
  let n = 0
  while (cur < end) {
    const c = <u32>load<u8>(cur)
    if (c < 0x80) {
      n = pushUnit(n, c)
      cur++
    } else n = pushUnit(n, utf8())
  }
  return n == 0 ? '' : String.UTF16.decodeUnsafe(units, (<usize>n) << 1)
}
