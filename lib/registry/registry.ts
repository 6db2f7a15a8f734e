import { createHash } from 'node:crypto'
import type Corestore from 'corestore'
import type { Logger } from 'pino'
import { WASM_CORRUPT, WASM_UNAVAILABLE } from '../errors.js'
import { encode } from '../wire/codec.js'
import { blobId, functionRecord, type FunctionRecord } from '../wire/function-record.js'
import { RegistryCheckpoint } from './checkpoint.js'
import { KEYS, RegistryWriter } from './writer.js'

/** How long reading a module's bytes may wait for replication before giving up. */
const WASM_FETCH_TIMEOUT_MS = 5_000

/** What a deploy says about a function; the registry adds the version, dates and storage. */
export type FunctionSpec = Omit<
  FunctionRecord,
  'sha256' | 'size' | 'version' | 'created' | 'modified' | 'deleted' | 'blob'
>

/** Options for the registry. */
export interface RegistryOptions {
  log: Logger
  /** Called with each record a member's writer brings (e.g. to compile it before it is invoked). */
  onRemoteRecord?: (record: FunctionRecord) => void
  /**
   * A file outside the Corestore (`<state dir>/registry.checkpoint`) recording how long our own
   * cores were after each write: at boot, a Corestore holding less than that is refused instead
   * of serving a partial registry. Without it, nothing is checked.
   */
  checkpoint?: string
  /** Called with the key of each addressing entry applied, ours or a member's. */
  onEntry?: (key: string) => void
}

/**
 * The cluster's function registry, as one edge sees it. Each edge writes only its own Hyperbee
 * (records, deletes kept as tombstones, a wasm index and the writers it knows) and Hyperblobs
 * core (module bytes by sha256, stored once); it mirrors every other member's writer it has
 * learned of. The merged view takes, per function name, the record with the highest
 * (version, writer key): a version is a logical clock, one more than the highest version of
 * that name anywhere in the view, so a later deploy or delete on any edge wins everywhere.
 * Reads come from the in-memory mirrors; module bytes are verified against their sha256.
 */
export class Registry {
  private readonly store: Corestore
  private readonly log: Logger
  private readonly onRemoteRecord: (record: FunctionRecord) => void
  private readonly onEntry: (key: string) => void
  private readonly checkpoint: RegistryCheckpoint | null
  private own: RegistryWriter | null = null
  private readonly writers = new Map<string, RegistryWriter>()
  private readonly opening = new Map<string, Promise<void>>()
  private writing: Promise<unknown> = Promise.resolve()
  private opened: Promise<void> | null = null
  /** Writers our own bee names, met while it loads (opened once it has). */
  private bootWriters: Buffer[] = []
  private closed: Promise<void> | null = null
  private changes = 0
  /** Writers to note in our bee, and the pending write that will (see remember). */
  private readonly unremembered = new Set<string>()
  private remembering: Promise<void> | null = null

  constructor(store: Corestore, options: RegistryOptions) {
    this.store = store
    this.log = options.log
    this.onRemoteRecord = options.onRemoteRecord ?? (() => undefined)
    this.onEntry = options.onEntry ?? (() => undefined)
    this.checkpoint =
      options.checkpoint === undefined ? null : new RegistryCheckpoint(options.checkpoint)
  }

  /**
   * Opens our writer (refusing a Corestore that lost what the checkpoint recorded) and every
   * writer we learned before (their stored entries loaded).
   */
  ready(): Promise<void> {
    this.opened ??= (async () => {
      const own = await RegistryWriter.own(this.store, this.events(), this.log, this.checkpoint)
      this.own = own
      this.writers.set(own.id, own)
      const known = this.bootWriters
      this.bootWriters = []
      await this.learn(known)
    })()
    return this.opened
  }

  /** Closes every writer (the Corestore itself belongs to the caller). Idempotent. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      await this.opened?.catch(() => undefined)
      await this.writing.catch(() => undefined) // a failed write was already reported to its caller
      await Promise.all([...this.opening.values()])
      await Promise.all([...this.writers.values()].map((w) => w.close()))
    })()
    return this.closed
  }

  /** This edge's writer key (its registry bee's key). */
  get key(): Buffer {
    return this.writer().key
  }

