// ABI v1. Dataset: [n, seed, row...]. A and B are n×n matrices derived from
// the seed by gen(); output is row r of C = A×B (n wrapping i32) per listed row.
// gen() is mirrored in test/functions/reference.ts.

const HEADER = 2

let outPtr: usize = 0
let outLen: i32 = 0

export function alloc(bytes: i32): i32 {
  return <i32>heap.alloc(<usize>bytes)
}

export function output_ptr(): i32 {
  return <i32>outPtr
}

export function output_len(): i32 {
  return outLen
}

// lowbias32 finalizer: a cheap integer hash with good avalanche.
// @ts-ignore: decorator
@inline function mix(x: u32): u32 {
  x ^= x >>> 16
  x *= 0x7feb352d
  x ^= x >>> 15
  x *= 0x846ca68b
  x ^= x >>> 16
  return x
}

// Element (i, j) of matrix `which` (0 = A, 1 = B), in -8..8.
function gen(seed: i32, which: i32, i: i32, j: i32): i32 {
  let h = mix(<u32>seed ^ (<u32>(which + 1) * 0x9e3779b9))
  h = mix(h ^ (<u32>(i + 1) * 0x85ebca6b))
  h = mix(h ^ (<u32>(j + 1) * 0xc2b2ae35))
  return <i32>(h % 17) - 8
}

export function execute(ptr: i32, len: i32): i32 {
  if (len < HEADER) return 0
  const p = <usize>ptr
  const n = load<i32>(p)
  const seed = load<i32>(p, 4)
  if (n <= 0) return 0
  const rows = len - HEADER
  const N = <usize>n

  // B once per call so the hashing is O(n²) and the work O(rows·n²).
  const b = heap.alloc(N * N << 2)
  for (let k = 0; k < n; k++) {
    for (let j = 0; j < n; j++) {
      store<i32>(b + ((<usize>k * N + <usize>j) << 2), gen(seed, 1, k, j))
    }
  }

  const out = heap.alloc(<usize>rows * N << 2)
  for (let r = 0; r < rows; r++) {
    const row = load<i32>(p + (<usize>(HEADER + r) << 2))
    const c = out + (<usize>r * N << 2)
    memory.fill(c, 0, N << 2)
    // i-k-j order: a single A element per k, B and C rows read sequentially.
    for (let k = 0; k < n; k++) {
      const a = gen(seed, 0, row, k)
      const bk = b + (<usize>k * N << 2)
      for (let j = 0; j < n; j++) {
        const cj = c + (<usize>j << 2)
        store<i32>(cj, load<i32>(cj) + a * load<i32>(bk + (<usize>j << 2)))
      }
    }
  }
  outPtr = out
  outLen = rows * n
  return rows
}
