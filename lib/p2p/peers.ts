import type { Logger } from 'pino'
import { regionDistanceKm, regionPosition, type GeoPoint } from '../regions.js'
import type { PeerRpc } from '../rpc/peer-rpc.js'
import type { NodeInfo } from '../wire/rpc.js'

/** How often each member is asked for its info (its RTT and load come with the answer). */
const HEARTBEAT_MS = 2_000
/** A strike loses half its weight in this long, so an old failure stops counting. */
const STRIKE_HALF_LIFE_MS = 30_000
/**
 * A member is avoided while its decayed strikes reach this: two failures close together (one
 * alone is forgiven), for about 12 s after the last one unless it fails again. A heartbeat
 * answered after missed ones clears its strikes.
 */
const STRIKE_LIMIT = 1.5
/**
 * A member's RTT is the least of its last few heartbeats: the path's delay, not a moment when
 * one of the two event loops was busy (placement weighs it against the work a shard carries).
 */
const RTT_SAMPLES = 5

/** One member as this edge sees it. */
export interface Peer {
  id: string
  info: NodeInfo
  /** Where its region is (null for a region outside the table). */
  geo: GeoPoint | null
  /** Great-circle km from this edge's region to the member's. */
  distanceKm: number
  /** Round trip: the least of the last five heartbeats'. */
  rttMs: number
  /** ms since the epoch of the last answer. */
  lastSeen: number
  /** Heartbeats missed in a row (reset by an answer). */
  missed: number
  /** Failures (missed heartbeats, failed requests), decayed with a 30 s half-life. */
  strikes: number
  /** Healthy: answering and not struck; members that are not are avoided for work. */
  healthy: boolean
}

/** Options for the peer table. */
export interface PeerTableOptions {
  /** This edge's region, for distances. */
  region: string
  log: Logger
  heartbeatMs?: number
  now?: () => number
  /** Told of every strike (metrics). */
  onStrike?: () => void
}

interface Entry {
  rpc: PeerRpc
  peer: Peer | null
  strikes: number
  struckAt: number
  /** The last heartbeats' round trips, newest last. */
  rtts: number[]
}

/**
 * Every authenticated member with its info, position, RTT, load and health, kept fresh by
 * heartbeats over protomux-rpc. A member enters with its RPC channel and leaves when its
 * connection closes; it is listed once it has answered.
 */
export class PeerTable {
  private readonly entries = new Map<string, Entry>()
  private readonly options: PeerTableOptions
  private readonly now: () => number
  private timer: NodeJS.Timeout | null = null

  constructor(options: PeerTableOptions) {
    this.options = options
    this.now = options.now ?? Date.now
    this.timer = setInterval(() => void this.heartbeat(), options.heartbeatMs ?? HEARTBEAT_MS)
    this.timer.unref()
  }

  /**
   * A member connected (or reconnected: its newer channel replaces the old one); it is asked for
   * its info at once. Resolves when it has answered or failed to.
   */
  add(id: string, rpc: PeerRpc): Promise<void> {
    const old = this.entries.get(id)
    if (old !== undefined && old.rpc !== rpc) old.rpc.close()
    this.entries.set(id, { rpc, peer: old?.peer ?? null, strikes: 0, struckAt: 0, rtts: [] })
    return this.ask(id, rpc)
  }

  /** A member's connection closed: in-flight requests to it fail at once. */
  remove(id: string): void {
    this.entries.get(id)?.rpc.close()
    this.entries.delete(id)
  }

  /** The RPC channel of a connected member, or null. */
  rpc(id: string): PeerRpc | null {
    return this.entries.get(id)?.rpc ?? null
  }

  /** Counts a failure against a member (a failed or late request). */
  strike(id: string): void {
    const entry = this.entries.get(id)
    if (entry === undefined) return
    entry.strikes = this.decayed(entry) + 1
    entry.struckAt = this.now()
    this.options.onStrike?.()
  }

  /** Members that answered at least once, by name. */
  list(): Peer[] {
    const peers: Peer[] = []
    for (const entry of this.entries.values()) {
      if (entry.peer === null) continue
      const strikes = this.decayed(entry)
      peers.push({
        ...entry.peer,
        strikes: Math.round(strikes * 100) / 100,
        healthy: entry.peer.missed === 0 && strikes < STRIKE_LIMIT
      })
    }
    return peers.sort((a, b) =>
      a.info.name < b.info.name ? -1 : a.info.name > b.info.name ? 1 : 0
    )
  }

  /** Stops the heartbeats and closes the RPC channels. */
  close(): void {
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
    for (const entry of this.entries.values()) entry.rpc.close()
    this.entries.clear()
  }

  private decayed(entry: Entry): number {
    if (entry.strikes === 0) return 0
    return entry.strikes * 0.5 ** ((this.now() - entry.struckAt) / STRIKE_HALF_LIFE_MS)
  }

  /** Asks every member for its info now (the timer does this every 2 s). */
  async heartbeat(): Promise<void> {
    await Promise.all([...this.entries].map(([id, entry]) => this.ask(id, entry.rpc)))
  }

  private async ask(id: string, rpc: PeerRpc): Promise<void> {
    try {
      const { info, rttMs } = await rpc.info()
      const entry = this.entries.get(id)
      if (entry?.rpc !== rpc) return // gone or replaced meanwhile
      if (entry.peer !== null && entry.peer.missed > 0) entry.strikes = 0 // it answers again
      entry.rtts.push(rttMs)
      if (entry.rtts.length > RTT_SAMPLES) entry.rtts.shift()
      entry.peer = {
        id,
        info,
        geo: regionPosition(info.region),
        distanceKm: Math.round(regionDistanceKm(this.options.region, info.region)),
        rttMs: Math.min(...entry.rtts),
        lastSeen: this.now(),
        missed: 0,
        strikes: 0,
        healthy: true
      }
    } catch (err) {
      const entry = this.entries.get(id)
      if (entry?.rpc !== rpc) return
      if (entry.peer !== null) entry.peer.missed++
      this.strike(id)
      this.options.log.debug({ err, peer: id.slice(0, 16) }, 'heartbeat failed')
    }
  }
}
