import type { AliasRecord } from '../../wire/addressing.js'
import { configuration, functionArn, functionName, LATEST, paginate } from '../aws.js'
import type { RouteContext } from '../context.js'
import { Fields } from '../fields.js'
import { asObject } from '../json.js'
import type { Route } from '../server.js'
import type { AliasChange } from '../../registry/aliases.js'

const NAME = '([^/]+)'

/**
 * Versions and aliases, AWS's paths and shapes: PublishVersion, ListVersionsByFunction,
 * CreateAlias, GetAlias, UpdateAlias, DeleteAlias, ListAliases. (GetFunction, Invoke and
 * DeleteFunction take qualifiers in their own routes.)
 */
export function versionRoutes(ctx: RouteContext): Route[] {
  const region = ctx.config.region
  const aliasConfiguration = (a: AliasRecord) => ({
    AliasArn: functionArn(region, a.name, a.alias),
    Name: a.alias,
    FunctionVersion: a.functionVersion,
    Description: a.description,
    ...(a.weights.length === 0
      ? {}
      : {
          RoutingConfig: {
            AdditionalVersionWeights: Object.fromEntries(
              a.weights.map((w) => [w.version, w.weight])
            )
          }
        }),
    RevisionId: a.revisionId
  })
  const aliasChange = async (body: Buffer): Promise<{ fields: Fields; change: AliasChange }> => {
    const fields = new Fields(asObject(await ctx.json.parse(body), 'the body'))
    return {
      fields,
      change: {
        functionVersion: fields.optionalString('FunctionVersion'),
        description: fields.optionalString('Description'),
        weights: fields
          .optionalObject('RoutingConfig')
          ?.optionalNumberMap('AdditionalVersionWeights'),
        revisionId: fields.optionalString('RevisionId')
      }
    }
  }

  return [
    {
      method: 'POST',
      path: new RegExp(`^/2015-03-31/functions/${NAME}/versions/?$`),
      access: 'control',
      async handle({ params, url, body }) {
        const fields = new Fields(
          body.length === 0 ? {} : asObject(await ctx.json.parse(body), 'the body')
        )
        const version = await ctx.versions.publish(functionName(params[0] as string, url), {
          codeSha256: fields.optionalString('CodeSha256'),
          revisionId: fields.optionalString('RevisionId'),
          description: fields.optionalString('Description')
        })
        return { status: 201, body: configuration(version.function, region, version) }
      }
    },
    {
      method: 'GET',
      path: new RegExp(`^/2015-03-31/functions/${NAME}/versions/?$`),
      access: 'control',
      async handle({ params, url }) {
        const name = functionName(params[0] as string, url)
        const latest = await ctx.functions.get(name)
        const all = [
          { key: LATEST, config: configuration(latest, region) },
          ...(await ctx.versions.list(name)).map((v) => ({
            key: String(v.number),
            config: configuration(v.function, region, v)
          }))
        ]
        const { page, next } = paginate(all, (v) => v.key, url)
        return { status: 200, body: { Versions: page.map((v) => v.config), NextMarker: next } }
      }
    },
    {
      method: 'POST',
      path: new RegExp(`^/2015-03-31/functions/${NAME}/aliases/?$`),
      access: 'control',
      async handle({ params, url, body }) {
        const { fields, change } = await aliasChange(body)
        const name = functionName(params[0] as string, url)
        const alias = await ctx.aliases.create(name, fields.string('Name'), change)
        return { status: 201, body: aliasConfiguration(alias) }
      }
    },
    {
      method: 'GET',
      path: new RegExp(`^/2015-03-31/functions/${NAME}/aliases/?$`),
      access: 'control',
      async handle({ params, url }) {
        const name = functionName(params[0] as string, url)
        const version = url.searchParams.get('FunctionVersion') ?? undefined
        const { page, next } = paginate(await ctx.aliases.list(name, version), (a) => a.alias, url)
        return { status: 200, body: { Aliases: page.map(aliasConfiguration), NextMarker: next } }
      }
    },
    {
      method: 'GET',
      path: new RegExp(`^/2015-03-31/functions/${NAME}/aliases/${NAME}/?$`),
      access: 'control',
      async handle({ params, url }) {
        const name = functionName(params[0] as string, url)
        const alias = await ctx.aliases.get(name, params[1] as string)
        return { status: 200, body: aliasConfiguration(alias) }
      }
    },
    {
      method: 'PUT',
      path: new RegExp(`^/2015-03-31/functions/${NAME}/aliases/${NAME}/?$`),
      access: 'control',
      async handle({ params, url, body }) {
        const { change } = await aliasChange(body)
        const name = functionName(params[0] as string, url)
        const alias = await ctx.aliases.update(name, params[1] as string, change)
        return { status: 200, body: aliasConfiguration(alias) }
      }
    },
    {
      method: 'DELETE',
      path: new RegExp(`^/2015-03-31/functions/${NAME}/aliases/${NAME}/?$`),
      access: 'control',
      async handle({ params, url }) {
        await ctx.aliases.delete(functionName(params[0] as string, url), params[1] as string)
        return { status: 204 }
      }
    }
  ]
}
