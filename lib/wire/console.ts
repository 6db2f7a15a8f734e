/**
 * What the console (lib/console/, in the browser) reads from its edge: the `state` event of
 * `GET /events`, once a second. Types only: the console's bundle and the edge both import them,
 * so the two cannot drift apart.
 */

/** A point on Earth, in degrees. */
export interface ConsolePoint {
  lat: number
  lon: number
}

/** One edge as the edge serving the console sees it (itself included). */
export interface ConsoleNode {
  /** Swarm id (hex; '' for an edge in no cluster). */
  id: string
  name: string
  region: string
  httpUrl: string
  /** Calls queued or running on its executor. */
  load: number
  workers: number
  /** ms since the epoch. */
  startedAt: number
  self: boolean
  /** Connected to the serving edge (false: known by gossip, through `via`). */
  direct: boolean
  via?: string
  /** Its DHT node's address ('' for none). */
  dht: string
  /** Where its region is (null: a region outside the table). */
  geo: ConsolePoint | null
  distanceKm: number
  /** Members only: the last heartbeat's round trip, in ms. */
  rttMs?: number
  lastSeen?: number
  missed?: number
  strikes?: number
  /** Members only (the serving edge is healthy while it answers). */
  healthy?: boolean
}

/** A direct connection between two edges, with its measured round trip. */
export interface ConsoleLink {
  from: string
  to: string
  rttMs: number
}

/** The cluster as one edge sees it (also `GET /cluster`). */
export interface ConsoleCluster {
  /** The serving edge's id. */
  self: string
  nodes: ConsoleNode[]
  links: ConsoleLink[]
  /** Registry writers (bee keys, hex) this edge merges. */
  writers: string[]
}

/** A function as the Functions view lists it. */
export interface ConsoleFunction {
  name: string
  /** wasm, js, python or wasi. */
  kind: string
  /** The AWS runtime given at deploy ('' for our Wasm ABIs). */
  runtime: string
  /** Wasm ABI (v1, v2, json). */
  abi: string
  handler: string
  /** $LATEST's revision (one more per change). */
  revision: number
  /** Published version numbers, oldest first. */
  versions: string[]
  aliases: { name: string; version: string }[]
  /** Function URL paths on this edge ('' qualifier: the unqualified URL). */
  urls: { qualifier: string; authType: string; path: string }[]
  size: number
  /** ms since the epoch. */
  modified: number
  timeoutMs: number
  memoryMb: number
  reduce: string
  headerItems: number
}

/** The last minute of a function's calls on this edge, one point per second (oldest first). */
export interface ConsoleSeries {
  /** Seconds since the epoch. */
  at: number[]
  invocations: number[]
  errors: number[]
  throttles: number[]
  /** Durations in ms (null: no call that second). */
  p50: (number | null)[]
  p99: (number | null)[]
}

/** An async job (Event invocations, the jobs API, schedule firings). */
export interface ConsoleJob {
  id: string
  function: string
  status: string
  /** Shards done and in all (known where the job runs; 0 / 0 elsewhere). */
  done: number
  total: number
  acceptedBy: string
  /** ms since the epoch. */
  acceptedAt: number
  /** Edges that started an attempt, in order. */
  ranOn: string[]
  attempts: number
  /** The schedule that fired it, if any. */
  schedule: string | null
  finishedAt: number | null
}

/** A schedule (EventBridge Scheduler's shape, flattened). */
export interface ConsoleSchedule {
  name: string
  group: string
  expression: string
  state: string
  /** The function it invokes. */
  target: string
  /** ms since the epoch (null: none). */
  next: number | null
  last: number | null
}

/**
 * Whether the caller may see more than the cluster: `open` (the edge has no access keys),
 * `signed-in` (a valid key came with the request) or `anonymous` (keys are configured and none
 * came: only what the open endpoints show).
 */
export type ConsoleAccess = 'open' | 'signed-in' | 'anonymous'

/** The `state` event. Functions, stats, jobs and schedules are absent for `anonymous`. */
export interface ConsoleState {
  /** ms since the epoch. */
  at: number
  /** The serving edge's software version. */
  version: string
  access: ConsoleAccess
  cluster: ConsoleCluster
  functions?: ConsoleFunction[]
  stats?: Record<string, ConsoleSeries>
  jobs?: ConsoleJob[]
  schedules?: ConsoleSchedule[]
}