  /** Every writer key in the view, ours included: what a member is told when it connects. */
  writerKeys(): Buffer[] {
    return [...this.writers.values()].map((w) => w.key)
  }

  /**
   * Learns writers (from a member, or from a writer's own list): opens each one not yet known,
   * and remembers it in our bee so it opens at boot and members learn it from us.
   */
  async learn(keys: readonly Buffer[]): Promise<void> {
    await Promise.all(keys.map((key) => this.open(key)))
  }

  /**
   * Stores a new version of a function (one more than the highest version in the view). `sha256`
   * is the bytes' hash when the caller has it already (the validator worker computes it, off
   * this thread: hashing 50 MB here would hold the event loop ~100 ms).
   */
  put(spec: FunctionSpec, bytes: Uint8Array, sha256 = sha256Of(bytes)): Promise<FunctionRecord> {
    return this.serialized(async () => {
      const own = this.writer()
      const previous = this.winner(spec.name)
      let blob = own.modules.get(sha256)
      if (blob === undefined) {
        const blobs = own.blobs
        if (blobs === null) throw new Error('our blob core is not open')
        blob = await blobs.put(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
        await own.bee.put(KEYS.wasm + sha256, encode(blobId, blob))
      }
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
      await own.bee.put(KEYS.function + spec.name, encode(functionRecord, record))
      own.applyLocal(record, { sha256, id: blob })
      return record
    })
  }

  /** The live record of a function, or null when it never existed or was deleted. */
  get(name: string): FunctionRecord | null {
    const record = this.winner(name)
    return record === null || record.deleted ? null : record
  }

  /** Every live function, by name. */
  list(): FunctionRecord[] {
    const names = new Set<string>()
    for (const writer of this.writers.values())
      for (const name of writer.records.keys()) names.add(name)
    return [...names]
      .sort()
      .map((name) => this.get(name))
      .filter((record): record is FunctionRecord => record !== null)
  }

  /** Deletes a function by writing a tombstone; false when there was nothing live to delete. */
  delete(name: string): Promise<boolean> {
    return this.serialized(async () => {
      const own = this.writer()
      const previous = this.winner(name)
      if (previous === null || previous.deleted) return false
      const tombstone: FunctionRecord = {
        ...previous,
        version: previous.version + 1,
        modified: Date.now(),
        deleted: true
      }
      await own.bee.put(KEYS.function + name, encode(functionRecord, tombstone))
      own.applyLocal(tombstone)
      return true
    })
  }

  /**
   * A number that moves whenever the view changes (a record or an entry, ours or a member's):
   * what views derived from the registry compare to know they are stale.
   */
  get generation(): number {
    return this.changes
  }

  /** Writes an addressing entry (a version, an alias, a URL, a counter) into our writer. */
  putEntry(key: string, value: Buffer): Promise<void> {
    return this.serialized(async () => {
      const own = this.writer()
      await own.bee.put(key, value)
      own.applyEntry(key, value)
    })
  }

  /** Every writer's entries under a prefix: `[writer id, key, value]`, as stored. */
  *entries(prefix: string): Iterable<[string, string, Buffer]> {
    for (const writer of this.writers.values()) {
      for (const [key, value] of writer.entries) {
        if (key.startsWith(prefix)) yield [writer.id, key, value]
      }
    }
  }

  /**
   * Brings every member's writer up to what the connected members hold now, waiting at most
   * `timeoutMs` (a writer whose edge is away cannot be refreshed, and is not waited for).
   */
  async refresh(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))
    const all = Promise.all([...this.writers.values()].map((w) => w.refresh().catch(() => {})))
    await Promise.race([all, deadline])
    clearTimeout(timer)
  }

  /** True when some writer in the view stores a module with this sha256. */
  hasModule(sha256: string): boolean {
    for (const writer of this.writers.values()) if (writer.modules.has(sha256)) return true
    return false
  }

  /**
   * A module's bytes by sha256, from whichever writer stores them (ours first), replicated from
   * any member that has them and verified: WASM_CORRUPT when bytes do not match their hash,
   * WASM_UNAVAILABLE when no writer in reach has them.
   */
  async wasm(sha256: string): Promise<Uint8Array> {
    let corrupt = false
    for (const writer of this.writers.values()) {
      const id = writer.modules.get(sha256)
      if (id === undefined || writer.blobs === null) continue
      let bytes: Buffer | null = null
      try {
        bytes = await writer.blobs.get(id, { timeout: WASM_FETCH_TIMEOUT_MS })
      } catch (err) {
        this.log.warn({ err, sha256, writer: writer.id.slice(0, 16) }, 'module fetch failed')
      }
      if (bytes === null) continue
      if (sha256Of(bytes) === sha256) return bytes
      corrupt = true
    }
    throw corrupt ? WASM_CORRUPT(sha256) : WASM_UNAVAILABLE(sha256)
  }

  private winner(name: string): FunctionRecord | null {
    let best: FunctionRecord | null = null
    let bestWriter = ''
    for (const writer of this.writers.values()) {
      const record = writer.records.get(name)
      if (record === undefined) continue
      if (
        best === null ||
        record.version > best.version ||
        (record.version === best.version && writer.id > bestWriter)
      ) {
        best = record
        bestWriter = writer.id
      }
    }
    return best
  }

  private events() {
    return {
      record: (record: FunctionRecord, writer: RegistryWriter) => {
        this.changes++
        if (!writer.writable && this.winner(record.name) === record) this.onRemoteRecord(record)
      },
      entry: (key: string) => {
        this.changes++
        this.onEntry(key)
      },
      writer: (key: Buffer) => {
        if (this.own === null) this.bootWriters.push(key)
        else void this.open(key)
      }
    }
  }

  private open(key: Buffer): Promise<void> {
    const id = key.toString('hex')
    if (this.writers.has(id) || this.closed !== null) return Promise.resolve()
    let opening = this.opening.get(id)
    if (opening === undefined) {
      opening = (async () => {
        try {
          const writer = await RegistryWriter.remote(this.store, key, this.events(), this.log)
          if (this.closed !== null) return void (await writer.close())
          this.writers.set(id, writer)
          await this.remember(key)
          this.log.info({ writer: id.slice(0, 16) }, 'registry writer added')
        } catch (err) {
          this.log.warn({ err, writer: id.slice(0, 16) }, 'registry writer not opened')
        } finally {
          this.opening.delete(id)
        }
      })()
      this.opening.set(id, opening)
    }
    return opening
  }

  /** Notes a writer in our bee (once), so it opens at boot and members learn it from us. */
  /**
   * Notes a writer in our own bee (`writer/KEY`), so it opens at boot and members learn it from
   * us. Writers learned together are noted in one batch: a new edge in a large mesh learns
   * dozens at once, and one write each (with its checkpoint) would queue a deploy behind them
   * all (17 s in a 20-edge mesh on a loaded machine).
   */
  private remember(key: Buffer): Promise<void> {
    const own = this.writer()
    if (key.equals(own.key)) return Promise.resolve()
    this.unremembered.add(key.toString('hex'))
    this.remembering ??= this.serialized(async () => {
      this.remembering = null
      const keys = [...this.unremembered]
      this.unremembered.clear()
      const batch = own.bee.batch()
      for (const id of keys) {
        const entry = KEYS.writer + id
        if ((await batch.get(entry)) === null) await batch.put(entry, Buffer.alloc(0))
      }
      await batch.flush()
    })
    return this.remembering
  }

  private writer(): RegistryWriter {
    if (this.own === null) throw new Error('the registry is not ready')
    return this.own
  }

  /**
   * Runs writes to our cores one at a time, each followed by a checkpoint of their lengths. A
   * checkpoint that cannot be saved is logged, not thrown: the write itself is done, and an older
   * checkpoint still holds (it only names fewer blocks).
   */
  private serialized<T>(write: () => Promise<T>): Promise<T> {
    const run = async () => {
      const result = await write()
      const own = this.own
      if (this.checkpoint !== null && own !== null && own.blobs !== null) {
        await this.checkpoint
          .save({ registry: own.bee.core, blobs: own.blobs.core })
          .catch((err: unknown) => this.log.warn({ err }, 'registry checkpoint not saved'))
      }
      return result
    }
    const result = this.writing.then(run, run)
    this.writing = result.catch(() => undefined)
    return result
  }
}

function sha256Of(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}
