import { SCHEDULE_INVALID } from '../../errors.js'
import { DEFAULT_GROUP, ScheduleService, type ScheduleInput } from '../../schedules/service.js'
import type { ScheduleRecord } from '../../wire/schedules.js'
import { functionArn, paginate } from '../aws.js'
import type { RouteContext } from '../context.js'
import { Fields } from '../fields.js'
import { asObject } from '../json.js'
import type { Route } from '../server.js'

const NAME = '([^/?]+)'

/**
 * EventBridge Scheduler's API (`2021-06-30`, as `aws scheduler ... --endpoint-url` speaks it):
 * CreateSchedule, GetSchedule, UpdateSchedule, DeleteSchedule, ListSchedules, in the `default`
 * group; and the seed's `/api/v1/schedules` (`{function, at | every | cron, input}`).
 */
export function scheduleRoutes(ctx: RouteContext): Route[] {
  const region = ctx.config.region
  const arn = (s: ScheduleRecord) =>
    `arn:aws:scheduler:${region}:000000000000:schedule/${s.group}/${s.name}`
  const groupOf = (url: URL) => url.searchParams.get('groupName') ?? DEFAULT_GROUP
  return [
    {
      method: 'POST',
      path: new RegExp(`^/schedules/${NAME}$`),
      access: 'control',
      async handle({ params, body }) {
        const input = await scheduleInput(ctx, params[0] as string, body)
        return { status: 200, body: { ScheduleArn: arn(await ctx.schedules.create(input)) } }
      }
    },
    {
      method: 'PUT',
      path: new RegExp(`^/schedules/${NAME}$`),
      access: 'control',
      async handle({ params, body }) {
        const input = await scheduleInput(ctx, params[0] as string, body)
        return { status: 200, body: { ScheduleArn: arn(await ctx.schedules.update(input)) } }
      }
    },
    {
      method: 'GET',
      path: new RegExp(`^/schedules/${NAME}$`),
      access: 'control',
      async handle({ params, url }) {
        const schedule = ctx.schedules.get(groupOf(url), decodeURIComponent(params[0] as string))
        return { status: 200, body: { Arn: arn(schedule), ...shapeOf(ctx, schedule) } }
      }
    },
    {
      method: 'DELETE',
      path: new RegExp(`^/schedules/${NAME}$`),
      access: 'control',
      async handle({ params, url }) {
        await ctx.schedules.delete(groupOf(url), decodeURIComponent(params[0] as string))
        return { status: 200, body: {} }
      }
    },
    {
      method: 'GET',
      path: /^\/schedules\/?$/,
      access: 'control',
      async handle({ url }) {
        const group = url.searchParams.get('ScheduleGroup') ?? DEFAULT_GROUP
        if (group !== DEFAULT_GROUP) return { status: 200, body: { Schedules: [] } }
        const all = ctx.schedules.list({
          ...optional('prefix', url.searchParams.get('NamePrefix')),
          ...optional('state', url.searchParams.get('State'))
        })
        const { page, next } = paginate(all, (s) => s.name, url, 'NextToken', 'MaxResults')
        return {
          status: 200,
          body: {
            Schedules: page.map((s) => ({
              Arn: arn(s),
              Name: s.name,
              GroupName: s.group,
              State: s.state,
              CreationDate: s.created / 1000,
              LastModificationDate: s.modified / 1000,
              Target: { Arn: s.target.arn }
            })),
            ...(next === undefined || next === null ? {} : { NextToken: next })
          }
        }
      }
    },
    ...seedRoutes(ctx)
  ]
}

