import type Corestore from 'corestore'
import { core as keys } from 'hypercore-storage/lib/keys.js'
import type { Logger } from 'pino'

/** After an erasure, the store is compacted this much later (one compaction for a burst). */
const COMPACT_DELAY_MS = 1_000

/**
 * Erases cores from a Corestore's disk for good: every key a core has (see `eraseCore`), then
 * a compaction of the store a moment later, when RocksDB gives the space back (in its own
 * threads, not on the event loop).
 */
export class Eraser {
  private compaction: NodeJS.Timeout | null = null
  private closed = false

  constructor(
    private readonly store: Corestore,
    private readonly log: Logger
  ) {}

  /** Erases a core no session here holds open any more; a core not stored is left alone. */
  async erase(discoveryKey: Buffer): Promise<void> {
    if (await eraseCore(this.store, discoveryKey)) this.compactSoon()
  }

  /** Cancels a compaction not started yet (the store belongs to the caller). */
  close(): void {
    this.closed = true
    if (this.compaction !== null) clearTimeout(this.compaction)
  }

  private compactSoon(): void {
    if (this.compaction !== null || this.closed) return
    this.compaction = setTimeout(() => {
      this.compaction = null
      if (this.closed) return
      this.store.storage
        .compact()
        .catch((err: unknown) => this.log.warn({ err }, 'store compaction failed'))
    }, COMPACT_DELAY_MS)
    this.compaction.unref()
  }
}

/**
 * Deletes every trace of a core from a Corestore's database: its record, auth and head (what
 * `deleteCore` removes) and its blocks, tree nodes and bitfield (the data range, which it
 * leaves). Hypercore 11's own `purge()` is unimplemented (holepunchto/hypercore#703) and
 * `clear()` keeps the tree nodes, a third of a small-block log's weight. Nothing is created for
 * a core not stored. Returns whether one was.
 */
export async function eraseCore(store: Corestore, discoveryKey: Buffer): Promise<boolean> {
  const storage = store.storage
  if (!(await storage.hasCore(discoveryKey))) return false
  const stored = await storage.resumeCore(discoveryKey)
  if (stored === null) return false
  const { dataPointer } = stored.core
  await storage.deleteCore(stored.core)
  const batch = storage.db.write({ autoDestroy: true })
  batch.tryDeleteRange(keys.data(dataPointer), keys.data(dataPointer + 1))
  await batch.flush()
  return true
}
