import type { EventInvokeChange } from '../../registry/event-invoke.js'
import type { EventInvokeRecord } from '../../wire/jobs.js'
import { functionArn, functionName, functionRef, paginate } from '../aws.js'
import type { RouteContext } from '../context.js'
import { Fields } from '../fields.js'
import { asObject } from '../json.js'
import type { Route } from '../server.js'

const NAME = '([^/]+)'

/**
 * AWS's FunctionEventInvokeConfig (`2019-09-25`): Put (replace), Update (patch), Get, Delete
 * and List, per function and `?Qualifier=`: retries, maximum event age and destinations of
 * async invocations.
 */
export function eventInvokeRoutes(ctx: RouteContext): Route[] {
  const region = ctx.config.region
  const shape = (e: EventInvokeRecord) => ({
    LastModified: e.modified / 1000,
    FunctionArn: functionArn(region, e.name, e.qualifier === '' ? undefined : e.qualifier),
    ...(e.maxRetryAttempts === null ? {} : { MaximumRetryAttempts: e.maxRetryAttempts }),
    ...(e.maxEventAgeSeconds === null ? {} : { MaximumEventAgeInSeconds: e.maxEventAgeSeconds }),
    DestinationConfig: {
      OnSuccess: e.onSuccess === '' ? {} : { Destination: e.onSuccess },
      OnFailure: e.onFailure === '' ? {} : { Destination: e.onFailure }
    }
  })
  const change = async (body: Buffer): Promise<EventInvokeChange> => {
    const fields = new Fields(asObject(await ctx.json.parse(body), 'the body'))
    const destinations = fields.optionalObject('DestinationConfig')
    return {
      maxRetryAttempts: fields.optionalInteger('MaximumRetryAttempts'),
      maxEventAgeSeconds: fields.optionalInteger('MaximumEventAgeInSeconds'),
      onSuccess: destinations?.optionalObject('OnSuccess')?.optionalString('Destination'),
      onFailure: destinations?.optionalObject('OnFailure')?.optionalString('Destination')
    }
  }
  const path = new RegExp(`^/2019-09-25/functions/${NAME}/event-invoke-config/?$`)
  const target = (params: string[], url: URL) => functionRef(params[0] as string, url)

  return [
    {
      method: 'PUT',
      path,
      access: 'control',
      async handle({ params, url, body }) {
        const { name, qualifier } = target(params, url)
        return {
          status: 200,
          body: shape(await ctx.eventInvoke.put(name, qualifier, await change(body)))
        }
      }
    },
    {
      method: 'POST',
      path,
      access: 'control',
      async handle({ params, url, body }) {
        const { name, qualifier } = target(params, url)
        const record = await ctx.eventInvoke.update(name, qualifier, await change(body))
        return { status: 200, body: shape(record) }
      }
    },
    {
      method: 'GET',
      path,
      access: 'control',
      async handle({ params, url }) {
        const { name, qualifier } = target(params, url)
        return { status: 200, body: shape(await ctx.eventInvoke.get(name, qualifier)) }
      }
    },
    {
      method: 'DELETE',
      path,
      access: 'control',
      async handle({ params, url }) {
        const { name, qualifier } = target(params, url)
        await ctx.eventInvoke.delete(name, qualifier)
        return { status: 204 }
      }
    },
    {
      method: 'GET',
      path: new RegExp(`^/2019-09-25/functions/${NAME}/event-invoke-config/list/?$`),
      access: 'control',
      async handle({ params, url }) {
        const name = functionName(params[0] as string, url)
        const all = await ctx.eventInvoke.list(name)
        const { page, next } = paginate(all, (e) => e.qualifier, url)
        return {
          status: 200,
          body: { FunctionEventInvokeConfigs: page.map(shape), NextMarker: next }
        }
      }
    }
  ]
}