/** The seed's shape: `{function, at | every | cron, input}`, answered in the jobs API's style. */
function seedRoutes(ctx: RouteContext): Route[] {
  const view = (s: ScheduleRecord) => ({ name: s.name, ...seedShape(ctx, s) })
  return [
    {
      method: 'POST',
      path: /^\/api\/v1\/schedules\/?$/,
      access: 'control',
      async handle({ body }) {
        const fields = new Fields(asObject(await ctx.json.parse(body), 'the body'))
        const given = ['at', 'every', 'cron'].filter((k) => fields.raw(k) !== undefined)
        if (given.length !== 1) throw SCHEDULE_INVALID('schedule', 'give one of at, every or cron')
        const kind = given[0] as 'at' | 'every' | 'cron'
        const value = fields.string(kind)
        const expression =
          kind === 'at'
            ? `at(${value.replace(/Z$/, '').slice(0, 19)})`
            : kind === 'every'
              ? `rate(${value})`
              : `cron(${value})`
        const fn = fields.string('function')
        const [name, qualifier] = fn.split(':') as [string, string | undefined]
        const input = fields.raw('input')
        const record = await ctx.schedules.create({
          name: fields.optionalString('name') ?? `${name}-${Date.now().toString(36)}`,
          group: DEFAULT_GROUP,
          expression,
          timezone: fields.optionalString('timezone') ?? 'UTC',
          startDate: 0,
          endDate: 0,
          state: 'ENABLED',
          flexibleMinutes: 0,
          target: {
            arn: functionArn(ctx.config.region, name, qualifier),
            roleArn: '',
            input: input === undefined ? '' : JSON.stringify(input),
            maximumRetryAttempts: -1,
            maximumEventAgeInSeconds: -1
          },
          afterCompletion: kind === 'at' ? 'DELETE' : 'NONE',
          description: ''
        })
        return { status: 201, body: view(record) }
      }
    },
    {
      method: 'GET',
      path: /^\/api\/v1\/schedules\/?$/,
      access: 'control',
      async handle() {
        return { status: 200, body: { schedules: ctx.schedules.list().map(view) } }
      }
    },
    {
      method: 'DELETE',
      path: new RegExp(`^/api/v1/schedules/${NAME}$`),
      access: 'control',
      async handle({ params }) {
        await ctx.schedules.delete(DEFAULT_GROUP, decodeURIComponent(params[0] as string))
        return { status: 204 }
      }
    }
  ]
}

/** A CreateSchedule / UpdateSchedule body as a ScheduleInput. */
async function scheduleInput(
  ctx: RouteContext,
  name: string,
  body: Buffer
): Promise<ScheduleInput> {
  const fields = new Fields(asObject(await ctx.json.parse(body), 'the body'))
  const window = fields.optionalObject('FlexibleTimeWindow')
  if (window === undefined) throw SCHEDULE_INVALID('FlexibleTimeWindow', 'is required')
  const mode = window.string('Mode')
  if (mode !== 'OFF' && mode !== 'FLEXIBLE') {
    throw SCHEDULE_INVALID('FlexibleTimeWindow.Mode', 'must be OFF or FLEXIBLE')
  }
  const minutes = window.optionalInteger('MaximumWindowInMinutes')
  if (mode === 'FLEXIBLE' && minutes === undefined) {
    throw SCHEDULE_INVALID(
      'FlexibleTimeWindow.MaximumWindowInMinutes',
      'is required in FLEXIBLE mode'
    )
  }
  const target = fields.optionalObject('Target')
  if (target === undefined) throw SCHEDULE_INVALID('Target', 'is required')
  const retry = target.optionalObject('RetryPolicy')
  const state = fields.optionalString('State') ?? 'ENABLED'
  if (state !== 'ENABLED' && state !== 'DISABLED') {
    throw SCHEDULE_INVALID('State', 'must be ENABLED or DISABLED')
  }
  const after = fields.optionalString('ActionAfterCompletion') ?? 'NONE'
  if (after !== 'NONE' && after !== 'DELETE') {
    throw SCHEDULE_INVALID('ActionAfterCompletion', 'must be NONE or DELETE')
  }
  return {
    name: decodeURIComponent(name),
    group: fields.optionalString('GroupName') ?? DEFAULT_GROUP,
    expression: fields.string('ScheduleExpression'),
    timezone: fields.optionalString('ScheduleExpressionTimezone') ?? 'UTC',
    startDate: dateOf(fields.raw('StartDate'), 'StartDate'),
    endDate: dateOf(fields.raw('EndDate'), 'EndDate'),
    state,
    flexibleMinutes: mode === 'OFF' ? 0 : (minutes as number),
    target: {
      arn: target.string('Arn'),
      roleArn: target.optionalString('RoleArn') ?? '',
      input: target.optionalString('Input') ?? '',
      maximumRetryAttempts: retry?.optionalInteger('MaximumRetryAttempts') ?? -1,
      maximumEventAgeInSeconds: retry?.optionalInteger('MaximumEventAgeInSeconds') ?? -1
    },
    afterCompletion: after,
    description: fields.optionalString('Description') ?? ''
  }
}

