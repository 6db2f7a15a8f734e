import { createRequire } from 'node:module'
import { ScheduleService } from '../../schedules/service.js'
import type {
  ConsoleAccess,
  ConsoleFunction,
  ConsoleJob,
  ConsoleSchedule,
  ConsoleState
} from '../../wire/console.js'
import type { FunctionRecord } from '../../wire/function-record.js'
import type { RouteContext } from '../context.js'
import { URL_PATH_PREFIX } from '../routes/function-url.js'
import { clusterSnapshot } from '../routes/cluster.js'
import { ALIAS_SEPARATOR } from '../routes/urls.js'

/** Jobs the console lists at most (newest first). */
const RECENT_JOBS = 50
/** Functions described per state at most (the list is for people, not for inventories). */
const MAX_FUNCTIONS = 100

const VERSION = (createRequire(import.meta.url)('../../../../package.json') as { version: string })
  .version

/**
 * What the console draws, for one caller: the cluster always (what `GET /cluster` shows anyone);
 * functions, their last minute of calls, jobs and schedules only on an open edge or for a key
 * holder — the console shows no more to an anonymous caller than the open endpoints do.
 */
export async function consoleState(
  ctx: RouteContext,
  access: ConsoleAccess
): Promise<ConsoleState> {
  const state: ConsoleState = {
    at: Date.now(),
    version: VERSION,
    access,
    cluster: clusterSnapshot(ctx)
  }
  if (access === 'anonymous') return state
  const records = (await ctx.functions.list()).slice(0, MAX_FUNCTIONS)
  state.functions = await Promise.all(records.map((record) => describe(ctx, record)))
  state.stats = ctx.metrics.recent.series(records.map((r) => r.name))
  state.jobs = jobs(ctx)
  state.schedules = schedules(ctx)
  return state
}

async function describe(ctx: RouteContext, record: FunctionRecord): Promise<ConsoleFunction> {
  const [versions, aliases, urls] = await Promise.all([
    ctx.versions.list(record.name),
    ctx.aliases.list(record.name),
    ctx.urls.list(record.name)
  ])
  return {
    name: record.name,
    kind: record.kind,
    runtime: record.runtime,
    abi: record.abi,
    handler: record.handler,
    revision: record.version,
    versions: versions.map((v) => String(v.number)),
    aliases: aliases.map((a) => ({ name: a.alias, version: a.functionVersion })),
    urls: urls.map((u) => {
      const label = u.qualifier === '' ? u.name : `${u.name}${ALIAS_SEPARATOR}${u.qualifier}`
      return { qualifier: u.qualifier, authType: u.authType, path: `${URL_PATH_PREFIX}${label}/` }
    }),
    size: record.size,
    modified: record.modified,
    timeoutMs: record.timeoutMs,
    memoryMb: record.memoryMb,
    reduce: record.reduce,
    headerItems: record.headerItems
  }
}

function jobs(ctx: RouteContext): ConsoleJob[] {
  return ctx.jobs.view
    .list()
    .slice(0, RECENT_JOBS)
    .map((job) => {
      // Shards are known where the job runs (0 / 0 elsewhere).
      const progress = ctx.jobs.progress(job.id)
      const accepted = job.accepted
      return {
        id: job.id,
        function:
          accepted === null || accepted.functionName === '' ? 'inline' : accepted.functionName,
        status: job.status,
        done: progress?.done ?? 0,
        total: progress?.total ?? 0,
        acceptedBy: accepted?.edgeName ?? '',
        acceptedAt: accepted?.acceptedAt ?? 0,
        ranOn: job.events.filter((e) => e.type === 'started').map((e) => e.edgeName),
        attempts: job.attempts,
        schedule: accepted?.firing?.schedule ?? null,
        finishedAt: job.finishedAt
      }
    })
}

function schedules(ctx: RouteContext): ConsoleSchedule[] {
  return ctx.schedules.schedules().map((schedule) => {
    const { record } = schedule
    const last = ctx.jobs.view.lastTick(`${record.group}/${record.name}`)
    return {
      name: record.name,
      group: record.group,
      expression: record.expression,
      state: record.state,
      target: record.target.arn.replace(/^arn:aws:lambda:[^:]*:[^:]*:function:/, ''),
      next:
        record.state === 'ENABLED'
          ? ScheduleService.next(schedule, Math.max(last, record.modified - 1))
          : null,
      last: last === 0 ? null : last
    }
  })
}
