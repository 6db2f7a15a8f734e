import type { RouteContext } from '../context.js'
import type { Route } from '../server.js'

/** GET /healthz: this node's name, region, uptime, jobs and executor counters; answers while the node is up. */
export function healthRoutes(ctx: RouteContext): Route[] {
  return [
    {
      method: 'GET',
      path: /^\/healthz$/,
      access: 'open',
      async handle() {
        return {
          status: 200,
          body: {
            status: 'ok',
            node: ctx.config.nodeName,
            region: ctx.config.region,
            uptimeSeconds: Math.round((Date.now() - ctx.startedAt) / 1000),
            pendingJobs: ctx.jobs.pending(),
            // Async attempts running here now.
            asyncInFlight: ctx.jobs.inFlight,
            executor: ctx.executor()
          }
        }
      }
    }
  ]
}
