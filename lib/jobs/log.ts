import type Corestore from 'corestore'
import Hypercore from 'hypercore'
import type { Logger } from 'pino'
import type { Registry } from '../registry/registry.js'
import { KEYS } from '../registry/writer.js'
import { Eraser } from './erase.js'
import { decode, encode } from '../wire/codec.js'
import {
  jobEntry,
  segmentAnnouncement as announcement,
  type JobEntry,
  type SegmentAnnouncement
} from '../wire/jobs.js'

/** Blocks a segment holds before the edge starts the next one. */
export const SEGMENT_BLOCKS = 4_096

/** Entries written to disk in one append at most (a burst larger than this takes several). */
const MAX_BATCH = 256

/** What an append gives back: where the entry is, and when a member holds it. */
export interface Appended {
  at: EntryAt
  held: Promise<void>
}

/** An entry waiting for the next append. */
interface Queued {
  entry: JobEntry
  resolve: (appended: Appended) => void
  reject: (err: unknown) => void
}

/** One segment core as followed here. */
interface Segment {
  /** `<edge>/<n>`: the registry key's tail. */
  name: string
  core: Hypercore
  own: boolean
  seen: number
  reading: Promise<void>
  /** A read is queued and has not started: another request adds nothing. */
  queued: boolean
}

/** Where an entry lives: which segment, which block. */
export interface EntryAt {
  segment: string
  index: number
}

/**
 * The job log: every edge appends the async work it accepts and what happens to it to a log of
 * its own, and follows every other edge's. A log is a chain of segment cores (`jobs/<n>` in the
 * edge's Corestore), each announced in the registry (`seg/<edge>/<n>` → its key), so members
 * learn them as they learn registry writers and replicate them over the same authenticated
 * connections. A segment whose jobs have all been forgotten is retired: announced so, and erased
 * from the disk of every edge. Entries reach `onEntry` in each segment's order.
 */
export class JobLog {
  private readonly segments = new Map<string, Segment>()
  private current: Segment | null = null
  private next = 0
  private readonly queue: Queued[] = []
  private flushing = false
  private flushed: Promise<void> = Promise.resolve()
  private seenGeneration = -1
  private closed = false
  private readonly waiters = new Map<Hypercore, Map<number, () => void>>()
  private readonly eraser: Eraser
  private syncing: Promise<void> = Promise.resolve()
  /** Segments retired and cleared here (their announcements are skipped from then on). */
  private readonly cleared = new Set<string>()

  constructor(
    private readonly store: Corestore,
    private readonly registry: Registry,
    private readonly edge: string,
    private readonly onEntry: (entry: JobEntry, at: EntryAt) => void,
    private readonly log: Logger,
    private readonly segmentBlocks = SEGMENT_BLOCKS
  ) {
    this.eraser = new Eraser(store, log)
  }

  /** Segments followed here (this edge's and its members'), retired ones excluded. */
  get segmentCount(): number {
    return this.segments.size
  }

  /** Opens this edge's segments and every announced one, reading what they hold. */
  async ready(): Promise<void> {
    await this.sync()
    if (this.current === null) await this.rotate()
  }

  /**
   * Appends an entry to this edge's current segment; resolves once it is on disk, with where it
   * is and a promise that settles when a member has fetched it (or never, for a lone edge).
   * Entries that arrive while an append is under way go to disk together in the next one (a
   * group commit: one write for a burst of accepts, not one queued behind the other).
   */
  append(entry: JobEntry): Promise<Appended> {
    return new Promise<Appended>((resolve, reject) => {
      this.queue.push({ entry, resolve, reject })
      if (!this.flushing) this.flushed = this.flush()
    })
  }

  private async flush(): Promise<void> {
    this.flushing = true
    try {
      while (this.queue.length > 0) {
        let segment = this.current as Segment
        try {
          if (segment.core.length >= this.segmentBlocks) segment = await this.rotate()
        } catch (err) {
          for (const item of this.queue.splice(0)) item.reject(err)
          return
        }
        const room = Math.max(1, this.segmentBlocks - segment.core.length)
        const batch = this.queue.splice(0, Math.min(room, MAX_BATCH))
        await this.write(segment, batch)
      }
    } finally {
      this.flushing = false
    }
  }

  private async write(segment: Segment, batch: Queued[]): Promise<void> {
    const first = segment.core.length
    let waiting = this.waiters.get(segment.core)
    if (waiting === undefined) this.waiters.set(segment.core, (waiting = new Map()))
    const held = batch.map((_, i) => {
      const index = first + i
      return new Promise<void>((resolve) => waiting.set(index, resolve))
    })
    try {
      await segment.core.append(batch.map((item) => encode(jobEntry, item.entry)))
    } catch (err) {
      for (let i = 0; i < batch.length; i++) waiting.delete(first + i)
      for (const item of batch) item.reject(err)
      return
    }
    // Our own entries are applied here, as written, so the view has them once this resolves.
    segment.seen = first + batch.length
    batch.forEach((item, i) => {
      const at = { segment: segment.name, index: first + i }
      this.onEntry(item.entry, at)
      item.resolve({ at, held: held[i] as Promise<void> })
    })
  }

  /**
   * Follows the registry: opens newly announced segments, clears retired ones. One sync at a
   * time (two at once would open one segment twice).
   */
  sync(): Promise<void> {
    const run = () => this.syncOnce()
    const result = this.syncing.then(run, run)
    this.syncing = result.catch(() => undefined)
    return result
  }

