import { regionDistanceKm, regionPosition } from '../../regions.js'
import type { RouteContext } from '../context.js'
import type { Route } from '../server.js'

/**
 * This edge and every member it knows (region, position, distance, load, RTT, health), connected
 * here (`direct`) or known by gossip (`direct: false`, `via` the member that told), the links
 * this edge has with their RTT, and the registry writers it merges: GET /cluster, and the
 * console's feed.
 */
export function clusterSnapshot(ctx: RouteContext) {
  const info = ctx.cluster.self()
  const self = {
    id: ctx.cluster.id(),
    ...info,
    self: true,
    direct: true,
    geo: regionPosition(info.region),
    distanceKm: 0
  }
  const members = ctx.cluster.peers()
  const now = Date.now()
  return {
    self: self.id,
    nodes: [
      self,
      ...members.map((m) =>
        m.direct
          ? {
              id: m.id,
              ...m.info,
              self: false,
              direct: true,
              geo: m.geo,
              distanceKm: m.distanceKm,
              rttMs: m.rttMs,
              lastSeen: m.lastSeen,
              missed: m.missed,
              strikes: m.strikes,
              healthy: m.healthy
            }
          : {
              // Known by gossip: heard from by some member `ageMs` ago, not connected here.
              id: m.id,
              ...m.info,
              self: false,
              direct: false,
              geo: regionPosition(m.info.region),
              distanceKm: Math.round(regionDistanceKm(info.region, m.info.region)),
              lastSeen: now - m.ageMs,
              via: m.via,
              // Heard lately by someone, and after this edge lost it itself (if it did): what
              // async work counts as alive too.
              healthy: m.newer && m.ageMs < ctx.config.jobLeaseMs
            }
      )
    ],
    links: members
      .filter((m) => m.direct)
      .map((m) => ({ from: self.id, to: m.id, rttMs: m.direct ? m.rttMs : 0 })),
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
