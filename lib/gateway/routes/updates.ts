import { INVALID_PARAMETER } from '../../errors.js'
import { codeFromZip } from '../code.js'
import { configuration, functionName, platformSettings } from '../aws.js'
import { asObject } from '../json.js'
import type { RouteContext } from '../context.js'
import { Fields } from '../fields.js'
import type { Route } from '../server.js'

const NAME = '([^/]+)'

/**
 * Changing a deployed function, for every runtime: UpdateFunctionCode,
 * UpdateFunctionConfiguration and reserved concurrency (AWS's paths and shapes). Each is a new
 * version of the function's record, replicated like a deploy; an edge that has it runs no call
 * with the old code or settings (a JS container built for them is dropped in each worker).
 */
export function updateRoutes(ctx: RouteContext): Route[] {
  const config = (record: Parameters<typeof configuration>[0]) =>
    configuration(record, ctx.config.region)
  return [
    {
      method: 'PUT',
      path: new RegExp(`^/2015-03-31/functions/${NAME}/code/?$`),
      access: 'control',
      async handle({ params, url, body }) {
        const fields = new Fields(asObject(await ctx.json.parse(body), 'the body'))
        const name = functionName(params[0] as string, url)
        const record = await ctx.functions.get(name)
        const kind = record.kind === 'wasi' ? 'wasm' : record.kind
        const code = await codeFromZip(fields.base64('ZipFile'), kind)
        const updated = await ctx.functions.updateCode(name, code)
        if (fields.optionalBoolean('Publish') === true) {
          const version = await ctx.versions.publish(name)
          return { status: 200, body: configuration(version.function, ctx.config.region, version) }
        }
        return { status: 200, body: config(updated) }
      }
    },
    {
      method: 'PUT',
      path: new RegExp(`^/2015-03-31/functions/${NAME}/configuration/?$`),
      access: 'control',
      async handle({ params, url, body }) {
        const fields = new Fields(asObject(await ctx.json.parse(body), 'the body'))
        const name = functionName(params[0] as string, url)
        const timeout = fields.optionalInteger('Timeout')
        const environment = fields.optionalObject('Environment')
        const variables = environment?.optionalObject('Variables')
        const record = await ctx.functions.updateConfiguration(name, {
          handler: fields.optionalString('Handler'),
          runtime: fields.optionalString('Runtime'),
          role: fields.optionalString('Role'),
          description: fields.optionalString('Description'),
          memoryMb: fields.optionalInteger('MemorySize'),
          timeoutMs: timeout === undefined ? undefined : timeout * 1000,
          // AWS replaces the whole set of variables when Environment is given.
          environment:
            environment === undefined
              ? undefined
              : (environment.optionalStringMap('Variables') ?? {}),
          ...platformSettings(variables)
        })
        return { status: 200, body: config(record) }
      }
    },

    // Reserved concurrency (AWS's API versions for it differ from the function's).
    {
      method: 'PUT',
      path: new RegExp(`^/2017-10-31/functions/${NAME}/concurrency/?$`),
      access: 'control',
      async handle({ params, url, body }) {
        const fields = new Fields(asObject(await ctx.json.parse(body), 'the body'))
        const value = fields.optionalInteger('ReservedConcurrentExecutions')
        if (value === undefined || value < 1) {
          throw INVALID_PARAMETER('ReservedConcurrentExecutions', 'must be an integer ≥ 1')
        }
        const name = functionName(params[0] as string, url)
        const record = await ctx.functions.setConcurrency(name, value)
        return { status: 200, body: { ReservedConcurrentExecutions: record.concurrency } }
      }
    },
    {
      method: 'GET',
      path: new RegExp(`^/2019-09-30/functions/${NAME}/concurrency/?$`),
      access: 'control',
      async handle({ params, url }) {
        const record = await ctx.functions.get(functionName(params[0] as string, url))
        return {
          status: 200,
          body: record.concurrency > 0 ? { ReservedConcurrentExecutions: record.concurrency } : {}
        }
      }
    },
    {
      method: 'DELETE',
      path: new RegExp(`^/2017-10-31/functions/${NAME}/concurrency/?$`),
      access: 'control',
      async handle({ params, url }) {
        await ctx.functions.setConcurrency(functionName(params[0] as string, url), 0)
        return { status: 204 }
      }
    }
  ]
}