  private async syncOnce(): Promise<void> {
    if (this.registry.generation === this.seenGeneration) return
    this.seenGeneration = this.registry.generation
    for (const [, key, value] of this.registry.entries(KEYS.segment)) {
      const name = key.slice(KEYS.segment.length)
      let announced: SegmentAnnouncement
      try {
        announced = decode(announcement, value)
      } catch (err) {
        this.log.warn({ err, key }, 'job segment announcement ignored')
        continue
      }
      const held = this.segments.get(name)
      if (this.cleared.has(name)) continue
      if (announced.retired) {
        await this.purge(name, held, announced.key)
        continue
      }
      if (held === undefined) await this.open(name, Buffer.from(announced.key))
    }
  }

  /**
   * Brings every member's segment up to what the connected members hold now, waiting at most
   * `timeoutMs` (an entry accepted elsewhere a moment ago is then readable here).
   */
  async refresh(timeoutMs: number): Promise<void> {
    await this.sync()
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))
    const all = [...this.segments.values()]
      .filter((s) => !s.own)
      .map(async (s) => {
        await s.core.update({ wait: true }).catch(() => false)
        // The new length is known; its blocks may still be on their way.
        const length = s.core.length
        if (s.core.contiguousLength < length) {
          await s.core
            .download({ start: s.seen, end: length })
            .done()
            .catch(() => undefined)
        }
        this.follow(s)
        await s.reading
      })
    await Promise.race([Promise.all(all), deadline])
    clearTimeout(timer)
  }

  /** This edge's segments but the current one: what may be retired once their jobs are gone. */
  ownRetirable(): string[] {
    return [...this.segments.values()].filter((s) => s.own && s !== this.current).map((s) => s.name)
  }

  /** Retires one of this edge's segments: announced retired everywhere, erased here. */
  async retire(name: string): Promise<void> {
    const segment = this.segments.get(name)
    if (segment === undefined || !segment.own || segment === this.current) return
    const key = segment.core.key as Buffer
    await this.registry.putEntry(KEYS.segment + name, encode(announcement, { key, retired: true }))
    await this.purge(name, segment, key)
  }

  /** Closes every segment (the Corestore belongs to the caller). */
  async close(): Promise<void> {
    this.closed = true
    this.eraser.close()
    await this.flushed
    await Promise.all([...this.segments.values()].map((s) => s.core.close()))
  }

  private isOwn(name: string): boolean {
    return name.startsWith(`${this.edge}/`)
  }

  /** Starts this edge's next segment and announces it. */
  private async rotate(): Promise<Segment> {
    const n = this.next++
    const core = this.store.get({ name: `jobs/${n}` })
    await core.ready()
    const name = `${this.edge}/${String(n).padStart(10, '0')}`
    const key = core.key as Buffer
    await this.registry.putEntry(KEYS.segment + name, encode(announcement, { key, retired: false }))
    await core.close()
    return (this.current = await this.open(name, key))
  }

  private async open(name: string, key: Buffer): Promise<Segment> {
    const own = this.isOwn(name)
    const core = own
      ? this.store.get({ name: `jobs/${Number(name.slice(this.edge.length + 1))}` })
      : this.store.get({ key })
    await core.ready()
    const segment: Segment = {
      name,
      core,
      own,
      seen: 0,
      reading: Promise.resolve(),
      queued: false
    }
    this.segments.set(name, segment)
    if (own) {
      const n = Number(name.slice(this.edge.length + 1))
      this.next = Math.max(this.next, n + 1)
      if (this.current === null || n >= Number(this.current.name.slice(this.edge.length + 1))) {
        this.current = segment
      }
      core.on('upload', (index: number) => this.uploaded(core, index))
    } else {
      core.download({ start: 0, end: -1 })
      // A longer log, or a block that was missing (fetched later, maybe from another member).
      core.on('append', () => this.follow(segment))
      core.on('download', () => this.follow(segment))
    }
    this.follow(segment) // what is stored already (our own: written before a restart)
    await segment.reading
    return segment
  }

  private uploaded(core: Hypercore, index: number): void {
    const waiting = this.waiters.get(core)
    const resolve = waiting?.get(index)
    if (resolve === undefined) return
    waiting?.delete(index)
    resolve()
  }

  /** Reads what a segment holds beyond what was seen, in order (a member's, or ours at boot). */
  private follow(segment: Segment): void {
    if (this.closed || segment.queued) return
    segment.queued = true
    segment.reading = segment.reading.then(async () => {
      segment.queued = false
      const length = segment.own ? segment.core.length : segment.core.contiguousLength
      for (; segment.seen < length && !this.closed; segment.seen++) {
        const block = await segment.core.get(segment.seen, { wait: false }).catch(() => null)
        if (block === null) continue // cleared, or not here yet
        try {
          this.onEntry(decode(jobEntry, block), { segment: segment.name, index: segment.seen })
        } catch (err) {
          this.log.warn({ err, segment: segment.name, index: segment.seen }, 'job entry ignored')
        }
      }
    })
  }

  /**
   * Deletes a retired segment from this edge's disk (whether it was followed here or not: at
   * boot, a segment retired while the edge was down) and stops following it.
   */
  private async purge(name: string, segment: Segment | undefined, key: Uint8Array): Promise<void> {
    if (this.cleared.has(name)) return // the announcement's own sync got here first
    this.segments.delete(name)
    this.cleared.add(name)
    if (segment !== undefined) {
      await segment.reading
      this.waiters.delete(segment.core)
      await segment.core.close()
    }
    await this.eraser.erase(Hypercore.discoveryKey(Buffer.from(key)))
  }
}
