// The two exports of ABI v2 (bytes in, bytes out). A function's file re-exports them:
//   export { alloc, handle } from '../sdk/abi'
//
// Memory: built with `--runtime stub`, allocation is a bump pointer that never frees. That is
// fine here: the host makes a fresh instance for every call, so each call starts from an empty
// heap and its garbage goes with the instance; a call's peak memory is all it allocates.
import { dispatch } from './handler'

/** Room for the body: the host writes it there and passes the pointer to `handle`. */
export function alloc(len: i32): i32 {
  return <i32>heap.alloc(<usize>max(len, 0))
}

/** Runs the handler on the body at ptr; answers (outPtr << 32) | outLen. */
export function handle(ptr: i32, len: i32): i64 {
  const out = dispatch(<usize>ptr, <usize>max(len, 0))
  return ((<i64>out.ptr) << 32) | (<i64>(<u32>out.len))
}
