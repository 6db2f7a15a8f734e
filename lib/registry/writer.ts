import type Corestore from 'corestore'
import Hyperbee from 'hyperbee'
import type Hypercore from 'hypercore'
import Hyperblobs from 'hyperblobs'
import type { Logger } from 'pino'
import { unreadable, type RegistryCheckpoint } from './checkpoint.js'
import { decode } from '../wire/codec.js'
import {
  blobId,
  functionRecord,
  type BlobId,
  type FunctionRecord
} from '../wire/function-record.js'

/** Keys of a writer's Hyperbee. */
export const KEYS = {
  /** `fn/<name>` → FunctionRecord (a delete is a tombstone record). */
  function: 'fn/',
  /** `wasm/<sha256 hex>` → BlobId in this writer's blob core: each module's bytes stored once. */
  wasm: 'wasm/',
  /** `writer/<bee key hex>` → empty: another writer this one knows (how members learn writers). */
  writer: 'writer/',
  /** The key of this writer's blob core (32 bytes), written once when the registry is created. */
  blobs: 'meta/blobs',
  /** `ver/<name>/<number, 10 digits>` → VersionRecord (lib/wire/addressing.ts). */
  version: 'ver/',
  /** `alias/<name>/<alias>` → AliasRecord. */
  alias: 'alias/',
  /** `url/<name>/<alias or nothing>` → UrlRecord. */
  url: 'url/',
  /** `seq/<name>` → the highest version number this writer allocated for the function. */
  counter: 'seq/',
  /** `seg/<edge>/<n>` → a segment of an edge's job log, and whether it is retired (lib/jobs/log.ts). */
  segment: 'seg/',
  /** `eic/<name>/<qualifier or nothing>` → EventInvokeRecord (lib/wire/jobs.ts). */
  eventInvoke: 'eic/',
  /** `sched/<group>/<name>` → ScheduleRecord (lib/wire/schedules.ts). */
  schedule: 'sched/'
} as const

/** Keys kept as they are stored, for the addressing layer to decode (lib/registry/addressing.ts). */
const ENTRY_PREFIXES: readonly string[] = [
  KEYS.version,
  KEYS.alias,
  KEYS.url,
  KEYS.counter,
  KEYS.segment,
  KEYS.schedule,
  KEYS.eventInvoke
]

/** What a writer's history taught us: records, module locations and other writers. */
export interface WriterEvents {
  /** A new or updated record (not necessarily the merged winner). */
  record(record: FunctionRecord, writer: RegistryWriter): void
  /** A writer this one knows about. */
  writer(key: Buffer): void
  /** A new or updated entry under one of the addressing prefixes. */
  entry(key: string, writer: RegistryWriter): void
}

/**
 * One edge's registry as this edge mirrors it: the Hyperbee that edge writes (records, a wasm
 * index, the writers it knows) and its Hyperblobs core. Our own writer is writable; a member's
 * is opened read-only by key and downloaded in full (registries are small, and every edge must
 * be able to run every function even when its writer is away). The mirror follows the bee's
 * history, so reads never touch the network.
 */
export class RegistryWriter {
  readonly key: Buffer
  readonly id: string
  readonly writable: boolean
  readonly records = new Map<string, FunctionRecord>()
  readonly modules = new Map<string, BlobId>()
  /** Entries under the addressing prefixes (versions, aliases, URLs, counters), as stored. */
  readonly entries = new Map<string, Buffer>()
  readonly bee: Hyperbee<string, Buffer>
  private blobCore: Hyperblobs | null = null
  private seen = 1 // block 0 is the Hyperbee header
  private syncing: Promise<void> = Promise.resolve()
  private closing = false
  private readonly events: WriterEvents
  private readonly log: Logger
  private readonly store: Corestore

  private constructor(
    store: Corestore,
    bee: Hyperbee<string, Buffer>,
    events: WriterEvents,
    log: Logger
  ) {
    this.store = store
    this.bee = bee
    this.events = events
    this.log = log
    this.key = bee.core.key as Buffer
    this.id = this.key.toString('hex')
    this.writable = bee.core.writable
  }

  /**
   * Our own writer: the `registry` bee and `blobs` core of this edge's Corestore. With a
   * checkpoint, the cores are first checked against it, and a core that cannot be read back in
   * full is refused, not skipped: nobody else can tell this edge what it wrote.
   */
  static async own(
    store: Corestore,
    events: WriterEvents,
    log: Logger,
    checkpoint: RegistryCheckpoint | null = null
  ): Promise<RegistryWriter> {
    const saved = await checkpoint?.load()
    const bee = openBee(store.get({ name: 'registry' }))
    const blobs = new Hyperblobs(store.get({ name: 'blobs' }))
    await Promise.all([bee.ready(), blobs.ready()])
    const writer = new RegistryWriter(store, bee, events, log)
    writer.blobCore = blobs
    try {
      await checkpoint?.verify(saved ?? null, { registry: bee.core, blobs: blobs.core })
      if (checkpoint !== null && saved === null && bee.core.length > 0) {
        log.warn(
          { checkpoint: checkpoint.file, length: bee.core.length },
          'no registry checkpoint: the registry is taken as it is, and a checkpoint written'
        )
      }
      const blobKey = blobs.core.key as Buffer
      const stored = await bee.get(KEYS.blobs)
      if (stored === null) await bee.put(KEYS.blobs, blobKey)
      else if (!stored.value.equals(blobKey)) throw new Error('registry names another blob core')
      await writer.catchUp(bee.core.length, checkpoint?.stateDir ?? 'the Corestore')
      await checkpoint?.save({ registry: bee.core, blobs: blobs.core })
    } catch (err) {
      await writer.close()
      throw err
    }
    bee.core.on('append', () => writer.follow())
    return writer
  }

