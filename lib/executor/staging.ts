/**
 * An input this large goes to a worker in shared memory: one copy here, where posting it would
 * clone it twice (serialised, then deserialised: about 3 ms for 4 MB).
 */
export const SHARE_MIN_BYTES = 64 * 1024
/**
 * A worker's staging buffer grows to at most this size. Copying 4 MB into reused memory takes
 * ~0.25 ms, into fresh memory ~1.7 ms (its page faults), so one buffer is kept per worker.
 */
export const STAGING_MAX_BYTES = 8 * 1024 * 1024

/**
 * One worker's shared buffer for large inputs, held by one call at a time from its dispatch to
 * its reply. A larger input, or one dispatched while the buffer is held, gets a shared buffer of
 * its own. The caller's buffer is only read, so a call can still be requeued after a lost worker.
 */
export class InputStaging {
  private buffer: SharedArrayBuffer | null = null
  /** The call whose input is in `buffer` (0: free). */
  private holder = 0

  /** The input as it should be posted for call `id`: a large one copied into shared memory. */
  share(id: number, input: Int32Array | Uint8Array): Int32Array | Uint8Array {
    const bytes = input.byteLength
    if (bytes < SHARE_MIN_BYTES || input.buffer instanceof SharedArrayBuffer) return input
    let buffer: SharedArrayBuffer
    if (this.holder === 0 && bytes <= STAGING_MAX_BYTES) {
      if (this.buffer === null || this.buffer.byteLength < bytes) {
        this.buffer = new SharedArrayBuffer(bytes)
      }
      buffer = this.buffer
      this.holder = id
    } else {
      buffer = new SharedArrayBuffer(bytes)
    }
    const out =
      input instanceof Int32Array
        ? new Int32Array(buffer, 0, input.length)
        : new Uint8Array(buffer, 0, bytes)
    out.set(input)
    return out
  }

  /** Call `id` has answered: the worker is done with its input. */
  release(id: number): void {
    if (this.holder === id) this.holder = 0
  }
}
