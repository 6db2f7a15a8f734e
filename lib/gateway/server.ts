import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Readable } from 'node:stream'
import type { Logger } from 'pino'
import {
  EDGE_CLOSING,
  INTERNAL,
  METHOD_NOT_ALLOWED,
  RETRY_AFTER_SECONDS,
  SwarmError,
  UNKNOWN_OPERATION
} from '../errors.js'
import { boundAddress, listen } from '../listen.js'
import type { Access, Authenticator } from './auth.js'
import { decodePathPart, readBody, Received, Target, type Request } from './request.js'

export { MAX_BODY_BYTES, type Request } from './request.js'

/** Bodies up to this size are written with their headers in one write (see `send`). */
const ONE_WRITE_BYTES = 16 * 1024
/** A request whose headers and body take longer than this is dropped (slow-drip clients). */
const REQUEST_TIMEOUT_MS = 30_000
/**
 * An idle keep-alive connection is closed after this: longer than a client's or the proxy's own
 * pool keeps it (Node's 5 s default made the proxy reuse sockets the edge had just closed).
 */
const KEEP_ALIVE_TIMEOUT_MS = 65_000

/**
 * What a handler answers; `body` is JSON-encoded unless it is already bytes. A `stream` (e.g.
 * server-sent events) is piped instead of a body; the gateway ends it when it closes.
 */
export interface Reply {
  status: number
  /** A list sends the header once per value (Set-Cookie). */
  headers?: Record<string, string | string[]>
  body?: unknown
  stream?: Readable
}

/** One route: a method (`*`: any), a path pattern (anchored), who may call it, its handler. */
export interface Route {
  method: string
  path: RegExp
  access: Access
  handle(request: Request): Promise<Reply>
}

/** Options for the gateway. */
export interface GatewayOptions {
  host: string
  port: number
  routes: Route[]
  log: Logger
  /** Checks credentials against each route's access (none: every route is open). */
  auth?: Authenticator
  /**
   * Requests whose Host it matches go to its route whatever their method and path (function
   * URLs: `NAME.lambda.mesh`); the route's pattern is not applied.
   */
  hosted?: { matches(host: string): boolean; route: Route }
}

/**
 * The HTTP server of an edge: reads bodies within the limit, routes, and turns every error into
 * an AWS-shaped response in one place. While closing it answers 503 and waits for in-flight
 * requests.
 */
export class Gateway {
  private readonly server: Server
  private readonly options: GatewayOptions
  private closing = false
  private closed: Promise<void> | null = null
  private inflight = 0
  private idle: (() => void) | null = null
  private readonly streams = new Set<Readable>()

  constructor(options: GatewayOptions) {
    this.options = options
    this.server = createServer(
      { requestTimeout: REQUEST_TIMEOUT_MS, keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS },
      (req, res) => {
        void this.serve(req, res)
      }
    )
  }

  /** Starts listening. */
  listen(): Promise<void> {
    return listen(this.server, this.options.port, this.options.host)
  }

  /** The bound address (port 0 picks one). */
  get address(): { host: string; port: number } {
    return boundAddress(this.server)
  }

  /**
   * Closes: new requests get 503 (and `Connection: close`) while in-flight ones finish, so a
   * proxy sees "going away", not a refused connection; then the listener stops. Idempotent.
   */
  close(): Promise<void> {
    this.closed ??= (async () => {
      this.closing = true
      for (const stream of this.streams) stream.push(null) // open event streams end now
      if (this.inflight > 0) await new Promise<void>((resolve) => (this.idle = resolve))
      const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()))
      this.server.closeIdleConnections()
      await stopped
    })()
    return this.closed
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID()
    const started = process.hrtime.bigint()
    this.inflight++
    let reply: Reply
    try {
      reply = await this.dispatch(req, requestId)
    } catch (err) {
      reply = errorReply(err)
      if (reply.status >= 500) this.options.log.error({ err, requestId }, 'request failed')
    }
    if (reply.stream !== undefined && !this.closing) this.pipe(res, reply, requestId)
    else send(res, reply, requestId, this.closing)
    // Health checks (the proxy's, every few hundred ms per edge) would drown the rest at info.
    const level = req.url === '/healthz' && reply.status === 200 ? 'debug' : 'info'
    if (this.options.log.isLevelEnabled(level)) {
      this.options.log[level](
        {
          requestId,
          method: req.method,
          path: req.url,
          status: reply.status,
          ms: Number(process.hrtime.bigint() - started) / 1e6
        },
        'request'
      )
    }
    if (--this.inflight === 0 && this.idle !== null) this.idle()
  }

  private pipe(res: ServerResponse, reply: Reply, requestId: string): void {
    const stream = reply.stream as Readable
    this.streams.add(stream)
    res.writeHead(reply.status, { 'x-amzn-requestid': requestId, ...reply.headers })
    stream.pipe(res)
    res.once('close', () => {
      this.streams.delete(stream)
      stream.destroy()
    })
  }

  private async dispatch(req: IncomingMessage, requestId: string): Promise<Reply> {
    if (this.closing) throw EDGE_CLOSING()
    const method = req.method ?? 'GET'
    const target = new Target(req.url ?? '/')
    const hosted = this.options.hosted
    if (hosted !== undefined && hosted.matches(req.headers.host ?? '')) {
      return this.handle(hosted.route, [], req, target, requestId)
    }
    const pathname = target.pathname
    let allowed: string[] = []
    for (const route of this.options.routes) {
      const match = route.path.exec(pathname)
      if (match === null) continue
      if (route.method !== method && route.method !== '*') {
        allowed.push(route.method)
        continue
      }
      return this.handle(route, match.slice(1), req, target, requestId)
    }
    req.resume()
    if (allowed.length > 0) throw METHOD_NOT_ALLOWED(method, pathname, allowed)
    throw UNKNOWN_OPERATION(method, pathname)
  }

  /** Reads the body, checks the route's access, and hands the request to it. */
  private async handle(
    route: Route,
    captured: (string | undefined)[],
    req: IncomingMessage,
    target: Target,
    requestId: string
  ): Promise<Reply> {
    const params = captured.map((p) => decodePathPart(p ?? ''))
    const body = await readBody(req)
    const request = new Received(req, target, params, body, requestId)
    const auth = this.options.auth
    // An open route is not awaited on: most Invokes are.
    if (auth !== undefined && !auth.opens(route.access)) {
      request.principal = await auth.check(route.access, request)
    }
    return route.handle(request)
  }
}