  /**
   * A member's writer, opened read-only by its bee key. What is already stored locally is
   * loaded before this resolves; the rest follows as replication brings it.
   */
  static async remote(
    store: Corestore,
    key: Buffer,
    events: WriterEvents,
    log: Logger
  ): Promise<RegistryWriter> {
    const core = store.get({ key })
    const bee = openBee(core)
    await bee.ready()
    const writer = new RegistryWriter(store, bee, events, log)
    core.download({ start: 0, end: -1 })
    core.on('append', () => writer.follow())
    await writer.catchUp(core.contiguousLength)
    writer.follow()
    return writer
  }

  /** The blob core (null until a member's `meta/blobs` entry has been read). */
  get blobs(): Hyperblobs | null {
    return this.blobCore
  }

  /** Records what our own bee was just given, so a write is visible before its append event. */
  applyLocal(record: FunctionRecord, module?: { sha256: string; id: BlobId }): void {
    if (module !== undefined) this.modules.set(module.sha256, module.id)
    this.records.set(record.name, record)
  }

  /** Records an entry our own bee was just given, visible before its append event. */
  applyEntry(key: string, value: Buffer): void {
    this.entries.set(key, value)
    this.events.entry(key, this)
  }

  /**
   * Brings this mirror up to what the writer's members hold now: asks the swarm for the core's
   * latest length (a member's writer; ours is always current) and reads up to it.
   */
  async refresh(): Promise<void> {
    if (this.writable || this.closing) return
    await this.bee.core.update({ wait: true })
    this.follow()
    await this.syncing
  }

  /** Stops following and closes the bee and blob sessions. */
  async close(): Promise<void> {
    this.closing = true
    await this.bee.close()
    await this.blobCore?.close()
    await this.syncing
  }

  /** Reads whatever the core has beyond what was seen, in order. */
  private follow(): void {
    if (this.closing) return
    this.syncing = this.syncing.then(() => this.catchUp(this.bee.core.length))
  }

  /**
   * Reads the history from what was seen up to `length`. A read failure is logged (a member's
   * writer is read again as replication goes on) unless `strictIn` names the state dir: then it
   * is thrown, as the refusal to start on a registry that cannot be read back.
   */
  private async catchUp(length: number, strictIn?: string): Promise<void> {
    if (this.closing || length <= this.seen) return
    try {
      const history = this.bee.createHistoryStream({ gte: this.seen, lt: length })
      for await (const entry of history) {
        if (entry.type === 'put' && entry.value !== null) this.apply(entry.key, entry.value)
        this.seen = entry.seq + 1
      }
    } catch (err) {
      if (strictIn !== undefined) throw unreadable(strictIn, err)
      if (!this.closing)
        this.log.warn({ err, writer: this.id.slice(0, 16) }, 'registry read failed')
    }
  }

  private apply(key: string, value: Buffer): void {
    try {
      if (key.startsWith(KEYS.function)) {
        const record = decode(functionRecord, value)
        if (record.name !== key.slice(KEYS.function.length))
          throw new Error('record under another name')
        this.records.set(record.name, record)
        this.events.record(record, this)
      } else if (key.startsWith(KEYS.wasm)) {
        this.modules.set(key.slice(KEYS.wasm.length), decode(blobId, value))
      } else if (ENTRY_PREFIXES.some((prefix) => key.startsWith(prefix))) {
        this.entries.set(key, value)
        this.events.entry(key, this)
      } else if (key.startsWith(KEYS.writer)) {
        const hex = key.slice(KEYS.writer.length)
        if (/^[0-9a-f]{64}$/.test(hex)) this.events.writer(Buffer.from(hex, 'hex'))
      } else if (key === KEYS.blobs && this.blobCore === null && value.length === 32) {
        const core = this.store.get({ key: value })
        core.download({ start: 0, end: -1 })
        this.blobCore = new Hyperblobs(core)
      }
    } catch (err) {
      this.log.warn({ err, key, writer: this.id.slice(0, 16) }, 'registry entry ignored')
    }
  }
}

function openBee(core: Hypercore): Hyperbee<string, Buffer> {
  return new Hyperbee(core, { keyEncoding: 'utf-8', valueEncoding: 'binary' })
}
