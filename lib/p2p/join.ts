import type Corestore from 'corestore'
import type { Logger } from 'pino'
import { deriveSecrets } from '../cluster/key.js'
import type { Config } from '../config.js'
import type { Registry } from '../registry/registry.js'
import type { RpcHandlers } from '../rpc/peer-rpc.js'
import { Mesh } from './mesh.js'
import type { SwarmPlan } from './plan.js'
import type { RememberedMembers } from './remembered.js'
import { ClusterSwarm } from './swarm.js'

/** What an edge brings to its mesh. */
export interface MeshParts {
  config: Config
  plan: SwarmPlan
  /** The cluster key (the topic and the proof are derived from it). */
  key: Buffer
  keyPair: { publicKey: Buffer; secretKey: Buffer }
  store: Corestore
  registry: Registry
  handlers: Omit<RpcHandlers, 'writers' | 'members'>
  remembered: RememberedMembers
  onStrike: () => void
  log: Logger
}

/**
 * An edge's place in its mesh: its DHT node and swarm as the plan says (lib/p2p/plan.ts), and
 * the mesh over them (replication, RPC, heartbeats, gossip). Neither is started: the caller
 * awaits `swarm.ready()` once it can serve.
 */
export function createMesh(parts: MeshParts): { swarm: ClusterSwarm; mesh: Mesh } {
  const { config, plan, log } = parts
  const swarm = new ClusterSwarm({
    secrets: deriveSecrets(parts.key),
    keyPair: parts.keyPair,
    bootstrap: plan.bootstrap,
    nodes: plan.nodes,
    peers: plan.peers,
    port: plan.port,
    maxPeers: config.maxPeers,
    host: config.httpHost,
    log: log.child({ component: 'swarm' })
  })
  const mesh = new Mesh({
    swarm,
    store: parts.store,
    registry: parts.registry,
    handlers: parts.handlers,
    region: config.region,
    log: log.child({ component: 'mesh' }),
    onStrike: parts.onStrike,
    remembered: parts.remembered,
    rpcDelayMs: config.testRpcDelayMs
  })
  return { swarm, mesh }
}
