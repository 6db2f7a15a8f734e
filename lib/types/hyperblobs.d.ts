declare module 'hyperblobs' {
  import type Hypercore from 'hypercore'

  namespace Hyperblobs {
    /** Where a blob lives in the core. */
    interface BlobId {
      byteOffset: number
      blockOffset: number
      blockLength: number
      byteLength: number
    }
  }

  /** Blobs chunked into the blocks of one Hypercore (Hyperdrive's blob store). */
  class Hyperblobs {
    constructor(core: Hypercore, opts?: { blockSize?: number })
    readonly core: Hypercore
    readonly key: Buffer
    readonly discoveryKey: Buffer
    /** Opens the core. */
    ready(): Promise<void>
    /** Closes the core. */
    close(): Promise<void>
    /** Appends a blob; resolves to where it was stored. */
    put(blob: Uint8Array, opts?: { blockSize?: number }): Promise<Hyperblobs.BlobId>
    /** Reads a whole blob (waiting for replication unless `wait: false`); null when unavailable. */
    get(id: Hyperblobs.BlobId, opts?: { wait?: boolean; timeout?: number }): Promise<Buffer | null>
    /** Clears a blob's blocks from local storage. */
    clear(id: Hyperblobs.BlobId): Promise<unknown>
  }

  export = Hyperblobs
}
