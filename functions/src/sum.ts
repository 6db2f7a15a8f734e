// ABI v1: the host writes `len` i32 items at `ptr` (from alloc) and calls execute.
// Result: the wrapping i32 sum of the items. No array output.

export function alloc(bytes: i32): i32 {
  return <i32>heap.alloc(<usize>bytes)
}

export function execute(ptr: i32, len: i32): i32 {
  let acc: i32 = 0
  for (let i = 0; i < len; i++) {
    acc += load<i32>(<usize>ptr + (<usize>i << 2))
  }
  return acc
}
