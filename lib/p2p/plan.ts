import type { Config } from '../config.js'
import type { RememberedMembers } from './remembered.js'

/** Remembered members dialled by key at start, at most. */
const DIALLED = 3

/** How an edge joins its mesh's DHT, or null for a lone edge. */
export interface SwarmPlan {
  /** Nodes to bootstrap from, or Hyperswarm's public ones. */
  bootstrap: { host: string; port: number }[] | 'public'
  /** Seeds for the routing table besides the bootstrap (with the public DHT: our members). */
  nodes: { host: string; port: number }[]
  /** The DHT node's UDP port (0: any). */
  port: number
  /** Members to dial by their swarm key at start (remembered ones): faster than the topic. */
  peers: string[]
}

/**
 * Where an edge's DHT node listens and what it bootstraps from: the configured nodes (or the
 * public ones), the members named by --join, and every member remembered from earlier runs, so
 * that a restarted edge rejoins through any live member. A lone edge (no swarm at all): with
 * SWARMLAMBDA_BOOTSTRAP=none, or when there is nothing to join and no DHT port asked for (an
 * edge meant to be the first of a mesh is given --dht-port, and the others --join it).
 */
export function swarmPlan(config: Config, remembered: RememberedMembers): SwarmPlan | null {
  if (config.bootstrap === 'none') return null
  const port = config.dhtPort ?? config.httpPort
  const own = `${config.httpHost}:${port}`
  const seen = new Set<string>([own])
  const unique = (list: readonly { host: string; port: number }[]) =>
    list.filter((n) => {
      const key = `${n.host}:${n.port}`
      if (seen.has(key)) return false
      seen.add(key)
      return true
    })
  // Members first: they are the likeliest to be alive (a configured bootstrap node may be gone),
  // and they seed the routing table too, so the first queries go to them.
  const ours = unique([...config.join, ...remembered.addresses()])
  // A few are enough to rejoin (each dialled peer is a connection past maxPeers' count).
  const peers = remembered.ids().slice(0, DIALLED)
  if (config.bootstrap === 'public') return { bootstrap: 'public', nodes: ours, port, peers }
  const bootstrap = [...ours, ...unique(config.bootstrap)]
  if (bootstrap.length === 0 && config.dhtPort === null) return null
  return { bootstrap, nodes: ours, port, peers }
}
