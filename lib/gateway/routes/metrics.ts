import type { RouteContext } from '../context.js'
import type { Route } from '../server.js'

/** GET /metrics: the edge's Prometheus metrics (text exposition format). */
export function metricsRoutes(ctx: RouteContext): Route[] {
  return [
    {
      method: 'GET',
      path: /^\/metrics\/?$/,
      access: 'open',
      async handle() {
        return {
          status: 200,
          headers: { 'content-type': ctx.metrics.contentType },
          body: Buffer.from(await ctx.metrics.text())
        }
      }
    }
  ]
}
