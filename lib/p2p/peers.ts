import type { Logger } from 'pino'
import { PeerRpc } from '../rpc/peer-rpc.js'
import type { NodeInfo } from '../wire/messages.js'
import type { ClusterSwarm, Member } from './swarm.js'

/** How often each member is asked for its info (its RTT and load come with the answer). */
const HEARTBEAT_MS = 2_000

/** One member as this edge sees it. */
export interface Peer {
  id: string
  info: NodeInfo
  /** Round trip of the last heartbeat. */
  rttMs: number
  /** ms since the epoch of the last answer. */
  lastSeen: number
  /** Heartbeats missed in a row (reset by an answer). */
  missed: number
}

/** Options for the peer table. */
export interface PeerTableOptions {
  swarm: ClusterSwarm
  /** What this edge answers about itself. */
  self: () => NodeInfo
  log: Logger
  heartbeatMs?: number
}

/**
 * Every authenticated member with its info, RTT and load, kept fresh by heartbeats over
 * protomux-rpc; a member leaves the table when its connection closes.
 */
export class PeerTable {
  private readonly peers = new Map<string, Peer>()
  private readonly rpcs = new Map<string, PeerRpc>()
  private readonly options: PeerTableOptions
  private timer: NodeJS.Timeout | null = null

  constructor(options: PeerTableOptions) {
    this.options = options
    options.swarm.on('member', (member) => this.onMember(member))
    options.swarm.on('member-lost', (member) => this.onLost(member))
    this.timer = setInterval(() => this.heartbeat(), options.heartbeatMs ?? HEARTBEAT_MS)
    this.timer.unref()
  }

  /** Members that answered at least once, by name. */
  list(): Peer[] {
    return [...this.peers.values()].sort((a, b) => (a.info.name < b.info.name ? -1 : 1))
  }

  /** Stops the heartbeats and closes the RPC channels. */
  close(): void {
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
    for (const rpc of this.rpcs.values()) rpc.close()
    this.rpcs.clear()
    this.peers.clear()
  }

  private onMember(member: Member): void {
    this.rpcs.get(member.id)?.close() // a newer connection to the same member replaces the old
    const rpc = new PeerRpc(member.rpc, { info: this.options.self })
    this.rpcs.set(member.id, rpc)
    void this.ask(member.id, rpc)
  }

  private onLost(member: Member): void {
    this.rpcs.get(member.id)?.close()
    this.rpcs.delete(member.id)
    this.peers.delete(member.id)
  }

  private heartbeat(): void {
    for (const [id, rpc] of this.rpcs) void this.ask(id, rpc)
  }

  private async ask(id: string, rpc: PeerRpc): Promise<void> {
    try {
      const { info, rttMs } = await rpc.info()
      if (this.rpcs.get(id) !== rpc) return // gone meanwhile
      this.peers.set(id, { id, info, rttMs, lastSeen: Date.now(), missed: 0 })
    } catch (err) {
      const peer = this.peers.get(id)
      if (peer !== undefined) peer.missed++
      this.options.log.debug({ err, peer: id.slice(0, 16) }, 'heartbeat failed')
    }
  }
}
