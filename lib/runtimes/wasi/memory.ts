import { ERRNO, LAYOUT } from './preview1.js'

/**
 * Reading and writing the module's memory safely. Pointers and lengths arrive as signed i32s:
 * each is taken as a u32 (`>>> 0`) and a range is used only when it lies wholly inside the
 * memory, so a bad pointer is the module's EFAULT, never a host RangeError.
 */

/** Whether the `len` bytes at `ptr` lie inside the memory `view` covers. */
export function fits(view: DataView, ptr: number, len: number): boolean {
  return (ptr >>> 0) + (len >>> 0) <= view.byteLength
}

/** The `count` iovecs at `iovs` as views into memory, or null when any lies outside it. */
export function iovecs(view: DataView, iovs: number, count: number): Uint8Array[] | null {
  const at = iovs >>> 0
  const n = count >>> 0
  if (at + n * LAYOUT.iovec > view.byteLength) return null
  const buffers: Uint8Array[] = []
  for (let i = 0; i < n; i++) {
    const buf = view.getUint32(at + i * LAYOUT.iovec, true)
    const len = view.getUint32(at + i * LAYOUT.iovec + 4, true)
    if (buf + len > view.byteLength) return null
    buffers.push(new Uint8Array(view.buffer, buf, len))
  }
  return buffers
}

/** argv or environ as preview1 hands them over: NUL-terminated UTF-8 strings, back to back. */
export interface Strings {
  bytes: Uint8Array
  /** Where each string starts in `bytes`. */
  offsets: number[]
}

const encoder = new TextEncoder()

/** Encodes strings for args_get / environ_get. */
export function encodeStrings(list: readonly string[]): Strings {
  const encoded = list.map((text) => encoder.encode(text))
  const bytes = new Uint8Array(encoded.reduce((total, text) => total + text.length + 1, 0))
  const offsets: number[] = []
  let at = 0
  for (const text of encoded) {
    offsets.push(at)
    bytes.set(text, at)
    at += text.length + 1 // the NUL is already there: the array starts zeroed
  }
  return { bytes, offsets }
}

/** args_sizes_get / environ_sizes_get: the count and the bytes of the NUL-terminated strings. */
export function sizes(view: DataView, list: Strings, count: number, size: number): number {
  if (!fits(view, count, 4) || !fits(view, size, 4)) return ERRNO.FAULT
  view.setUint32(count >>> 0, list.offsets.length, true)
  view.setUint32(size >>> 0, list.bytes.length, true)
  return ERRNO.SUCCESS
}

/** args_get / environ_get: a pointer per string at `ptrs`, the strings themselves at `buf`. */
export function strings(view: DataView, list: Strings, ptrs: number, buf: number): number {
  if (!fits(view, ptrs, list.offsets.length * 4) || !fits(view, buf, list.bytes.length)) {
    return ERRNO.FAULT
  }
  const base = buf >>> 0
  new Uint8Array(view.buffer, base, list.bytes.length).set(list.bytes)
  list.offsets.forEach((offset, i) => view.setUint32((ptrs >>> 0) + i * 4, base + offset, true))
  return ERRNO.SUCCESS
}

/** Writes a u64 answer (a time, a resolution) at `out`; null means the clock id is invalid. */
export function u64(view: DataView, out: number, value: bigint | null): number {
  if (value === null) return ERRNO.INVAL
  if (!fits(view, out, 8)) return ERRNO.FAULT
  view.setBigUint64(out >>> 0, value, true)
  return ERRNO.SUCCESS
}
