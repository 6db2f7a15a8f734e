import type { RouteContext } from '../context.js'
import type { Route } from '../server.js'

/** GET /cluster: this edge and every member it knows, with the links' RTT (for the dashboard). */
export function clusterRoutes(ctx: RouteContext): Route[] {
  return [
    {
      method: 'GET',
      path: /^\/cluster\/?$/,
      async handle() {
        const self = { id: ctx.cluster.id(), ...ctx.cluster.self(), self: true }
        const peers = ctx.cluster.peers()
        return {
          status: 200,
          body: {
            self: self.id,
            nodes: [
              self,
              ...peers.map((p) => ({
                id: p.id,
                ...p.info,
                self: false,
                rttMs: p.rttMs,
                lastSeen: p.lastSeen,
                missed: p.missed
              }))
            ],
            links: peers.map((p) => ({ from: self.id, to: p.id, rttMs: p.rttMs }))
          }
        }
      }
    }
  ]
}
