// Exact conversions between f64 and JSON's decimal numbers, as JavaScript makes them:
// - decimalToF64: correctly rounded (to nearest, ties to even), like JSON.parse;
// - writeNumber: the shortest digits that read back as the same f64 (the closest if several),
//   laid out as Number.prototype.toString does, like JSON.stringify (non-finite: null; -0: 0).
// AssemblyScript's own parseFloat and f64.toString are close but not exact (f64.toString writes
// "1.0", and Grisu2 is not always the shortest), so both go through a small bignum here when the
// fast paths (integers below 2^53; at most 15 digits times a power of ten up to 10^22) do not apply.
import { Out } from './out'

// A non-negative integer: little-endian 32-bit limbs, `n` of them in use (no leading zero limb).
// 128 limbs (4096 bits) hold the largest value either algorithm makes: a decimal of at most
// MAX_DIGITS + 1 digits scaled into the f64 range (about 3800 bits). Out-of-range indices trap.
const LIMBS = 128
class Big {
  d: StaticArray<u32> = new StaticArray<u32>(LIMBS)
  n: i32 = 0
}

function bigSet(a: Big, v: u64): void {
  a.d[0] = <u32>v
  a.d[1] = <u32>(v >>> 32)
  a.n = v >>> 32 ? 2 : v ? 1 : 0
}

function bigCopy(dst: Big, src: Big): void {
  for (let i = 0; i < src.n; i++) dst.d[i] = src.d[i]
  dst.n = src.n
}

function bigBits(a: Big): i32 {
  return a.n == 0 ? 0 : (a.n << 5) - <i32>clz(a.d[a.n - 1])
}

function bigMulSmall(a: Big, m: u32): void {
  let carry: u64 = 0
  for (let i = 0; i < a.n; i++) {
    const t = <u64>a.d[i] * <u64>m + carry
    a.d[i] = <u32>t
    carry = t >>> 32
  }
  if (carry) a.d[a.n++] = <u32>carry
}

function bigAddSmall(a: Big, v: u32): void {
  let carry: u64 = v
  for (let i = 0; carry && i < a.n; i++) {
    const t = <u64>a.d[i] + carry
    a.d[i] = <u32>t
    carry = t >>> 32
  }
  if (carry) a.d[a.n++] = <u32>carry
}

const POW10_U32: StaticArray<u32> = [
  1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000
]

function bigMulPow10(a: Big, k: i32): void {
  for (; k >= 9; k -= 9) bigMulSmall(a, 1000000000)
  if (k > 0) bigMulSmall(a, POW10_U32[k])
}

function bigShl(a: Big, bits: i32): void {
  if (a.n == 0 || bits == 0) return
  const limbs = bits >>> 5
  const s = bits & 31
  if (s == 0) {
    for (let i = a.n - 1; i >= 0; i--) a.d[i + limbs] = a.d[i]
  } else {
    const top = a.d[a.n - 1] >>> (32 - s)
    if (top) a.d[a.n + limbs] = top
    for (let i = a.n - 1; i > 0; i--) a.d[i + limbs] = (a.d[i] << s) | (a.d[i - 1] >>> (32 - s))
    a.d[limbs] = a.d[0] << s
    if (top) a.n++
  }
  for (let i = 0; i < limbs; i++) a.d[i] = 0
  a.n += limbs
}

function bigCmp(a: Big, b: Big): i32 {
  if (a.n != b.n) return a.n > b.n ? 1 : -1
  for (let i = a.n - 1; i >= 0; i--) {
    const x = a.d[i]
    const y = b.d[i]
    if (x != y) return x > y ? 1 : -1
  }
  return 0
}

// a += b
function bigAdd(a: Big, b: Big): void {
  const n = max(a.n, b.n)
  let carry: u64 = 0
  for (let i = 0; i < n; i++) {
    const t = <u64>(i < a.n ? a.d[i] : 0) + <u64>(i < b.n ? b.d[i] : 0) + carry
    a.d[i] = <u32>t
    carry = t >>> 32
  }
  a.n = n
  if (carry) a.d[a.n++] = <u32>carry
}

// a -= b, with a >= b
function bigSub(a: Big, b: Big): void {
  let borrow: i64 = 0
  for (let i = 0; i < a.n; i++) {
    const t = <i64>a.d[i] - <i64>(i < b.n ? b.d[i] : 0) - borrow
    a.d[i] = <u32>t
    borrow = t < 0 ? 1 : 0
  }
  while (a.n > 0 && a.d[a.n - 1] == 0) a.n--
}

// Scratch numbers, shared by both directions (a call converts one number at a time).
const R = new Big()
const S = new Big()
const MP = new Big()
const MM = new Big()
const T = new Big()

