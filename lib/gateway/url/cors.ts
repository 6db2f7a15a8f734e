/**
 * Cross-origin resource sharing for function URLs: the `Cors` member of a function URL's
 * configuration, and the headers it puts on preflights and responses.
 *
 * Follows https://docs.aws.amazon.com/lambda/latest/api/API_Cors.html (the fields and their
 * limits) and https://docs.aws.amazon.com/lambda/latest/dg/urls-configuration.html#urls-cors
 * (each field sets one Access-Control-* header; Lambda answers preflights itself and adds the
 * headers to all responses; on a conflict the configured headers win over the function's).
 * AWS documents neither the preflight status nor what a disallowed origin gets; those choices
 * follow the Fetch standard's CORS protocol and are noted where they are made.
 */

import type { IncomingHttpHeaders } from 'node:http'
import { INVALID_PARAMETER } from '../../errors.js'
import type { CorsConfig } from '../../wire/addressing.js'

/** A function URL's CORS settings, as CreateFunctionUrlConfig takes them (and the registry keeps). */
export type { CorsConfig }

/** API_Cors limits: items per header or origin list, and characters per item. */
const MAX_ITEMS = 100
const MAX_HEADER_LENGTH = 1024
const MAX_ORIGIN_LENGTH = 253
/** API_Cors limits for AllowMethods: at most 6 items of at most 6 characters each. */
const MAX_METHODS = 6
/** The largest MaxAge AWS accepts, in seconds (a day). */
const MAX_AGE_SECONDS = 86_400
/**
 * The methods a function URL serves. OPTIONS is not among them: Lambda answers preflights itself,
 * and at 7 characters it is over AllowMethods' 6-character limit.
 */
const METHODS = new Set(['GET', 'PUT', 'HEAD', 'POST', 'PATCH', 'DELETE', '*'])
/** An RFC 9110 token: what a header name may be. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
/** An origin as browsers send it: scheme, host, optional port; no path, not even a '/'. */
const ORIGIN = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s/?#@]+$/
const FIELDS = new Set([
  'AllowCredentials',
  'AllowHeaders',
  'AllowMethods',
  'AllowOrigins',
  'ExposeHeaders',
  'MaxAge'
])

/**
 * Parses the Cors member of Create/UpdateFunctionUrlConfig (unknown input) → CorsConfig; bad
 * input → INVALID_PARAMETER naming the field. Applies API_Cors's limits, and checks what AWS's
 * `.*` patterns leave open but would never match a request: header names must be tokens, origins
 * `scheme://host[:port]`, methods those a function URL serves.
 */
export function parseCors(value: unknown): CorsConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw INVALID_PARAMETER('Cors', 'must be an object')
  const fields = value as Record<string, unknown>
  for (const name of Object.keys(fields))
    if (!FIELDS.has(name)) throw INVALID_PARAMETER(`Cors.${name}`, 'is not a Cors field')

  const cors: CorsConfig = {}
  const credentials = fields.AllowCredentials
  if (credentials !== undefined && credentials !== null) {
    if (typeof credentials !== 'boolean')
      throw INVALID_PARAMETER('Cors.AllowCredentials', 'must be a boolean')
    cors.AllowCredentials = credentials
  }
  const allowHeaders = list(fields, 'AllowHeaders', MAX_ITEMS, MAX_HEADER_LENGTH, headerName)
  if (allowHeaders !== undefined) cors.AllowHeaders = allowHeaders
  const allowMethods = list(fields, 'AllowMethods', MAX_METHODS, MAX_METHODS, (method) =>
    METHODS.has(method) ? null : 'must be GET, PUT, HEAD, POST, PATCH, DELETE or *'
  )
  if (allowMethods !== undefined) cors.AllowMethods = allowMethods
  const allowOrigins = list(fields, 'AllowOrigins', MAX_ITEMS, MAX_ORIGIN_LENGTH, (origin) =>
    origin === '*' || ORIGIN.test(origin)
      ? null
      : 'must be * or an origin such as https://www.example.com (no path)'
  )
  if (allowOrigins !== undefined) cors.AllowOrigins = allowOrigins
  const exposeHeaders = list(fields, 'ExposeHeaders', MAX_ITEMS, MAX_HEADER_LENGTH, headerName)
  if (exposeHeaders !== undefined) cors.ExposeHeaders = exposeHeaders
  const maxAge = fields.MaxAge
  if (maxAge !== undefined && maxAge !== null) {
    if (typeof maxAge !== 'number' || !Number.isInteger(maxAge) || maxAge < 0)
      throw INVALID_PARAMETER('Cors.MaxAge', 'must be an integer of seconds, 0 or more')
    if (maxAge > MAX_AGE_SECONDS)
      throw INVALID_PARAMETER('Cors.MaxAge', `must be at most ${MAX_AGE_SECONDS} seconds`)
    cors.MaxAge = maxAge
  }
  return cors
}