/** The one place an error becomes a response. */
export function errorReply(err: unknown): Reply {
  const error = err instanceof SwarmError ? err : INTERNAL(err)
  if (error.kind === 'function') {
    // AWS: the invocation itself succeeded; the function failed. A JS error keeps its own type
    // and trace (AWS's Node shape), a Python one its type, request id and stack trace (AWS's
    // Python shape); ours adds errorCode.
    const { errorType, trace, stackTrace, requestId } = error.fields
    const headers = { 'x-amz-function-error': 'Unhandled' }
    if (stackTrace !== undefined) {
      const body = {
        errorMessage: error.message,
        errorType: errorType ?? error.awsType,
        requestId: requestId ?? '',
        stackTrace: traceOf(stackTrace),
        errorCode: error.code
      }
      return { status: 200, headers, body }
    }
    return {
      status: 200,
      headers,
      body: {
        errorType: errorType ?? error.awsType,
        errorMessage: error.message,
        ...(trace === undefined ? {} : { trace: traceOf(trace) }),
        errorCode: error.code
      }
    }
  }
  const headers: Record<string, string> = { 'x-amzn-errortype': error.awsType }
  if (error.status === 429) headers['retry-after'] = String(RETRY_AFTER_SECONDS)
  return {
    status: error.status,
    headers,
    body: {
      ...error.fields,
      Type: error.kind === 'client' ? 'User' : 'Service',
      message: error.message,
      Message: error.message,
      errorCode: error.code
    }
  }
}

/** A JS error's trace lines (kept as a JSON array in the error's fields). */
function traceOf(text: string): string[] {
  try {
    const lines: unknown = JSON.parse(text)
    return Array.isArray(lines) ? lines.map(String) : []
  } catch {
    return [] // a member sent a malformed trace: the error stands without it
  }
}

function send(res: ServerResponse, reply: Reply, requestId: string, closing: boolean): void {
  if (res.headersSent) return
  const headers: Record<string, string | string[]> =
    reply.headers === undefined
      ? { 'x-amzn-requestid': requestId }
      : { 'x-amzn-requestid': requestId, ...reply.headers }
  // A small body goes as a string with the headers, in one write; bytes as latin1 (byte for
  // byte), JSON as the UTF-8 of its text. A length, as AWS sends, rather than chunks.
  let body: Buffer | string | undefined
  let encoding: BufferEncoding = 'latin1'
  if (reply.body instanceof Uint8Array) {
    const bytes = Buffer.from(reply.body.buffer, reply.body.byteOffset, reply.body.byteLength)
    headers['content-type'] ??= 'application/octet-stream'
    headers['content-length'] = String(bytes.length)
    body = bytes.length <= ONE_WRITE_BYTES ? bytes.toString('latin1') : bytes
  } else if (reply.body !== undefined) {
    const text = JSON.stringify(reply.body)
    const length = Buffer.byteLength(text)
    headers['content-type'] ??= 'application/json'
    headers['content-length'] = String(length)
    body = length <= ONE_WRITE_BYTES ? text : Buffer.from(text)
    encoding = 'utf8'
  }
  if (closing) headers.connection = 'close'
  res.writeHead(reply.status, headers)
  if (typeof body === 'string') res.end(body, encoding)
  else res.end(body)
}
