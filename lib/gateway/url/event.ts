/**
 * The event a function URL hands its function: AWS's request payload, format 2.0.
 *
 * Follows https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html ("Request payload
 * format"), which defers to API Gateway's payload format 2.0; where that page is silent, the
 * choices below follow events captured from real function URLs (AWS Powertools' test events,
 * LocalStack's AWS-validated snapshots), each noted where it is made.
 */

import { isUtf8 } from 'node:buffer'

/** An HTTP request addressed to a function URL, as the gateway read it. */
export interface UrlRequest {
  method: string
  /**
   * The path as the client sent it (percent-encoded as sent), already without any
   * `/lambda-url/NAME` prefix; '/' at least.
   */
  rawPath: string
  /** Everything after '?', as sent ('' when none). */
  rawQueryString: string
  /** Node's req.rawHeaders: [name, value, name, value, ...] as sent (repeats kept exactly). */
  rawHeaders: string[]
  body: Buffer
  sourceIp: string
  requestId: string
  /** The Host without its port, e.g. `hello.lambda.mesh` (the edge's host for /lambda-url/). */
  domainName: string
  timeEpoch: number
  /** The function owner's account: the event carries it only for a signed (AWS_IAM) request. */
  accountId: string
  /** 'HTTP/1.1' etc. */
  protocol: string
  /** The access key id that signed the request (AuthType AWS_IAM), else null. */
  principal: string | null
}

/** The caller's identity of an AWS_IAM function URL. */
export interface IamAuthorizer {
  iam: {
    accessKey: string
    accountId: string
    callerId: string
    cognitoIdentity: null
    principalOrgId: null
    userArn: string
    userId: string
  }
}

/** `requestContext` of a function URL event. */
export interface UrlRequestContext {
  /** The owner's account id for AWS_IAM; `anonymous` for AuthType NONE, as AWS sends. */
  accountId: string
  /** The URL id: the first label of the domain name. */
  apiId: string
  /** AWS_IAM only: AWS sets it to null ("function URLs don't use this parameter"). */
  authentication?: null
  /** AWS_IAM only: who signed the request. */
  authorizer?: IamAuthorizer
  domainName: string
  domainPrefix: string
  http: {
    method: string
    /** The path, percent-decoded. */
    path: string
    protocol: string
    sourceIp: string
    userAgent: string
  }
  requestId: string
  routeKey: '$default'
  stage: '$default'
  /** e.g. `12/Mar/2020:19:03:58 +0000` */
  time: string
  timeEpoch: number
}

/** A function URL request payload, format 2.0, with exactly the fields AWS sends. */
export interface FunctionUrlEvent {
  version: '2.0'
  routeKey: '$default'
  rawPath: string
  rawQueryString: string
  /** The request's cookies, one per entry; absent when it sent none. */
  cookies?: string[]
  /** Lower-case names; a repeated header's values joined with ','; no `cookie` (see `cookies`). */
  headers: Record<string, string>
  /** Decoded; a repeated name's values joined with ','; absent when there is no query. */
  queryStringParameters?: Record<string, string>
  requestContext: UrlRequestContext
  /** Absent when the request has no body. */
  body?: string
  isBase64Encoded: boolean
}

/**
 * Connection-level headers: a function URL's front end is a proxy and does not forward them
 * (RFC 9110 §7.6.1). Captured function URL events carry none of them.
 */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer'
])

/**
 * Content types whose bodies arrive as text. AWS documents only "if the content type of the
 * request is binary, the body is base64-encoded" without listing the types; this is the split
 * measured against AWS for payload 2.0 (ministackorg/ministack#766): text for `text/*`,
 * `application/json`, `application/xml` and `application/javascript`, base64 for everything
 * else, including no content type and `application/x-www-form-urlencoded` (LocalStack's
 * AWS-validated snapshot shows `multipart/form-data` base64-encoded too).
 */
