import { INVALID_PARAMETER } from '../../errors.js'
import { configuration, functionRef, platformSettings, reduceOf } from '../aws.js'
import { asObject } from '../json.js'
import type { RouteContext } from '../context.js'
import { Fields } from '../fields.js'
import type { Route } from '../server.js'
import { codeFromSeed, codeFromZip, kindOf } from '../code.js'
import { zipFromFiles } from '../../runtimes/package.js'

const NAME = '([^/]+)'

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
          code: await codeFromSeed(fields),
          runtime: fields.optionalString('runtime'),
          handler: fields.optionalString('handler'),
          environment: fields.optionalStringMap('environment'),
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
      // The code as deployed: a JS package as a zip (GetFunction's Code.Location), a module as is.
      method: 'GET',
      path: new RegExp(`^/functions/${NAME}/(wasm|code)$`),
      access: 'control',
      async handle({ params }) {
        const code = await ctx.functions.codeOf(await ctx.functions.get(params[0] as string))
        if ('wasm' in code) {
          return { status: 200, headers: { 'content-type': 'application/wasm' }, body: code.wasm }
        }
        const zip = await zipFromFiles(code.files)
        return { status: 200, headers: { 'content-type': 'application/zip' }, body: zip }
      }
    },
    {
      method: 'DELETE',
      path: new RegExp(`^/functions/${NAME}$`),
      access: 'control',
      async handle({ params }) {
        await ctx.versions.delete(params[0] as string, undefined)
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
        const runtime = fields.optionalString('Runtime')
        const record = await ctx.functions.deploy({
          name: fields.string('FunctionName'),
          code: await codeFromZip(code.base64('ZipFile'), kindOf(runtime)),
          environment: fields.optionalObject('Environment')?.optionalStringMap('Variables'),
          ...platformSettings(variables),
          timeoutMs: timeout === undefined ? undefined : timeout * 1000,
          memoryMb: fields.optionalInteger('MemorySize'),
          runtime,
          role: fields.optionalString('Role'),
          handler: fields.optionalString('Handler'),
          description: fields.optionalString('Description'),
          replace: false
        })
        if (fields.optionalBoolean('Publish') === true) {
          const version = await ctx.versions.publish(record.name)
          return { status: 201, body: configuration(version.function, region, version) }
        }
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
        const { name, qualifier } = functionRef(params[0] as string, url)
        const { record, published } = await ctx.versions.describe(name, qualifier)
        return {
          status: 200,
          body: {
            Configuration: configuration(record, region, published),
            Code: {
              RepositoryType: 'SwarmLambda',
              Location: `http://${headers.host ?? ctx.config.httpHost}/functions/${encodeURIComponent(record.name)}/${record.kind === 'nodejs' || record.kind === 'python' ? 'code' : 'wasm'}`
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
        const { name, qualifier } = functionRef(params[0] as string, url)
        const { record, published } = await ctx.versions.describe(name, qualifier)
        return { status: 200, body: configuration(record, region, published) }
      }
    },
    {
      method: 'DELETE',
      path: new RegExp(`^/2015-03-31/functions/${NAME}/?$`),
      access: 'control',
      async handle({ params, url }) {
        const { name, qualifier } = functionRef(params[0] as string, url)
        await ctx.versions.delete(name, qualifier)
        return { status: 204 }
      }
    }
  ]
}
