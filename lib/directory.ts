import type { Logger } from 'pino'
import { request } from 'undici'
import { regionDistanceKm } from './regions.js'

/** How often every edge's /healthz is read (and, when discovering, a healthy edge's /cluster). */
const CHECK_MS = 1_000
/** A health check unanswered after this long counts as a failure. */
const CHECK_TIMEOUT_MS = 1_000
/** Edges within this distance of each other are equally near: load decides among them. */
const DISTANCE_BAND_KM = 500

/** An edge as seen from outside the mesh (by the proxy and the DNS server). */
export interface KnownEdge {
  /** Base URL, `http://host:port`. */
  url: string
  host: string
  port: number
  /** From its /healthz, once it answered. */
  name: string | null
  region: string | null
  healthy: boolean
  /** Requests this process has in flight to it. */
  inflight: number
  /** Listed in the configuration, or learned from an edge's GET /cluster. */
  source: 'configured' | 'discovered'
}

/** Options for the directory. */
export interface DirectoryOptions {
  /** Edges to start from (SWARMLAMBDA_EDGES). */
  edges: readonly { host: string; port: number }[]
  /** Add the members the edges list in GET /cluster. */
  discover: boolean
  /** The region this process stands in, for "nearest". */
  region: string
  log: Logger
  checkMs?: number
}

interface HealthBody {
  node?: unknown
  region?: unknown
}

interface ClusterBody {
  nodes?: { httpUrl?: unknown }[]
}

/**
 * The edges of a mesh, kept checked: every second each edge's /healthz says whether it is up and
 * what it is called; with `discover`, a healthy edge's GET /cluster adds the members it knows.
 * Only these edges are ever targets: nothing a client sends can add one.
 */
export class EdgeDirectory {
  private readonly edges = new Map<string, KnownEdge>()
  private readonly options: DirectoryOptions
  private timer: NodeJS.Timeout | null = null
  private turn = 0

  constructor(options: DirectoryOptions) {
    this.options = options
    for (const { host, port } of options.edges) this.add(host, port, 'configured')
  }

  /** Checks every edge once, then keeps checking in the background. */
  async start(): Promise<void> {
    await this.check()
    this.timer = setInterval(() => void this.check(), this.options.checkMs ?? CHECK_MS)
    this.timer.unref()
  }

  /** Stops checking. */
  close(): void {
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
  }

  /** Every known edge. */
  list(): KnownEdge[] {
    return [...this.edges.values()]
  }

  /**
   * The edge a request should go to, or null when no healthy edge is left: the nearest to this
   * process's region (500 km bands), the least busy among equals, taking turns on ties.
   */
  choose(exclude: ReadonlySet<KnownEdge> = new Set()): KnownEdge | null {
    const healthy = this.list().filter((e) => e.healthy && !exclude.has(e))
    if (healthy.length === 0) return null
    const band = (e: KnownEdge) =>
      Math.floor(regionDistanceKm(this.options.region, e.region ?? '') / DISTANCE_BAND_KM)
    // Among the nearest band, the least busy; a farther edge only once it is less busy than
    // the nearest by more than one request per band of distance.
    const cost = (e: KnownEdge) => band(e) * 0.25 + e.inflight
    const best = Math.min(...healthy.map(cost))
    const ties = healthy.filter((e) => cost(e) === best)
    return ties[this.turn++ % ties.length] ?? null
  }

  /** A connection to the edge failed: it takes no requests until a health check says otherwise. */
  markDown(edge: KnownEdge): void {
    if (edge.healthy) this.options.log.warn({ edge: edge.name ?? edge.url }, 'edge unreachable')
    edge.healthy = false
  }

  private add(host: string, port: number, source: KnownEdge['source']): KnownEdge {
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`
    let edge = this.edges.get(url)
    if (edge === undefined) {
      edge = { url, host, port, name: null, region: null, healthy: false, inflight: 0, source }
      this.edges.set(url, edge)
    }
    return edge
  }

  private async check(): Promise<void> {
    await Promise.all(this.list().map((edge) => this.checkOne(edge)))
    if (!this.options.discover) return
    const source = this.list().find((e) => e.healthy)
    if (source === undefined) return
    const body = await this.get<ClusterBody>(`${source.url}/cluster`)
    const fresh: KnownEdge[] = []
    for (const node of body?.nodes ?? []) {
      if (typeof node.httpUrl !== 'string') continue
      let parsed: URL
      try {
        parsed = new URL(node.httpUrl)
      } catch {
        continue
      }
      if (parsed.protocol !== 'http:' || parsed.port === '') continue
      const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1')
      const before = this.edges.size
      const edge = this.add(host, Number(parsed.port), 'discovered')
      if (this.edges.size > before) fresh.push(edge)
    }
    await Promise.all(fresh.map((edge) => this.checkOne(edge)))
  }

  private async checkOne(edge: KnownEdge): Promise<void> {
    const body = await this.get<HealthBody>(`${edge.url}/healthz`)
    const healthy = body !== null
    if (healthy !== edge.healthy) {
      this.options.log.info({ edge: edge.name ?? edge.url, healthy }, 'edge health changed')
    }
    edge.healthy = healthy
    if (body !== null) {
      if (typeof body.node === 'string') edge.name = body.node
      if (typeof body.region === 'string') edge.region = body.region
    }
  }

  /** GET a JSON body; null on any failure (refused, timeout, non-200, not JSON). */
  private async get<T>(url: string): Promise<T | null> {
    try {
      const res = await request(url, {
        headersTimeout: CHECK_TIMEOUT_MS,
        bodyTimeout: CHECK_TIMEOUT_MS
      })
      if (res.statusCode !== 200) {
        await res.body.dump()
        return null
      }
      return (await res.body.json()) as T
    } catch {
      return null
    }
  }
}