const TEXT_TYPES = new Set(['application/json', 'application/xml', 'application/javascript'])

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** Builds the event AWS passes a function for a request to its function URL. */
export function urlEvent(request: UrlRequest): FunctionUrlEvent {
  const headers = new Map<string, string>()
  const cookies: string[] = []
  for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) {
    const name = (request.rawHeaders[i] as string).toLowerCase()
    const value = request.rawHeaders[i + 1] as string
    if (name.startsWith(':') || HOP_BY_HOP.has(name)) continue
    // Called directly, a function URL moves cookies out of `headers` into `cookies`
    // (localstack/localstack#7403: "If I use the function URL directly - it only contains the
    // array of cookies").
    if (name === 'cookie') cookies.push(...splitCookies(value))
    else {
      const seen = headers.get(name)
      headers.set(name, seen === undefined ? value : `${seen},${value}`)
    }
  }

  const text = isTextType(headers.get('content-type')) && isUtf8(request.body)
  const hasBody = request.body.length > 0
  const query = queryParameters(request.rawQueryString)
  const domainPrefix = request.domainName.split('.')[0] ?? request.domainName
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: request.rawPath,
    rawQueryString: request.rawQueryString,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers: Object.fromEntries(headers),
    ...(query === null ? {} : { queryStringParameters: query }),
    requestContext: {
      // Captured AuthType NONE events say `anonymous`; the docs' AWS_IAM example has the owner.
      accountId: request.principal === null ? 'anonymous' : request.accountId,
      apiId: domainPrefix,
      ...(request.principal === null
        ? {}
        : {
            authentication: null,
            authorizer: iamAuthorizer(request.principal, request.accountId)
          }),
      domainName: request.domainName,
      domainPrefix,
      http: {
        method: request.method,
        path: decodePath(request.rawPath),
        protocol: request.protocol,
        sourceIp: request.sourceIp,
        userAgent: headers.get('user-agent') ?? ''
      },
      requestId: request.requestId,
      routeKey: '$default',
      stage: '$default',
      time: requestTime(request.timeEpoch),
      timeEpoch: request.timeEpoch
    },
    ...(hasBody ? { body: request.body.toString(text ? 'utf8' : 'base64') } : {}),
    // A body that claims a text type but is not UTF-8 is base64-encoded too: a string could not
    // carry its bytes unchanged.
    isBase64Encoded: hasBody && !text
  }
}

/**
 * The iam authorizer of a signed request. There are no IAM users here: the access key id stands
 * for the user in every id field, and the owner's account is the caller's.
 */
function iamAuthorizer(accessKey: string, accountId: string): IamAuthorizer {
  return {
    iam: {
      accessKey,
      accountId,
      callerId: accessKey,
      cognitoIdentity: null,
      principalOrgId: null,
      userArn: `arn:aws:iam::${accountId}:user/${accessKey}`,
      userId: accessKey
    }
  }
}

/** `c=1; d=2` → ['c=1', 'd=2']. */
function splitCookies(header: string): string[] {
  return header
    .split(';')
    .map((cookie) => cookie.trim())
    .filter((cookie) => cookie !== '')
}

/** Whether a body of this content type reaches the function as text (see TEXT_TYPES). */
function isTextType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false
  const type = (contentType.split(/[;,]/)[0] as string).trim().toLowerCase()
  return type.startsWith('text/') || TEXT_TYPES.has(type)
}

/** Decoded query parameters, a repeated name's values joined with ','; null for no query. */
function queryParameters(raw: string): Record<string, string> | null {
  if (raw === '') return null
  const params = new Map<string, string>()
  for (const [name, value] of new URLSearchParams(raw)) {
    const seen = params.get(name)
    params.set(name, seen === undefined ? value : `${seen},${value}`)
  }
  // fromEntries defines own properties, so a parameter named __proto__ stays a parameter.
  return Object.fromEntries(params)
}

/** The path percent-decoded; a malformed escape leaves the path as sent. */
function decodePath(rawPath: string): string {
  try {
    return decodeURIComponent(rawPath)
  } catch {
    return rawPath
  }
}

/** `12/Mar/2020:19:03:58 +0000`: the format of `requestContext.time`, always in UTC. */
function requestTime(epochMs: number): string {
  const at = new Date(epochMs)
  const two = (n: number) => String(n).padStart(2, '0')
  return (
    `${two(at.getUTCDate())}/${MONTHS[at.getUTCMonth()]}/${at.getUTCFullYear()}:` +
    `${two(at.getUTCHours())}:${two(at.getUTCMinutes())}:${two(at.getUTCSeconds())} +0000`
  )
}
