import {
  Agent,
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse
} from 'node:http'
import { Readable } from 'node:stream'
import httpProxy from 'http-proxy'
import type { Logger } from 'pino'
import type { EdgeDirectory, KnownEdge } from '../directory.js'
import { EDGE_UNREACHABLE, INVALID_REQUEST, NO_HEALTHY_EDGE, REQUEST_TOO_LARGE } from '../errors.js'
import { errorReply, MAX_BODY_BYTES } from '../gateway/server.js'
import { boundAddress, listen } from '../listen.js'

export const DEFAULT_PROXY_PORT = 8790
/** The header naming the edge that answered. */
export const EDGE_HEADER = 'x-swarmlambda-edge'
/** Connection failures that mean the request never reached the edge: safe to send elsewhere. */
const RETRYABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH'])

/** Options for the proxy. */
export interface ProxyOptions {
  host: string
  port: number
  directory: EdgeDirectory
  log: Logger
}

/**
 * One port in front of the edges (http-proxy): each request goes to the nearest healthy edge
 * with the least in flight; if the connection to it fails before any byte of an answer, the
 * request is sent to the next one (the body is read first, so it can be sent again). Keeps Host,
 * adds X-Forwarded-For/-Port/-Proto, passes every AWS header both ways, and names the edge that
 * answered in `x-swarmlambda-edge`. No healthy edge: 503, AWS-shaped.
 */
export class Proxy {
  private readonly options: ProxyOptions
  private readonly server: Server
  private readonly proxy: httpProxy
  private readonly agent = new Agent({ keepAlive: true })
  /** The edge each request went to last, for the answer's header. */
  private readonly routed = new WeakMap<IncomingMessage, KnownEdge>()
  private readonly bodies = new WeakMap<IncomingMessage, Buffer>()
  /** Whether the request's last attempt went out on a pooled keep-alive socket. */
  private readonly reused = new WeakMap<IncomingMessage, boolean>()
  private closed: Promise<void> | null = null

  constructor(options: ProxyOptions) {
    this.options = options
    this.proxy = httpProxy.createProxyServer({ xfwd: true, agent: this.agent, changeOrigin: false })
    this.proxy.on('proxyReq', (proxyReq, req) => {
      // The body was read in full: it goes on with a length, never chunked.
      proxyReq.removeHeader('transfer-encoding')
      proxyReq.setHeader('content-length', (this.bodies.get(req) ?? Buffer.alloc(0)).length)
      this.reused.set(req, proxyReq.reusedSocket)
    })
    this.proxy.on('proxyRes', (proxyRes, req) => {
      const edge = this.routed.get(req)
      if (edge !== undefined) proxyRes.headers[EDGE_HEADER] = edge.name ?? edge.url
    })
    this.server = createServer((req, res) => void this.serve(req, res))
    this.server.on('connect', (_req, socket) => socket.destroy()) // not a forward proxy
  }

  /** Starts listening. */
  listen(): Promise<void> {
    return listen(this.server, this.options.port, this.options.host)
  }

  /** The address it listens on. */
  get address(): { host: string; port: number } {
    return boundAddress(this.server)
  }

  /** Stops listening and closes idle connections to the edges. Idempotent. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      const closing = new Promise<void>((resolve) => this.server.close(() => resolve()))
      this.server.closeIdleConnections()
      await closing
      this.proxy.close()
      this.agent.destroy()
    })()
    return this.closed
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? ''
    if (!url.startsWith('/')) {
      // An absolute-form URL asks for a forward proxy: only our edges are ever targets.
      return reply(res, errorReply(INVALID_REQUEST('only paths are proxied, not absolute URLs')))
    }
    let body: Buffer
    try {
      body = await readBody(req, MAX_BODY_BYTES)
    } catch {
      res.shouldKeepAlive = false // the rest of the body is not read
      return reply(res, errorReply(REQUEST_TOO_LARGE(MAX_BODY_BYTES)))
    }
    this.bodies.set(req, body)
    this.forward(req, res, body, new Set())
  }

  /**
   * Sends the request to the best edge not yet tried, or to `again` (an edge whose pooled socket
   * turned out closed: that says nothing of the edge, so it gets one more try on a fresh socket,
   * and is not marked down).
   */
  private forward(
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
    tried: Set<KnownEdge>,
    again?: KnownEdge
  ) {
    const { directory, log } = this.options
    const edge = again ?? directory.choose(tried)
    if (edge === null) {
      const err = tried.size === 0 ? NO_HEALTHY_EDGE() : EDGE_UNREACHABLE(tried.size)
      return reply(res, errorReply(err))
    }
    tried.add(edge)
    this.routed.set(req, edge)
    edge.inflight++
    let settled = false
    const done = () => {
      if (!settled) edge.inflight--
      settled = true
    }
    res.once('close', done)
    this.proxy.web(
      req,
      res,
      {
        target: edge.url,
        buffer: Readable.from(body.length === 0 ? [] : [body]),
        // The retry of a stale pooled socket gets a connection of its own.
        ...(again === undefined ? {} : { agent: false })
      },
      (err: Error & { code?: string }) => {
        done()
        res.removeListener('close', done)
        if (res.headersSent || !RETRYABLE.has(err.code ?? '')) {
          log.warn({ err, edge: edge.name ?? edge.url }, 'proxied request failed')
          if (!res.headersSent) return reply(res, errorReply(EDGE_UNREACHABLE(tried.size)))
          return void res.destroy()
        }
        // A keep-alive socket the edge had already closed (its idle timeout won the race):
        // the edge is fine; send it again there, once, on a fresh connection.
        if (this.reused.get(req) === true && again === undefined) {
          return this.forward(req, res, body, tried, edge)
        }
        directory.markDown(edge)
        this.forward(req, res, body, tried)
      }
    )
  }
}

function reply(res: ServerResponse, answer: ReturnType<typeof errorReply>): void {
  if (res.headersSent) return
  const body = Buffer.from(JSON.stringify(answer.body))
  res.writeHead(answer.status, { ...answer.headers, 'content-type': 'application/json' })
  res.end(body)
}

/** Reads a whole request body, refusing more than `limit` bytes. */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > limit) throw new Error('too large')
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}
