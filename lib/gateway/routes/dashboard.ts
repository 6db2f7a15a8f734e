import { Readable } from 'node:stream'
import { DASHBOARD_HTML } from '../dashboard/page.js'
import type { RouteContext } from '../context.js'
import type { Route } from '../server.js'
import { clusterSnapshot } from './cluster.js'

/** How often the event stream sends the state. */
const EVENT_MS = 1_000
/** Jobs shown at most. */
const RECENT_JOBS = 20

/** What the dashboard draws: the cluster, the functions, the recent jobs. */
export async function dashboardState(ctx: RouteContext) {
  const functions = await ctx.functions.list()
  return {
    at: Date.now(),
    cluster: clusterSnapshot(ctx),
    functions: functions.map((f) => ({
      name: f.name,
      version: f.version,
      abi: f.abi,
      reduce: f.reduce,
      headerItems: f.headerItems,
      size: f.size
    })),
    jobs: ctx.jobs.view
      .list()
      .slice(0, RECENT_JOBS)
      .map((j) => {
        // Shards are known where the job ran (0 / 0 elsewhere).
        const progress = ctx.jobs.progress(j.id)
        return {
          id: j.id,
          function: j.accepted?.functionName || 'inline',
          status: j.status,
          done: progress?.done ?? 0,
          total: progress?.total ?? 0,
          created: j.accepted?.acceptedAt ?? 0,
          finished: j.finishedAt
        }
      })
  }
}

/** GET / (the dashboard page) and GET /events (its server-sent events: `state` every second). */
export function dashboardRoutes(ctx: RouteContext): Route[] {
  return [
    {
      method: 'GET',
      path: /^\/$/,
      access: 'open',
      async handle() {
        return {
          status: 200,
          headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' },
          body: Buffer.from(DASHBOARD_HTML)
        }
      }
    },
    {
      method: 'GET',
      path: /^\/events$/,
      access: 'open',
      async handle() {
        let timer: NodeJS.Timeout | null = null
        const send = async () => {
          const state = await dashboardState(ctx)
          stream.push(`event: state\ndata: ${JSON.stringify(state)}\n\n`)
        }
        const stream = new Readable({
          read() {
            if (timer !== null) return
            timer = setInterval(() => void send().catch(() => undefined), EVENT_MS)
            void send().catch(() => undefined)
          },
          destroy(err, callback) {
            if (timer !== null) clearInterval(timer)
            callback(err)
          }
        })
        stream.once('end', () => timer !== null && clearInterval(timer))
        return {
          status: 200,
          headers: {
            'content-type': 'text/event-stream',
            'cache-control': 'no-cache',
            connection: 'keep-alive'
          },
          stream
        }
      }
    }
  ]
}
