import { REDUCERS, type Reduce } from '../../wire/messages.js'
import { INVALID_PARAMETER } from '../../errors.js'
import { configuration, functionName } from '../aws.js'
import { asObject } from '../json.js'
import type { RouteContext } from '../context.js'
import { Fields } from '../fields.js'
import type { Route } from '../server.js'
import { wasmFromCode } from '../zip.js'

const NAME = '([^/]+)'

function reduceOf(value: string | undefined): Reduce | undefined {
  if (value === undefined) return undefined
  if (!(REDUCERS as readonly string[]).includes(value)) {
    throw INVALID_PARAMETER('reduce', `must be one of ${REDUCERS.join(', ')}`)
  }
  return value as Reduce
}

/** An integer passed as a string (AWS environment variables are strings). */
function integerOf(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  if (!/^\d{1,9}$/.test(value)) throw INVALID_PARAMETER(name, 'must be a non-negative integer')
  return Number(value)
}

/**
 * The control plane, twice: the seed's `/functions` API and AWS Lambda's
 * `/2015-03-31/functions` (CreateFunction, GetFunction, GetFunctionConfiguration,
 * ListFunctions, DeleteFunction). Both return AWS FunctionConfiguration objects.
 */
export function functionRoutes(ctx: RouteContext): Route[] {
  const region = ctx.config.region
  const config = (record: Parameters<typeof configuration>[0]) => configuration(record, region)

  return [
    // --- the seed's API ---
    {
      method: 'POST',
      path: /^\/functions\/?$/,
      access: 'control',
      async handle({ body }) {
        const fields = new Fields(asObject(await ctx.json.parse(body), 'the body'))
        const record = await ctx.functions.deploy({
          name: fields.string('name'),
          wasm: fields.base64('wasm_base64'),
          reduce: reduceOf(fields.optionalString('reduce')),
          timeoutMs: fields.optionalInteger('timeoutMs'),
          memoryMb: fields.optionalInteger('memoryMb'),
          headerItems: fields.optionalInteger('headerItems'),
          concurrency: fields.optionalInteger('concurrency'),
          maxDatasetItems: fields.optionalInteger('maxDatasetItems'),
          replace: true
        })
        return { status: 201, body: config(record) }
      }
    },
    {
      method: 'GET',
      path: /^\/functions\/?$/,
      access: 'control',
      async handle() {
        return { status: 200, body: { functions: (await ctx.functions.list()).map(config) } }
      }
    },
    {
      method: 'GET',
      path: new RegExp(`^/functions/${NAME}$`),
      access: 'control',
      async handle({ params }) {
        return { status: 200, body: config(await ctx.functions.get(params[0] as string)) }
      }
    },
    {
      method: 'GET',
      path: new RegExp(`^/functions/${NAME}/wasm$`),
      access: 'control',
      async handle({ params }) {
        const record = await ctx.functions.get(params[0] as string)
        return { status: 200, body: await ctx.functions.wasm(record) }
      }
    },
    {
      method: 'DELETE',
      path: new RegExp(`^/functions/${NAME}$`),
      access: 'control',
      async handle({ params }) {
        await ctx.functions.delete(params[0] as string)
        return { status: 204 }
      }
    },

    // --- AWS Lambda's API ---
    {
      method: 'POST',
      path: /^\/2015-03-31\/functions\/?$/,
      access: 'control',
      async handle({ body }) {
        const fields = new Fields(asObject(await ctx.json.parse(body), 'the body'))
        const code = fields.optionalObject('Code')
        if (code === undefined) throw INVALID_PARAMETER('Code', 'is required (Code.ZipFile)')
        const variables = fields.optionalObject('Environment')?.optionalObject('Variables')
        const timeout = fields.optionalInteger('Timeout')
        const record = await ctx.functions.deploy({
          name: fields.string('FunctionName'),
          wasm: await wasmFromCode(code.base64('ZipFile')),
          reduce: reduceOf(variables?.optionalString('SWARMLAMBDA_REDUCE')),
          headerItems: integerOf(
            'SWARMLAMBDA_HEADER_ITEMS',
            variables?.optionalString('SWARMLAMBDA_HEADER_ITEMS')
          ),
          maxDatasetItems: integerOf(
            'SWARMLAMBDA_MAX_DATASET_ITEMS',
            variables?.optionalString('SWARMLAMBDA_MAX_DATASET_ITEMS')
          ),
          timeoutMs: timeout === undefined ? undefined : timeout * 1000,
          memoryMb: fields.optionalInteger('MemorySize'),
          runtime: fields.optionalString('Runtime'),
          role: fields.optionalString('Role'),
          handler: fields.optionalString('Handler'),
          description: fields.optionalString('Description'),
          replace: false
        })
        return { status: 201, body: config(record) }
      }
    },
    {
      method: 'GET',
      path: /^\/2015-03-31\/functions\/?$/,
      access: 'control',
      async handle({ url }) {
        const all = (await ctx.functions.list()).sort((a, b) => (a.name < b.name ? -1 : 1))
        const marker = url.searchParams.get('Marker')
        const maxItems = Math.min(
          Math.max(Number(url.searchParams.get('MaxItems') ?? 50) || 50, 1),
          10_000
        )
        const from = marker === null ? 0 : all.findIndex((r) => r.name > marker)
        const page = from === -1 ? [] : all.slice(from, from + maxItems)
        const more = from !== -1 && from + maxItems < all.length
        return {
          status: 200,
          body: {
            Functions: page.map(config),
            NextMarker: more ? page[page.length - 1]?.name : null
          }
        }
      }
    },
    {
      method: 'GET',
      path: new RegExp(`^/2015-03-31/functions/${NAME}/?$`),
      access: 'control',
      async handle({ params, headers, url }) {
        const record = await ctx.functions.get(functionName(params[0] as string, url))
        return {
          status: 200,
          body: {
            Configuration: config(record),
            Code: {
              RepositoryType: 'SwarmLambda',
              Location: `http://${headers.host ?? ctx.config.httpHost}/functions/${encodeURIComponent(record.name)}/wasm`
            },
            Tags: {},
            ...(record.concurrency > 0
              ? { Concurrency: { ReservedConcurrentExecutions: record.concurrency } }
              : {})
          }
        }
      }
    },
    {
      method: 'GET',
      path: new RegExp(`^/2015-03-31/functions/${NAME}/configuration/?$`),
      access: 'control',
      async handle({ params, url }) {
        return {
          status: 200,
          body: config(await ctx.functions.get(functionName(params[0] as string, url)))
        }
      }
    },
    {
      method: 'DELETE',
      path: new RegExp(`^/2015-03-31/functions/${NAME}/?$`),
      access: 'control',
      async handle({ params, url }) {
        await ctx.functions.delete(functionName(params[0] as string, url))
        return { status: 204 }
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
