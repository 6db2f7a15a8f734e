import { regionPosition } from '../../regions.js'
import type { RouteContext } from '../context.js'
import type { Route } from '../server.js'

/**
 * This edge and every member it knows (region, position, distance, load, RTT, health), the
 * links' RTT, and the registry writers this edge merges: GET /cluster, and the console's feed.
 */
export function clusterSnapshot(ctx: RouteContext) {
  const info = ctx.cluster.self()
  const self = {
    id: ctx.cluster.id(),
    ...info,
    self: true,
    geo: regionPosition(info.region),
    distanceKm: 0
  }
  const peers = ctx.cluster.peers()
  return {
    self: self.id,
    nodes: [
      self,
      ...peers.map((p) => ({
        id: p.id,
        ...p.info,
        self: false,
        geo: p.geo,
        distanceKm: p.distanceKm,
        rttMs: p.rttMs,
        lastSeen: p.lastSeen,
        missed: p.missed,
        strikes: p.strikes,
        healthy: p.healthy
      }))
    ],
    links: peers.map((p) => ({ from: self.id, to: p.id, rttMs: p.rttMs })),
    writers: ctx.cluster.writers()
  }
}

/** GET /cluster. */
export function clusterRoutes(ctx: RouteContext): Route[] {
  return [
    {
      method: 'GET',
      path: /^\/cluster\/?$/,
      access: 'open',
      async handle() {
        return { status: 200, body: clusterSnapshot(ctx) }
      }
    }
  ]
}