/** A timestamp as REST-JSON sends it (epoch seconds) or an ISO string; 0 when absent. */
function dateOf(value: unknown, field: string): number {
  if (value === undefined || value === null) return 0
  const ms =
    typeof value === 'number' ? value * 1000 : typeof value === 'string' ? Date.parse(value) : NaN
  if (!Number.isFinite(ms) || ms < 0) throw SCHEDULE_INVALID(field, 'is not a date')
  return Math.round(ms)
}

/** GetSchedule's body (without the Arn). */
function shapeOf(ctx: RouteContext, s: ScheduleRecord) {
  return {
    Name: s.name,
    GroupName: s.group,
    ScheduleExpression: s.expression,
    ScheduleExpressionTimezone: s.timezone,
    ...(s.startDate === 0 ? {} : { StartDate: s.startDate / 1000 }),
    ...(s.endDate === 0 ? {} : { EndDate: s.endDate / 1000 }),
    State: s.state,
    Description: s.description,
    FlexibleTimeWindow:
      s.flexibleMinutes === 0
        ? { Mode: 'OFF' }
        : { Mode: 'FLEXIBLE', MaximumWindowInMinutes: s.flexibleMinutes },
    Target: {
      Arn: s.target.arn,
      RoleArn: s.target.roleArn,
      ...(s.target.input === '' ? {} : { Input: s.target.input }),
      ...(s.target.maximumRetryAttempts === -1
        ? {}
        : {
            RetryPolicy: {
              MaximumRetryAttempts: s.target.maximumRetryAttempts,
              MaximumEventAgeInSeconds: s.target.maximumEventAgeInSeconds
            }
          })
    },
    ActionAfterCompletion: s.afterCompletion,
    CreationDate: s.created / 1000,
    LastModificationDate: s.modified / 1000,
    // Ours, beyond AWS's shape: when it last fired and fires next, and its recent jobs.
    SwarmLambda: firings(ctx, s)
  }
}

/** A schedule's last and next firing and its ten newest jobs, as this edge knows them. */
function firings(ctx: RouteContext, s: ScheduleRecord) {
  const key = `${s.group}/${s.name}`
  const last = ctx.jobs.view.lastTick(key)
  const parsed = ctx.schedules
    .schedules()
    .find((x) => x.record.group === s.group && x.record.name === s.name)
  const next =
    parsed === undefined || s.state !== 'ENABLED'
      ? null
      : ScheduleService.next(parsed, Math.max(last, s.modified - 1))
  const iso = (at: number | null) => (at === null || at === 0 ? null : new Date(at).toISOString())
  const recentJobs = ctx.jobs.view
    .list()
    .filter((job) => job.accepted?.firing?.schedule === key)
    .slice(0, 10)
    .map((job) => ({
      job_id: job.id,
      tick: iso(job.accepted?.firing?.tick ?? null),
      status: job.status
    }))
  return { lastFiring: iso(last), nextFiring: iso(next), recentJobs }
}

/** The seed's view of a schedule. */
function seedShape(ctx: RouteContext, s: ScheduleRecord) {
  const { lastFiring, nextFiring, recentJobs } = firings(ctx, s)
  return {
    expression: s.expression,
    timezone: s.timezone,
    target: s.target.arn,
    state: s.state,
    last_firing: lastFiring,
    next_firing: nextFiring,
    jobs: recentJobs
  }
}

function optional<K extends string>(key: K, value: string | null): Partial<Record<K, string>> {
  return value === null ? {} : ({ [key]: value } as Record<K, string>)
}
