import { INVALID_PARAMETER } from '../../errors.js'
import type { UrlChange } from '../../registry/urls.js'
import { AUTH_TYPES, type AuthType, type UrlRecord } from '../../wire/addressing.js'
import { functionArn, functionName, functionRef, paginate } from '../aws.js'
import type { RouteContext } from '../context.js'
import { Fields } from '../fields.js'
import { asObject } from '../json.js'
import type { Route } from '../server.js'
import { parseCors } from '../url/cors.js'

const NAME = '([^/]+)'

/** The separator of a function and its alias in a function URL's host: `NAME--ALIAS.<domain>`. */
export const ALIAS_SEPARATOR = '--'

/** A function URL: `http://NAME[--ALIAS].<domain>/`. */
export function functionUrl(urlDomain: string, name: string, qualifier: string): string {
  return `http://${name}${qualifier === '' ? '' : ALIAS_SEPARATOR + qualifier}.${urlDomain}/`
}

/**
 * Function URL configurations, AWS's `2021-10-31` paths and shapes: CreateFunctionUrlConfig,
 * GetFunctionUrlConfig, UpdateFunctionUrlConfig, DeleteFunctionUrlConfig (`.../url`, with
 * `?Qualifier=` for an alias) and ListFunctionUrlConfigs (`.../urls`).
 */
export function urlConfigRoutes(ctx: RouteContext): Route[] {
  const { region, urlDomain } = ctx.config
  const shape = (u: UrlRecord, created = false) => ({
    FunctionUrl: functionUrl(urlDomain, u.name, u.qualifier),
    FunctionArn: functionArn(region, u.name, u.qualifier === '' ? undefined : u.qualifier),
    AuthType: u.authType,
    ...(u.cors === null ? {} : { Cors: u.cors }),
    CreationTime: iso(u.created),
    ...(created ? {} : { LastModifiedTime: iso(u.modified) }),
    InvokeMode: u.invokeMode
  })
  const change = async (body: Buffer): Promise<UrlChange> => {
    const fields = new Fields(asObject(await ctx.json.parse(body), 'the body'))
    const authType = fields.optionalString('AuthType')
    if (authType !== undefined && !(AUTH_TYPES as readonly string[]).includes(authType)) {
      throw INVALID_PARAMETER('AuthType', `must be one of ${AUTH_TYPES.join(', ')}`)
    }
    const invokeMode = fields.optionalString('InvokeMode')
    if (invokeMode !== undefined && invokeMode !== 'BUFFERED') {
      throw INVALID_PARAMETER(
        'InvokeMode',
        invokeMode === 'RESPONSE_STREAM'
          ? 'RESPONSE_STREAM is not supported here: function URLs answer BUFFERED'
          : 'must be BUFFERED'
      )
    }
    const cors = fields.raw('Cors')
    return {
      authType: authType as AuthType | undefined,
      cors: cors === undefined ? undefined : cors === null ? null : parseCors(cors),
      invokeMode
    }
  }
  const path = new RegExp(`^/2021-10-31/functions/${NAME}/url/?$`)
  const target = (params: string[], url: URL) => functionRef(params[0] as string, url)

  return [
    {
      method: 'POST',
      path,
      access: 'control',
      async handle({ params, url, body }) {
        const { name, qualifier } = target(params, url)
        const record = await ctx.urls.create(name, qualifier, await change(body))
        return { status: 201, body: shape(record, true) }
      }
    },
    {
      method: 'GET',
      path,
      access: 'control',
      async handle({ params, url }) {
        const { name, qualifier } = target(params, url)
        return { status: 200, body: shape(await ctx.urls.get(name, qualifier)) }
      }
    },
    {
      method: 'PUT',
      path,
      access: 'control',
      async handle({ params, url, body }) {
        const { name, qualifier } = target(params, url)
        const record = await ctx.urls.update(name, qualifier, await change(body))
        return { status: 200, body: shape(record) }
      }
    },
    {
      method: 'DELETE',
      path,
      access: 'control',
      async handle({ params, url }) {
        const { name, qualifier } = target(params, url)
        await ctx.urls.delete(name, qualifier)
        return { status: 204 }
      }
    },
    {
      method: 'GET',
      path: new RegExp(`^/2021-10-31/functions/${NAME}/urls/?$`),
      access: 'control',
      async handle({ params, url }) {
        const name = functionName(params[0] as string, url)
        const { page, next } = paginate(await ctx.urls.list(name), (u) => u.qualifier, url)
        return {
          status: 200,
          body: { FunctionUrlConfigs: page.map((u) => shape(u)), NextMarker: next }
        }
      }
    }
  ]
}

/** AWS's timestamp shape for function URL configs (ISO 8601, ms). */
function iso(ms: number): string {
  return new Date(ms).toISOString()
}
