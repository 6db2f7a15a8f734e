/**
 * Where a WASI call's stdout and stderr bytes go. Both start small and grow by doubling, so a call
 * that writes 100 bytes does not pay for a 6 MiB or 256 KiB buffer.
 */

const INITIAL_BYTES = 1024

/** Thrown when a call writes more to stdout than its limit: the call fails (the answer is lost). */
export class WasiOutputTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`stdout passed its limit of ${limit} bytes`)
    this.name = 'WasiOutputTooLarge'
  }
}

/**
 * Stdout: every byte kept, in order, up to a limit past which the call fails. It may start in a
 * buffer a previous call used (`scratch`: allocating one costs more than a small call's whole
 * I/O); only the bytes this call wrote are ever read from it.
 */
export class StdoutBuffer {
  private bytes: Uint8Array
  private length = 0

  constructor(
    private readonly limit: number,
    scratch: Uint8Array = new Uint8Array(0)
  ) {
    this.bytes = scratch
  }

  /** The buffer the bytes were written into, for the next call to start in. */
  get scratch(): Uint8Array {
    return this.bytes
  }

  /** Bytes that may still be written. */
  get room(): number {
    return this.limit - this.length
  }

  /** Makes room for `size` more bytes, or throws WasiOutputTooLarge (nothing is written then). */
  reserve(size: number): void {
    if (size > this.room) throw new WasiOutputTooLarge(this.limit)
    const needed = this.length + size
    if (needed <= this.bytes.length) return
    let capacity = Math.max(this.bytes.length, INITIAL_BYTES)
    while (capacity < needed) capacity *= 2
    const grown = new Uint8Array(Math.min(capacity, this.limit))
    grown.set(this.bytes.subarray(0, this.length))
    this.bytes = grown
  }

  /** Appends bytes for which reserve() made room. */
  append(chunk: Uint8Array): void {
    this.bytes.set(chunk, this.length)
    this.length += chunk.length
  }

  /** Exactly the bytes written, in a buffer of their own (so it can be transferred). */
  take(): Uint8Array {
    return this.bytes.slice(0, this.length)
  }
}

/**
 * Stderr: the newest `limit` bytes (logs are capped as AWS caps them, the oldest dropped). Byte k
 * of the stream lives at index k % limit: a buffer while it fits, a ring once full, so a module
 * writing one byte at a time past the cap costs one byte each, not a shift of the whole log.
 */
export class StderrTail {
  private bytes = new Uint8Array(0)
  /** Bytes ever written. */
  private written = 0

  constructor(private readonly limit: number) {}

  /** Appends bytes, dropping the oldest past the limit. */
  append(chunk: Uint8Array): void {
    if (this.limit === 0 || chunk.length === 0) return
    this.grow(Math.min(this.written + chunk.length, this.limit))
    if (chunk.length > this.limit) {
      // Only the chunk's last `limit` bytes survive; they overwrite the whole ring.
      this.written += chunk.length - this.limit
      chunk = chunk.subarray(chunk.length - this.limit)
    }
    const at = this.written % this.limit
    const first = Math.min(chunk.length, this.limit - at)
    this.bytes.set(chunk.subarray(0, first), at)
    this.bytes.set(chunk.subarray(first), 0)
    this.written += chunk.length
  }

  /** The kept bytes as text (lossy UTF-8); a character cut by the cap is dropped, not mangled. */
  text(): string {
    if (this.written === 0) return ''
    if (this.written <= this.limit) return decoder.decode(this.bytes.subarray(0, this.written))
    const oldest = this.written % this.limit
    const ordered = new Uint8Array(this.limit)
    ordered.set(this.bytes.subarray(oldest))
    ordered.set(this.bytes.subarray(0, oldest), this.limit - oldest)
    let first = 0
    while (first < 3 && (ordered[first]! & 0xc0) === 0x80) first++ // UTF-8 continuation bytes
    return decoder.decode(ordered.subarray(first))
  }

  /** Grows the buffer to hold `needed` bytes (never past the limit); only before it is a ring. */
  private grow(needed: number): void {
    if (needed <= this.bytes.length) return
    let capacity = Math.max(this.bytes.length, INITIAL_BYTES)
    while (capacity < needed) capacity *= 2
    const grown = new Uint8Array(Math.min(capacity, this.limit))
    grown.set(this.bytes.subarray(0, this.written))
    this.bytes = grown
  }
}

const decoder = new TextDecoder('utf-8', { fatal: false })