// ---- decimal → f64 ----------------------------------------------------------------------------

/** Significant digits kept from a number; more are folded into one sticky digit (see parse). */
export const MAX_DIGITS = 800

const POW10: StaticArray<f64> = [
  1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17,
  1e18, 1e19, 1e20, 1e21, 1e22
]

/**
 * The f64 nearest to D × 10^exp10 (ties to even), D the integer of the `count` digit values
 * (0..9, the first nonzero, at most MAX_DIGITS + 1 of them) at `digits`.
 */
export function decimalToF64(digits: usize, count: i32, exp10: i32, negative: bool): f64 {
  const sign: f64 = negative ? -1 : 1
  if (count == 0) return sign * 0
  // Out of range whatever the digits: at least 10^310, or below 10^-324 (under half of 2^-1074).
  if (count + exp10 > 310) return sign * Infinity
  if (count + exp10 < -323) return sign * 0

  if (count <= 15) {
    let d: u64 = 0
    for (let i = 0; i < count; i++) d = d * 10 + <u64>load<u8>(digits + i)
    let f = <f64>d // exact below 10^15
    let e = exp10
    if (e > 22 && count + e - 22 <= 15) {
      f *= POW10[e - 22] // still an exact integer below 10^15
      e = 22
    }
    if (e == 0) return sign * f
    if (e > 0 && e <= 22) return sign * (f * POW10[e]) // one rounding of exact operands
    if (e < 0 && e >= -22) return sign * (f / POW10[-e])
  }

  // num / den = the exact value
  const num = R
  const den = S
  bigSet(num, 0)
  let i = 0
  for (; i + 9 <= count; i += 9) {
    let chunk: u32 = 0
    for (let j = 0; j < 9; j++) chunk = chunk * 10 + <u32>load<u8>(digits + i + j)
    bigMulSmall(num, 1000000000)
    bigAddSmall(num, chunk)
  }
  if (i < count) {
    let chunk: u32 = 0
    for (let j = i; j < count; j++) chunk = chunk * 10 + <u32>load<u8>(digits + j)
    bigMulSmall(num, POW10_U32[count - i])
    bigAddSmall(num, chunk)
  }
  bigSet(den, 1)
  if (exp10 > 0) bigMulPow10(num, exp10)
  else bigMulPow10(den, -exp10)

  // Scale so that q = floor(num / (den × 2^b)) has 55 or 56 bits: 2 or 3 bits below the 53 kept.
  const b = bigBits(num) - bigBits(den) - 55
  if (b > 0) bigShl(den, b)
  else bigShl(num, -b)
  // Binary long division for the 56 quotient bits; num ends as the remainder.
  let q: u64 = 0
  for (let bit = 55; bit >= 0; bit--) {
    bigCopy(T, den)
    bigShl(T, bit)
    if (bigCmp(num, T) >= 0) {
      bigSub(num, T)
      q |= (<u64>1) << bit
    }
  }
  const sticky = num.n != 0

  // value = (q + remainder) × 2^b: drop the bits below the 53-bit mantissa (more when subnormal).
  let drop = 64 - <i32>clz(q) - 53
  let e2 = b + drop // the exponent of the mantissa's last bit
  if (e2 < -1074) {
    drop += -1074 - e2
    e2 = -1074
  }
  if (drop >= 64) return sign * 0
  let m = q >>> drop
  const rest = q & (((<u64>1) << drop) - 1)
  const half = (<u64>1) << (drop - 1)
  if (rest > half || (rest == half && (sticky || (m & 1) != 0))) m++
  if (m == (<u64>1) << 53) {
    m >>>= 1
    e2++
  }
  if (m < (<u64>1) << 52) return sign * reinterpret<f64>(m) // subnormal (e2 is -1074)
  const biased = e2 + 1075
  if (biased >= 2047) return sign * Infinity
  return sign * reinterpret<f64>(((<u64>biased) << 52) | (m - ((<u64>1) << 52)))
}

// ---- f64 → decimal ----------------------------------------------------------------------------

const DIGITS = new StaticArray<u8>(24)

