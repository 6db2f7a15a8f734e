import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import { INVALID_REQUEST, REQUEST_TOO_LARGE } from '../errors.js'

/**
 * A request as routes see it: read within the limit, its target split as sent and parsed into a
 * URL only when a route asks.
 */

/** The base a request's path is resolved against. */
const ORIGIN = 'http://edge.invalid'
/**
 * A path made of these characters only is its own WHATWG pathname (no dot segment, escape or
 * backslash to normalise), so it is routed as sent, without parsing a URL.
 */
const PLAIN_PATH = /^\/(?!\/)[A-Za-z0-9\-_~!$&'()*+,;=:@/]*$/
/** AWS Lambda's own limit for a synchronous request body. */
export const MAX_BODY_BYTES = 6 * 1024 * 1024
/** A request, read and routed: handlers parse `body` themselves, once, into typed values. */
export interface Request {
  method: string
  /** The request's URL, parsed when first read (most requests never need more than the path). */
  readonly url: URL
  /** The path exactly as sent (still percent-encoded): what a SigV4 signature covers. */
  rawPath: string
  /** The query exactly as sent, without its `?` ('' when there is none). */
  rawQuery: string
  headers: IncomingHttpHeaders
  /** Names and values as sent, in order (repeated headers kept apart). */
  rawHeaders: string[]
  /** The client's address, and its HTTP version (`HTTP/1.1`). */
  sourceIp: string
  protocol: string
  /** The route's capture groups, decoded. */
  params: string[]
  body: Buffer
  requestId: string
  /** The access key id that signed the request (null for an open call). */
  principal: string | null
}

/** A request as the gateway hands it to routes (a class: its lazy `url` is on the prototype). */
export class Received implements Request {
  readonly method: string
  readonly rawPath: string
  readonly rawQuery: string
  readonly headers: IncomingHttpHeaders
  readonly rawHeaders: string[]
  readonly sourceIp: string
  readonly protocol: string
  principal: string | null = null

  constructor(
    req: IncomingMessage,
    private readonly target: Target,
    readonly params: string[],
    readonly body: Buffer,
    readonly requestId: string
  ) {
    this.method = req.method ?? 'GET'
    this.rawPath = target.rawPath
    this.rawQuery = target.rawQuery
    this.headers = req.headers
    this.rawHeaders = req.rawHeaders
    this.sourceIp = req.socket.remoteAddress ?? ''
    this.protocol = `HTTP/${req.httpVersion}`
  }

  get url(): URL {
    return this.target.url
  }
}

/** A request target (`/path?query`), split as sent; parsed as a URL only when asked. */
export class Target {
  readonly rawPath: string
  readonly rawQuery: string
  private parsed: URL | null = null

  constructor(private readonly raw: string) {
    const q = raw.indexOf('?')
    this.rawPath = q < 0 ? raw : raw.slice(0, q)
    this.rawQuery = q < 0 ? '' : raw.slice(q + 1)
  }

  get url(): URL {
    return (this.parsed ??= new URL(this.raw, ORIGIN))
  }

  /** The path routes match: as sent when that is already its normal form. */
  get pathname(): string {
    return PLAIN_PATH.test(this.rawPath) ? this.rawPath : this.url.pathname
  }
}

export function decodePathPart(part: string): string {
  try {
    return decodeURIComponent(part)
  } catch (err) {
    throw INVALID_REQUEST(`the path has a malformed percent-encoding: ${part}`, err)
  }
}

/**
 * The body, read within the limit. With a Content-Length (the usual case) the chunks are copied
 * once into a buffer of that size; Buffer.concat would copy them all a second time (about 1 ms
 * for 4 MB). A body of 4 KB or more gets a buffer of its own, so a view of it holds nothing else.
 * Read with listeners, not `for await`: the async iterator costs more than the rest of reading a
 * small body.
 */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  const header = req.headers['content-length']
  const declared = header === undefined ? -1 : Number(header)
  if (declared > MAX_BODY_BYTES) {
    req.resume()
    return Promise.reject(REQUEST_TOO_LARGE(MAX_BODY_BYTES))
  }
  if (declared === 0) return Promise.resolve(Buffer.alloc(0))
  const into = Number.isSafeInteger(declared) && declared > 0 ? Buffer.allocUnsafe(declared) : null
  const limit = into === null ? MAX_BODY_BYTES : declared
  const chunks: Buffer[] = []
  let size = 0
  return new Promise<Buffer>((resolve, reject) => {
    // The listeners stay until the request is dropped (removing four per request costs more
    // than the calls they answer after settling, which return at once).
    let settled = false
    const onData = (chunk: Buffer): void => {
      if (settled) return
      if (size + chunk.length > limit) {
        settled = true
        req.resume()
        return reject(REQUEST_TOO_LARGE(MAX_BODY_BYTES))
      }
      if (into === null) chunks.push(chunk)
      else chunk.copy(into, size)
      size += chunk.length
    }
    const onEnd = (): void => {
      if (settled) return
      settled = true
      // Node's parser ends a body at its Content-Length, and a short one as an abort (below).
      if (into === null) resolve(Buffer.concat(chunks, size))
      else resolve(size === declared ? into : into.subarray(0, size))
    }
    // The client went away mid-body (an "aborted" error, or a close before the end): its fault,
    // and nobody is there to answer.
    const onAbort = (err?: Error): void => {
      if (settled) return
      settled = true
      reject(INVALID_REQUEST('the client closed the connection before the body ended', err))
    }
    req.on('data', onData)
    req.on('end', onEnd)
    req.on('error', onAbort)
    req.on('close', onAbort)
  })
}
