import type { Authenticator } from '../auth.js'
import type { RouteContext } from '../context.js'
import type { GatewayOptions } from '../server.js'
import { clusterRoutes } from './cluster.js'
import { consoleRoutes } from './console.js'
import { eventInvokeRoutes } from './event-invoke.js'
import { functionUrlRoutes } from './function-url.js'
import { functionRoutes } from './functions.js'
import { healthRoutes } from './health.js'
import { invokeRoutes } from './invoke.js'
import { jobRoutes } from './jobs.js'
import { scheduleRoutes } from './schedules.js'
import { metricsRoutes } from './metrics.js'
import { updateRoutes } from './updates.js'
import { urlConfigRoutes } from './urls.js'
import { versionRoutes } from './versions.js'

/** Every route of an edge's gateway, and the function URL hosts it serves. */
export function edgeRoutes(
  ctx: RouteContext,
  auth: Authenticator
): Pick<GatewayOptions, 'routes' | 'hosted'> {
  const urls = functionUrlRoutes(ctx, auth)
  return {
    hosted: urls.hosted,
    // Invoke first: it is the hot path, and no other route's pattern matches its paths.
    routes: [
      ...invokeRoutes(ctx),
      ...urls.routes,
      ...urlConfigRoutes(ctx),
      ...healthRoutes(ctx),
      ...functionRoutes(ctx),
      ...updateRoutes(ctx),
      ...versionRoutes(ctx),
      ...eventInvokeRoutes(ctx),
      ...jobRoutes(ctx),
      ...scheduleRoutes(ctx),
      ...clusterRoutes(ctx),
      ...metricsRoutes(ctx),
      ...consoleRoutes(ctx, auth)
    ]
  }
}
