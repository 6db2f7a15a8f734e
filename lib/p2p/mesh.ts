import type Corestore from 'corestore'
import type { Logger } from 'pino'
import type { Registry } from '../registry/registry.js'
import { PeerRpc, type RpcHandlers } from '../rpc/peer-rpc.js'
import type { GossipedMember } from '../wire/members.js'
import { Membership, type KnownMember } from './membership.js'
import { PeerTable, type Peer } from './peers.js'
import type { RememberedMembers } from './remembered.js'
import type { ClusterSwarm, Member } from './swarm.js'

/** How often connected members swap what they know (members, registry writers). */
const GOSSIP_MS = 2_000

/** Options for the mesh. */
export interface MeshOptions {
  swarm: ClusterSwarm
  /** The edge's Corestore: replicated to members, never to anyone else. */
  store: Corestore
  registry: Registry
  /** What this edge answers to members (writers and members come from the mesh). */
  handlers: Omit<RpcHandlers, 'writers' | 'members'>
  region: string
  log: Logger
  heartbeatMs?: number
  gossipMs?: number
  /** Told of every strike against a member (metrics). */
  onStrike?: () => void
  /** Where members' DHT addresses are kept for the next start. */
  remembered?: RememberedMembers
  /** Test hook: every RPC answer sent or received waits this long (see Config.testRpcDelayMs). */
  rpcDelayMs?: number
}

/** A member of the whole mesh: connected here (a Peer) or known by gossip. */
export type MeshMember =
  | ({ direct: true } & Peer)
  | ({
      direct: false
      ageMs: number
      via: string
      /**
       * Heard by someone after this edge last heard it itself (a member it was connected to
       * and lost): news, not an echo of what it already knew about a member now gone.
       */
      newer: boolean
    } & Pick<KnownMember, 'id' | 'info'>)

/** Gossip about a lost member is news when this much newer than our own sighting (a heartbeat period, plus slack). */
const NEWER_MS = 3_000

/**
 * What an authenticated connection is used for: the Corestore replicates over it (so the
 * registry cores flow both ways, also cores this edge got from other members), an RPC channel
 * answers and sends requests, the member enters the peer table, and every two seconds the two
 * edges swap the members and registry writers they know, so that a mesh where not everyone is
 * connected to everyone (maxPeers) still knows its whole membership and replicates every
 * writer. Nothing here happens on a connection that has not proven the cluster key.
 */
export class Mesh {
  readonly peers: PeerTable
  readonly membership: Membership
  private readonly options: MeshOptions
  private readonly timer: NodeJS.Timeout
  /** When each member this edge was connected to last answered it (kept after it is lost). */
  private readonly sightings = new Map<string, number>()

  constructor(options: MeshOptions) {
    this.options = options
    this.peers = new PeerTable({
      region: options.region,
      log: options.log,
      ...(options.heartbeatMs === undefined ? {} : { heartbeatMs: options.heartbeatMs }),
      ...(options.onStrike === undefined ? {} : { onStrike: options.onStrike })
    })
    this.membership = new Membership(() => options.swarm.id)
    options.swarm.on('member', (member) => this.onMember(member))
    options.swarm.on('member-lost', (member) => {
      const peer = this.peers.list().find((p) => p.id === member.id)
      if (peer !== undefined) this.sightings.set(member.id, peer.lastSeen)
      this.peers.remove(member.id)
    })
    this.timer = setInterval(() => void this.gossip(), options.gossipMs ?? GOSSIP_MS)
    this.timer.unref()
  }

  /** Every member of the mesh this edge knows: connected ones first, then those known by gossip. */
  members(): MeshMember[] {
    const direct = this.peers.list()
    const connected = new Set(direct.map((p) => p.id))
    const now = Date.now()
    const gossiped = this.membership
      .list()
      .filter((m) => !connected.has(m.id))
      .map((m) => ({
        direct: false as const,
        id: m.id,
        info: m.info,
        ageMs: Math.max(0, now - m.heardAt),
        via: m.via,
        newer: m.heardAt > (this.sightings.get(m.id) ?? 0) + NEWER_MS
      }))
    return [...direct.map((p) => ({ direct: true as const, ...p })), ...gossiped]
  }

  /** Stops gossip and heartbeats and closes the RPC channels (the swarm closes the connections). */
  close(): void {
    clearInterval(this.timer)
    this.peers.close()
  }

  /** What this edge tells a member: itself, then every member it knows, with their ages. */
  private told(): GossipedMember[] {
    const now = Date.now()
    const self = {
      id: Buffer.from(this.options.swarm.id, 'hex'),
      info: this.options.handlers.info(),
      ageMs: 0
    }
    return [
      self,
      ...this.members().map((m) => ({
        id: Buffer.from(m.id, 'hex'),
        info: m.info,
        ageMs: m.direct ? Math.max(0, now - m.lastSeen) : m.ageMs
      }))
    ]
  }

  /** One round: each connected member's members and writers, merged here; addresses remembered. */
  private async gossip(): Promise<void> {
    const { registry, log } = this.options
    await Promise.all(
      this.peers.list().map(async (peer) => {
        const rpc = this.peers.rpc(peer.id)
        if (rpc === null) return
        try {
          this.membership.merge(peer.id, await rpc.members())
          await registry.learn(await rpc.writers())
        } catch (err) {
          log.debug({ err, peer: peer.id.slice(0, 16) }, 'gossip failed')
        }
      })
    )
    this.remember()
  }

  /** Keeps the members' DHT addresses for the next start (written when they change). */
  private remember(): void {
    const members = this.members().map((m) => ({ id: m.id, name: m.info.name, dht: m.info.dht }))
    try {
      this.options.remembered?.seen(members)
    } catch (err) {
      this.options.log.warn({ err }, 'members not remembered')
    }
  }

  private onMember(member: Member): void {
    const { store, registry, handlers, log } = this.options
    store.replicate(member.conn)
    const rpc = new PeerRpc(
      member.id,
      member.rpc,
      {
        ...handlers,
        writers: () => registry.writerKeys(),
        members: () => this.told()
      },
      this.options.rpcDelayMs ?? 0
    )
    // Remembered as soon as it has answered (its info carries its DHT address).
    void this.peers.add(member.id, rpc).then(() => this.remember())
    rpc
      .writers()
      .then((keys) => registry.learn(keys))
      .catch((err: unknown) =>
        log.warn({ err, peer: member.id.slice(0, 16) }, 'writers not learned')
      )
  }
}
