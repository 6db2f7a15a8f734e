import type { ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import type tap from 'tap'
import { Dispatcher, request } from 'undici'
import { startDht, startEdge } from './processes.js'

/** What tests need of tap to set up and clean up. */
type TestLike = Pick<typeof tap, 'teardown' | 'testdir'>

/** GET /cluster, as far as tests read it. */
export interface ClusterView {
  self: string
  nodes: {
    id: string
    name: string
    region: string
    httpUrl: string
    self: boolean
    geo: { lat: number; lon: number } | null
    distanceKm: number
    rttMs?: number
    healthy?: boolean
    strikes?: number
    /** Connected to the edge asked (false: known by gossip). */
    direct: boolean
    /** Its DHT node's address. */
    dht: string
  }[]
  links: { from: string; to: string; rttMs: number }[]
  writers: string[]
}

/** One edge process of a test cluster. */
export interface TestEdge {
  name: string
  region: string
  dir: string
  url: string
  child: ChildProcess
  /** Its JSON log lines since it was ready. */
  logs: () => Record<string, unknown>[]
}

/** A JSON answer. */
export interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Record<string, unknown>
}

/**
 * A request to an edge, answered as JSON (an empty body reads as {}); through `dispatcher` when
 * given (e.g. one that connects to a relay into the edge's network namespace).
 */
export async function http(
  url: string,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
  via?: Dispatcher | Record<string, string>
): Promise<Answer> {
  const dispatcher = via instanceof Dispatcher ? via : undefined
  const extra = via instanceof Dispatcher ? {} : (via ?? {})
  const res = await request(url + path, {
    method,
    ...(dispatcher === undefined ? {} : { dispatcher }),
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...extra },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  const text = await res.body.text()
  const json = text === '' ? {} : (JSON.parse(text) as unknown)
  const object = typeof json === 'object' && json !== null ? json : { value: json }
  return { status: res.statusCode, headers: res.headers, body: object as Record<string, unknown> }
}

/** Deploys a module with the seed's `POST /functions` (plus any other fields); the answer as is. */
export function deploy(
  url: string,
  name: string,
  wasm: Uint8Array,
  extra: Record<string, unknown> = {}
): Promise<Answer> {
  return http(url, 'POST', '/functions', {
    name,
    wasm_base64: Buffer.from(wasm).toString('base64'),
    ...extra
  })
}

/** GET /cluster. */
export async function clusterView(url: string): Promise<ClusterView> {
  return (await http(url, 'GET', '/cluster')).body as unknown as ClusterView
}

/**
 * Polls `check` every 50 ms until it returns a value other than undefined, and resolves with
 * it; rejects after `deadlineMs` (the condition is an event in another process: there is
 * nothing to await but its visible effect).
 */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  deadlineMs = 30_000,
  everyMs = 50
): Promise<T> {
  const deadline = Date.now() + deadlineMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`not within ${deadlineMs} ms: ${what}`)
    await new Promise((resolve) => setTimeout(resolve, everyMs))
  }
}

/**
 * Resolves once every edge lists every other one in GET /cluster (within 60 s: on a loaded
 * 2-core CI machine, processes starting together take several discovery rounds).
 */
export async function converge(edges: readonly { url: string }[]): Promise<ClusterView[]> {
  return eventually(
    'every edge lists every other one',
    async () => {
      const views = await Promise.all(edges.map((e) => clusterView(e.url)))
      return views.every((v) => v.nodes.length === edges.length) ? views : undefined
    },
    60_000
  )
}

/** Regions the test edges get, in order. */
export const TEST_REGIONS = ['us-west-sfo', 'us-east-iad', 'eu-central-fra'] as const

/** Starts a local DHT bootstrap node and edges `edge-a`, `edge-b`, ... sharing one cluster key. */
export async function startCluster(
  t: TestLike,
  count: number,
  key = 'ab'.repeat(32),
  env: Record<string, string> = {}
): Promise<{ bootstrap: string; key: string; edges: TestEdge[]; dht: ChildProcess }> {
  const { bootstrap, child: dht } = await startDht(t)
  const names = Array.from({ length: count }, (_, i) => `edge-${String.fromCharCode(97 + i)}`)
  const root = t.testdir(Object.fromEntries(names.map((n) => [n, {}])))
  const edges = await Promise.all(
    names.map((name, i) =>
      startClusterEdge(
        t,
        { name, region: TEST_REGIONS[i % TEST_REGIONS.length]!, dir: join(root, name) },
        bootstrap,
        key,
        env
      )
    )
  )
  return { bootstrap, key, edges, dht }
}

/** Starts (or restarts, on its state dir) one edge of a test cluster. */
export async function startClusterEdge(
  t: TestLike,
  edge: { name: string; region: string; dir: string },
  bootstrap: string,
  key: string,
  env: Record<string, string> = {}
): Promise<TestEdge> {
  const { child, url, logs } = await startEdge(t, edge.dir, {
    SWARMLAMBDA_NODE_NAME: edge.name,
    SWARMLAMBDA_REGION: edge.region,
    SWARMLAMBDA_CLUSTER_KEY: key,
    SWARMLAMBDA_BOOTSTRAP: bootstrap,
    ...env
  })
  return { ...edge, url, child, logs }
}
