import { INVALID_PARAMETER, RESOURCE_NOT_FOUND, SwarmError } from '../../errors.js'
import { invocationOf } from '../../scheduler/run.js'
import type { UrlRecord } from '../../wire/addressing.js'
import type { Authenticator } from '../auth.js'
import { ACCOUNT_ID, functionArn } from '../aws.js'
import type { RouteContext } from '../context.js'
import type { Reply, Request, Route } from '../server.js'
import { corsHeaders, preflight } from '../url/cors.js'
import { urlEvent } from '../url/event.js'
import { urlFunctionError, urlResponse } from '../url/response.js'
import { runNow } from './invoke.js'
import { ALIAS_SEPARATOR } from './urls.js'

/** Where a function URL is served on any edge for clients without the DNS: `/lambda-url/NAME/…`. */
export const URL_PATH_PREFIX = '/lambda-url/'

/** A function URL's host label, `NAME` or `NAME--ALIAS`, and the path after it. */
interface Addressed {
  label: string
  domainName: string
  rawPath: string
}

/**
 * Function URLs served: a request whose Host is `LABEL.<url domain>` (any port: through the
 * proxy or straight to an edge), or whose path is `/lambda-url/LABEL/…`, runs the function the
 * label names with AWS's payload 2.0 event, and its answer becomes the HTTP response by AWS's
 * rules. The URL's config decides auth (NONE, or AWS_IAM: signed with the edge's keys) and CORS
 * (preflights answered here, the function not invoked). No function, or no URL config for it:
 * 404. A function error: 502, as AWS answers.
 */
export function functionUrlRoutes(
  ctx: RouteContext,
  auth: Authenticator
): { hosted: { matches(host: string): boolean; route: Route }; routes: Route[] } {
  const domain = `.${ctx.config.urlDomain.replace(/:\d+$/, '')}`
  const hostOf = (host: string) => host.toLowerCase().replace(/:\d+$/, '')
  const labelOf = (host: string): string | null => {
    const name = hostOf(host)
    if (!name.endsWith(domain)) return null
    const label = name.slice(0, -domain.length)
    return label !== '' && !label.includes('.') ? label : null
  }
  const serve = (addressed: Addressed, request: Request) => serveUrl(ctx, auth, addressed, request)
  return {
    hosted: {
      matches: (host) => labelOf(host) !== null,
      route: {
        method: '*',
        path: /^/,
        access: 'open',
        handle(request) {
          const host = request.headers.host ?? ''
          const label = labelOf(host) as string
          return serve({ label, domainName: hostOf(host), rawPath: request.rawPath }, request)
        }
      }
    },
    routes: [
      {
        method: '*',
        path: /^\/lambda-url\/([^/]+)(\/.*)?$/,
        access: 'open',
        handle(request) {
          const label = request.params[0] as string
          const rest = request.rawPath.slice(URL_PATH_PREFIX.length)
          const slash = rest.indexOf('/')
          const rawPath = slash === -1 ? '/' : rest.slice(slash)
          const domainName = hostOf(request.headers.host ?? ctx.config.httpHost)
          return serve({ label, domainName, rawPath }, request)
        }
      }
    ]
  }
}

async function serveUrl(
  ctx: RouteContext,
  auth: Authenticator,
  addressed: Addressed,
  request: Request
): Promise<Reply> {
  const config = urlConfig(ctx, addressed.label)
  const principal = config.authType === 'AWS_IAM' ? await auth.verify(request) : null
  const cors = config.cors
  const early = preflight(cors, request.method, request.headers)
  if (early !== null) return early

  const qualifier = config.qualifier === '' ? undefined : config.qualifier
  const target = await ctx.versions.target(config.name, qualifier)
  if (target.record.abi === 'v1') {
    throw INVALID_PARAMETER(
      'FunctionName',
      `${config.name} runs a dataset module now (ABI v1), which cannot answer HTTP requests`
    )
  }
  const resolved = await ctx.functions.prepare(target.record, target.version)
  const query = request.url.search
  const event = urlEvent({
    method: request.method,
    rawPath: addressed.rawPath,
    rawQueryString: query.startsWith('?') ? query.slice(1) : query,
    rawHeaders: request.rawHeaders,
    body: request.body,
    sourceIp: request.sourceIp,
    requestId: request.requestId,
    domainName: addressed.domainName,
    timeEpoch: Date.now(),
    accountId: ACCOUNT_ID,
    protocol: request.protocol,
    principal
  })
  const invocation = invocationOf(resolved, Buffer.from(JSON.stringify(event)), {
    requestId: request.requestId,
    invokedArn: functionArn(ctx.config.region, config.name, qualifier),
    version: target.version
  })
  const outcome = await runNow(ctx, resolved.record, invocation)
  const answer =
    outcome instanceof SwarmError || outcome.payload === null
      ? urlFunctionError()
      : urlResponse(outcome.payload)
  const headers: Record<string, string | string[]> = { ...answer.headers }
  const allowed = corsHeaders(cors, request.headers)
  for (const [name, value] of Object.entries(allowed)) {
    const own = headers[name]
    headers[name] = name === 'vary' && typeof own === 'string' ? `${own}, ${value}` : value
  }
  if (answer.cookies.length > 0) headers['set-cookie'] = answer.cookies
  return { status: answer.status, headers, body: answer.body }
}

/**
 * The URL config a host label names: `NAME` (the function's own URL) or `NAME--ALIAS`, function
 * names matched case-insensitively (hosts arrive lower-cased from browsers); 404 when there is
 * no such function or it has no URL there.
 */
function urlConfig(ctx: RouteContext, label: string): UrlRecord {
  const candidates: [string, string][] = [[label, '']]
  for (
    let at = label.indexOf(ALIAS_SEPARATOR);
    at > 0;
    at = label.indexOf(ALIAS_SEPARATOR, at + 1)
  ) {
    const alias = label.slice(at + ALIAS_SEPARATOR.length)
    if (alias !== '') candidates.push([label.slice(0, at), alias])
  }
  for (const [name, qualifier] of candidates) {
    for (const candidate of ctx.functions.named(name)) {
      const config = ctx.urls.lookup(candidate, matchAlias(ctx, candidate, qualifier))
      if (config !== null) return config
    }
  }
  throw RESOURCE_NOT_FOUND(`Function URL ${label}`)
}

/** The alias a (lower-cased) label part names, as stored. */
function matchAlias(ctx: RouteContext, name: string, qualifier: string): string {
  if (qualifier === '') return ''
  const lower = qualifier.toLowerCase()
  return ctx.urls.qualifiers(name).find((q) => q.toLowerCase() === lower) ?? qualifier
}
