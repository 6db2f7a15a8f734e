import { createHash } from 'node:crypto'
import type Corestore from 'corestore'
import Hyperbee from 'hyperbee'
import Hyperblobs from 'hyperblobs'
import { WASM_CORRUPT } from '../errors.js'
import {
  blobId,
  decode,
  encode,
  functionRecord,
  type BlobId,
  type FunctionRecord
} from '../wire/messages.js'

const FUNCTION_PREFIX = 'fn/'
const WASM_PREFIX = 'wasm/' // sha256 hex → BlobId: each module's bytes are stored once
const FUNCTION_RANGE = { gt: 'fn/', lt: 'fn0' } // '0' sorts right after '/'

/** What a deploy says about a function; the registry adds the version, dates and storage. */
export type FunctionSpec = Omit<
  FunctionRecord,
  'sha256' | 'size' | 'version' | 'created' | 'modified' | 'deleted' | 'blob'
>

/**
 * The function registry of one edge: records in a Hyperbee (name → FunctionRecord, deletes kept
 * as tombstones so they can replicate), Wasm bytes in a Hyperblobs core, both in the edge's
 * Corestore. Bytes are addressed by sha256, stored once however many functions share them, and
 * verified on every read. Writes are serialized so versions never race.
 */
export class Registry {
  private readonly bee: Hyperbee<string, Buffer>
  private readonly blobs: Hyperblobs
  private writing: Promise<unknown> = Promise.resolve()
  private opened: Promise<void> | null = null
  private closed: Promise<void> | null = null

  constructor(store: Corestore) {
    this.bee = new Hyperbee(store.get({ name: 'registry' }), {
      keyEncoding: 'utf-8',
      valueEncoding: 'binary'
    })
    this.blobs = new Hyperblobs(store.get({ name: 'blobs' }))
  }

  /** Opens the registry core and the blob core. Idempotent. */
  ready(): Promise<void> {
    this.opened ??= Promise.all([this.bee.ready(), this.blobs.ready()]).then(() => undefined)
    return this.opened
  }

  /** Closes both cores (the Corestore itself belongs to the caller). Idempotent. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      await this.writing.catch(() => undefined) // a failed write was already reported to its caller
      await this.bee.close()
      await this.blobs.close()
    })()
    return this.closed
  }

  /** Stores a new version of a function (its first, or one more than the last, even if deleted). */
  put(spec: FunctionSpec, bytes: Uint8Array): Promise<FunctionRecord> {
    return this.serialized(async () => {
      const sha256 = createHash('sha256').update(bytes).digest('hex')
      const previous = await this.read(spec.name)
      const blob = await this.storeBytes(sha256, bytes)
      const now = Date.now()
      const record: FunctionRecord = {
        ...spec,
        sha256,
        size: bytes.length,
        version: (previous?.version ?? 0) + 1,
        created: previous !== null && !previous.deleted ? previous.created : now,
        modified: now,
        deleted: false,
        blob
      }
      await this.bee.put(FUNCTION_PREFIX + spec.name, encode(functionRecord, record))
      return record
    })
  }

  /** The live record of a function, or null when it never existed or was deleted. */
  async get(name: string): Promise<FunctionRecord | null> {
    const record = await this.read(name)
    return record === null || record.deleted ? null : record
  }

  /** Every live function, by name. */
  async list(): Promise<FunctionRecord[]> {
    const records: FunctionRecord[] = []
    for await (const entry of this.bee.createReadStream(FUNCTION_RANGE)) {
      const record = decode(functionRecord, entry.value)
      if (!record.deleted) records.push(record)
    }
    return records
  }

  /** Deletes a function by writing a tombstone; false when there was nothing live to delete. */
  delete(name: string): Promise<boolean> {
    return this.serialized(async () => {
      const previous = await this.read(name)
      if (previous === null || previous.deleted) return false
      const tombstone: FunctionRecord = {
        ...previous,
        version: previous.version + 1,
        modified: Date.now(),
        deleted: true
      }
      await this.bee.put(FUNCTION_PREFIX + name, encode(functionRecord, tombstone))
      return true
    })
  }

  /** The module bytes of a record, verified against its sha256. */
  async wasm(record: FunctionRecord): Promise<Uint8Array> {
    const bytes = await this.blobs.get(record.blob)
    if (bytes === null || createHash('sha256').update(bytes).digest('hex') !== record.sha256) {
      throw WASM_CORRUPT(record.sha256)
    }
    return bytes
  }

  private async read(name: string): Promise<FunctionRecord | null> {
    const entry = await this.bee.get(FUNCTION_PREFIX + name)
    return entry === null ? null : decode(functionRecord, entry.value)
  }

  private async storeBytes(sha256: string, bytes: Uint8Array): Promise<BlobId> {
    const known = await this.bee.get(WASM_PREFIX + sha256)
    if (known !== null) return decode(blobId, known.value)
    const id = await this.blobs.put(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
    await this.bee.put(WASM_PREFIX + sha256, encode(blobId, id))
    return id
  }

  private serialized<T>(write: () => Promise<T>): Promise<T> {
    const result = this.writing.then(write, write)
    this.writing = result.catch(() => undefined)
    return result
  }
}
