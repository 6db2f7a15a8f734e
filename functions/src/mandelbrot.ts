// ABI v1. Dataset: [width, height, maxIter, xMin, yMin, xMax, yMax, row...]
// with coordinates in micro-units (value * 1e6). Output: iteration counts,
// one row of `width` i32 per listed row, in the order given.
//
// The f64 expressions below are mirrored operation-for-operation in
// test/functions/reference.ts so that results match bit-exactly.

const HEADER = 7

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

export function execute(ptr: i32, len: i32): i32 {
  if (len < HEADER) return 0
  const p = <usize>ptr
  const width = load<i32>(p)
  const height = load<i32>(p, 4)
  const maxIter = load<i32>(p, 8)
  // Degenerate sizes would divide by zero or yield a negative output size.
  if (width <= 0 || height <= 0) return 0
  const x0 = <f64>load<i32>(p, 12) / 1e6
  const y0 = <f64>load<i32>(p, 16) / 1e6
  const x1 = <f64>load<i32>(p, 20) / 1e6
  const y1 = <f64>load<i32>(p, 24) / 1e6
  const rows = len - HEADER
  const out = heap.alloc(<usize>rows * <usize>width << 2)
  let o = out
  for (let r = 0; r < rows; r++) {
    const y = load<i32>(p + (<usize>(HEADER + r) << 2))
    const cy = y0 + (y1 - y0) * <f64>y / <f64>height
    for (let x = 0; x < width; x++) {
      const cx = x0 + (x1 - x0) * <f64>x / <f64>width
      let zr = 0.0
      let zi = 0.0
      let i = 0
      while (i < maxIter) {
        const zr2 = zr * zr
        const zi2 = zi * zi
        if (zr2 + zi2 > 4.0) break
        zi = 2.0 * zr * zi + cy
        zr = zr2 - zi2 + cx
        i++
      }
      store<i32>(o, i)
      o += 4
    }
  }
  outPtr = out
  outLen = rows * width
  return rows
}