/**
 * For an OPTIONS preflight (has Origin and Access-Control-Request-Method): the headers AWS answers
 * with (the function is not invoked), or null when it is not a preflight or no CORS config.
 *
 * The answer is a 200 with no body. An allowed origin gets its Access-Control-Allow-* headers,
 * the configured lists as they are (the browser checks its method and headers against them); a
 * `*` list echoes what the browser asked for, which also holds for credentialed requests, where
 * browsers read `*` literally. A disallowed origin gets the 200 without them, so the browser
 * refuses the actual request.
 */
export function preflight(
  cors: CorsConfig | null,
  method: string,
  headers: IncomingHttpHeaders
): { status: number; headers: Record<string, string> } | null {
  const requested = headers['access-control-request-method']
  if (cors === null || method.toUpperCase() !== 'OPTIONS' || requested === undefined) return null
  const origin = allowedOrigin(cors, headers)
  if (origin === undefined) return null
  if (origin === null) return { status: 200, headers: { vary: 'Origin' } }

  const answer = allowOrigin(cors, origin)
  const methods = cors.AllowMethods ?? []
  if (methods.includes('*')) answer['access-control-allow-methods'] = requested
  else if (methods.length > 0) answer['access-control-allow-methods'] = methods.join(',')
  const allowHeaders = cors.AllowHeaders ?? []
  const requestHeaders = headers['access-control-request-headers']
  if (allowHeaders.includes('*')) {
    if (requestHeaders !== undefined && requestHeaders !== '')
      answer['access-control-allow-headers'] = requestHeaders
  } else if (allowHeaders.length > 0)
    answer['access-control-allow-headers'] = allowHeaders.join(',')
  if (cors.MaxAge !== undefined) answer['access-control-max-age'] = String(cors.MaxAge)
  return { status: 200, headers: answer }
}

/**
 * Headers to add to (overriding the function's own CORS headers in) an actual response, given the
 * request's Origin. Empty without a CORS config, without an Origin, or for a disallowed origin
 * (the function's own headers, if any, then stand: AWS only says the configured ones win a
 * conflict). `vary: Origin` comes with every echoed origin; merge it into a Vary the function set
 * rather than replacing it.
 */
export function corsHeaders(
  cors: CorsConfig | null,
  headers: IncomingHttpHeaders
): Record<string, string> {
  if (cors === null) return {}
  const origin = allowedOrigin(cors, headers)
  if (origin === undefined || origin === null) return {}
  const answer = allowOrigin(cors, origin)
  const expose = cors.ExposeHeaders ?? []
  if (expose.length > 0) answer['access-control-expose-headers'] = expose.join(',')
  return answer
}

/**
 * The request's Origin when the config allows it, null when it does not, undefined when the
 * request has none. Origins compare case-insensitively (scheme and host are); `*` allows any.
 */
function allowedOrigin(cors: CorsConfig, headers: IncomingHttpHeaders): string | null | undefined {
  const origin = headers.origin
  if (origin === undefined || origin === '') return undefined
  const lower = origin.toLowerCase()
  const allowed = (cors.AllowOrigins ?? []).some((o) => o === '*' || o.toLowerCase() === lower)
  return allowed ? origin : null
}

/**
 * The headers every allowed origin gets. The origin is echoed rather than answered with `*`
 * even when `*` is configured: browsers refuse `*` on a credentialed request, and an echo is
 * right for both; `vary: Origin` keeps shared caches from serving one origin's answer to another.
 */
function allowOrigin(cors: CorsConfig, origin: string): Record<string, string> {
  return {
    'access-control-allow-origin': origin,
    vary: 'Origin',
    ...(cors.AllowCredentials === true ? { 'access-control-allow-credentials': 'true' } : {})
  }
}

/** A header name, or `*`; null when valid, else why not. */
function headerName(name: string): string | null {
  return name === '*' || TOKEN.test(name) ? null : 'must be header names (or *)'
}

/** One of the string-list fields, checked against its limits; undefined when absent. */
function list(
  fields: Record<string, unknown>,
  name: string,
  maxItems: number,
  maxLength: number,
  check: (item: string) => string | null
): string[] | undefined {
  const value = fields[name]
  if (value === undefined || value === null) return undefined
  const field = `Cors.${name}`
  if (!Array.isArray(value)) throw INVALID_PARAMETER(field, 'must be a list of strings')
  if (value.length > maxItems)
    throw INVALID_PARAMETER(field, `has ${value.length} items; at most ${maxItems} are allowed`)
  for (const item of value as unknown[]) {
    if (typeof item !== 'string') throw INVALID_PARAMETER(field, 'must be a list of strings')
    if (item.length === 0 || item.length > maxLength)
      throw INVALID_PARAMETER(field, `items must be 1 to ${maxLength} characters long`)
    const why = check(item)
    if (why !== null) throw INVALID_PARAMETER(field, `${why}, not "${item}"`)
  }
  return [...(value as string[])]
}