// Burger & Dybvig's free-format algorithm: the shortest digits of v (finite, > 0) that read back
// as v, the closest to v when several are as short (ties: the even digit). Returns the digit
// count; v = 0.d1d2…dk × 10^point.
let point: i32 = 0
function shortest(v: f64): i32 {
  const bits = reinterpret<u64>(v)
  const be = <i32>((bits >>> 52) & 0x7ff)
  const fraction = bits & 0xfffffffffffff
  const f: u64 = be == 0 ? fraction : fraction | 0x10000000000000
  const e: i32 = be == 0 ? -1074 : be - 1075
  const even = (f & 1) == 0 // a boundary that rounds to even reads back as v
  // r / s = v; mp and mm: the distances to the midpoints with the next and previous f64 (× 2s).
  const narrowBelow = be > 1 && fraction == 0 // 2^k: the f64 below is half as far
  if (e >= 0) {
    bigSet(R, f)
    bigShl(R, e + (narrowBelow ? 2 : 1))
    bigSet(S, narrowBelow ? 4 : 2)
    bigSet(MP, 1)
    bigShl(MP, e + (narrowBelow ? 1 : 0))
    bigSet(MM, 1)
    bigShl(MM, e)
  } else {
    bigSet(R, f)
    bigShl(R, narrowBelow ? 2 : 1)
    bigSet(S, 1)
    bigShl(S, (narrowBelow ? 2 : 1) - e)
    bigSet(MP, narrowBelow ? 2 : 1)
    bigSet(MM, 1)
  }
  // k: ceil(log10 v), or one less (the fix-up below adds it).
  let k = <i32>Math.ceil(<f64>(e + 63 - <i32>clz(f)) * 0.30102999566398114 - 1e-10)
  if (k >= 0) bigMulPow10(S, k)
  else {
    bigMulPow10(R, -k)
    bigMulPow10(MP, -k)
    bigMulPow10(MM, -k)
  }
  bigCopy(T, R)
  bigAdd(T, MP)
  const c = bigCmp(T, S)
  if (even ? c >= 0 : c > 0) k++
  else {
    bigMulSmall(R, 10)
    bigMulSmall(MP, 10)
    bigMulSmall(MM, 10)
  }
  point = k

  let count = 0
  while (true) {
    let d: u8 = 0
    while (bigCmp(R, S) >= 0) {
      bigSub(R, S)
      d++
    }
    const low = bigCmp(R, MM)
    const lowOk = even ? low <= 0 : low < 0
    bigCopy(T, R)
    bigAdd(T, MP)
    const high = bigCmp(T, S)
    const highOk = even ? high >= 0 : high > 0
    if (!lowOk && !highOk) {
      DIGITS[count++] = d
      bigMulSmall(R, 10)
      bigMulSmall(MP, 10)
      bigMulSmall(MM, 10)
      continue
    }
    if (lowOk && highOk) {
      bigCopy(T, R)
      bigShl(T, 1)
      const twice = bigCmp(T, S)
      if (twice > 0 || (twice == 0 && (d & 1) != 0)) d++
    } else if (highOk) d++
    DIGITS[count++] = d
    return count
  }
}

function writeUnsigned(out: Out, v: u64): void {
  let len = 0
  do {
    DIGITS[len++] = <u8>(v % 10)
    v /= 10
  } while (v)
  while (len > 0) out.byte(0x30 + <u32>DIGITS[--len])
}

/** Appends v as JSON.stringify writes a number: Number::toString(10), `null` if not finite. */
export function writeNumber(out: Out, v: f64): void {
  if (!isFinite(v)) {
    out.ascii('null')
    return
  }
  if (v == 0) {
    out.byte(0x30) // -0 too
    return
  }
  if (v < 0) {
    out.byte(0x2d)
    v = -v
  }
  if (v < 9007199254740992 && v == Math.floor(v)) {
    writeUnsigned(out, <u64>v) // exact, and already the shortest form
    return
  }
  const k = shortest(v)
  const n = point
  if (k <= n && n <= 21) {
    for (let i = 0; i < k; i++) out.byte(0x30 + <u32>DIGITS[i])
    for (let i = k; i < n; i++) out.byte(0x30)
  } else if (0 < n && n <= 21) {
    for (let i = 0; i < n; i++) out.byte(0x30 + <u32>DIGITS[i])
    out.byte(0x2e)
    for (let i = n; i < k; i++) out.byte(0x30 + <u32>DIGITS[i])
  } else if (-6 < n && n <= 0) {
    out.byte(0x30)
    out.byte(0x2e)
    for (let i = n; i < 0; i++) out.byte(0x30)
    for (let i = 0; i < k; i++) out.byte(0x30 + <u32>DIGITS[i])
  } else {
    out.byte(0x30 + <u32>DIGITS[0])
    if (k > 1) {
      out.byte(0x2e)
      for (let i = 1; i < k; i++) out.byte(0x30 + <u32>DIGITS[i])
    }
    out.byte(0x65)
    out.byte(n - 1 < 0 ? 0x2d : 0x2b)
    writeUnsigned(out, <u64>abs(n - 1))
  }
}
