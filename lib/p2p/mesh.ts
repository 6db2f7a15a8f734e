import type Corestore from 'corestore'
import type { Logger } from 'pino'
import type { Registry } from '../registry/registry.js'
import { PeerRpc, type RpcHandlers } from '../rpc/peer-rpc.js'
import { PeerTable } from './peers.js'
import type { ClusterSwarm, Member } from './swarm.js'

/** Options for the mesh. */
export interface MeshOptions {
  swarm: ClusterSwarm
  /** The edge's Corestore: replicated to members, never to anyone else. */
  store: Corestore
  registry: Registry
  /** What this edge answers to members (writers come from the registry). */
  handlers: Omit<RpcHandlers, 'writers'>
  region: string
  log: Logger
  heartbeatMs?: number
  /** Told of every strike against a member (metrics). */
  onStrike?: () => void
}

/**
 * What an authenticated connection is used for: the Corestore replicates over it (so the
 * registry cores flow both ways), an RPC channel answers and sends requests, the member enters
 * the peer table, and the two edges swap the registry writers they know. Nothing here happens
 * on a connection that has not proven the cluster key.
 */
export class Mesh {
  readonly peers: PeerTable
  private readonly options: MeshOptions

  constructor(options: MeshOptions) {
    this.options = options
    this.peers = new PeerTable({
      region: options.region,
      log: options.log,
      ...(options.heartbeatMs === undefined ? {} : { heartbeatMs: options.heartbeatMs }),
      ...(options.onStrike === undefined ? {} : { onStrike: options.onStrike })
    })
    options.swarm.on('member', (member) => this.onMember(member))
    options.swarm.on('member-lost', (member) => this.peers.remove(member.id))
  }

  /** Stops heartbeats and closes the RPC channels (the swarm closes the connections). */
  close(): void {
    this.peers.close()
  }

  private onMember(member: Member): void {
    const { store, registry, handlers, log } = this.options
    store.replicate(member.conn)
    const rpc = new PeerRpc(member.id, member.rpc, {
      ...handlers,
      writers: () => registry.writerKeys()
    })
    void this.peers.add(member.id, rpc)
    rpc
      .writers()
      .then((keys) => registry.learn(keys))
      .catch((err: unknown) =>
        log.warn({ err, peer: member.id.slice(0, 16) }, 'writers not learned')
      )
  }
}
