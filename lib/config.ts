import { join } from 'node:path'
import { parseAccessKeys, type AccessKey } from './gateway/auth.js'
import { REGIONS, regionPosition } from './regions.js'
import {
  DEFAULT_HTTP_HOST,
  DEFAULT_HTTP_PORT,
  DEFAULT_CLUSTER_ID,
  DEFAULT_REGION,
  DEFAULT_NODE_NAME,
  DEFAULT_JOB_RETENTION_MS,
  DEFAULT_JOB_LEASE_MS,
  DEFAULT_ASYNC_RETRY_DELAY_MS,
  ASYNC_ACKS,
  DEFAULT_MAX_SHARDS,
  PLACEMENTS,
  DEFAULT_MAX_CONCURRENCY,
  DEFAULT_MAX_DATASET_ITEMS,
  DEFAULT_MAX_TIMEOUT_MS,
  DEFAULT_MAX_MEMORY_MB,
  DEFAULT_CONTAINER_BUDGET_MB,
  DEFAULT_URL_DOMAIN,
  DEFAULT_MAX_PEERS,
  LOG_LEVELS,
  SETTINGS
} from './flags.js'

/** Where the environment and the flags meet: one validated, frozen configuration of an edge. */

/** A validated edge configuration. */
export interface Config {
  nodeName: string
  region: string
  httpHost: string
  httpPort: number
  stateDir: string
  clusterId: string
  /** 32 bytes as 64 hex characters; when absent the edge loads or creates one in its state dir. */
  clusterKey: string | null
  /**
   * DHT bootstrap nodes (SWARMLAMBDA_BOOTSTRAP): the nodes listed (maybe none), `public`
   * (Hyperswarm's public bootstrap nodes) or `none` (a lone edge: no DHT node, no swarm).
   * Remembered members and `join` are added to the first two.
   */
  bootstrap: readonly { host: string; port: number }[] | 'public' | 'none'
  /** Members' DHT addresses to join through (SWARMLAMBDA_JOIN). */
  join: { host: string; port: number }[]
  /** This edge's DHT node's UDP port (null: not given; the HTTP port then, or any with 0). */
  dhtPort: number | null
  /** Connections Hyperswarm keeps at most; members beyond it are known by gossip. */
  maxPeers: number
  logLevel: (typeof LOG_LEVELS)[number]
  /** Human-readable log lines (pino-pretty) instead of JSON. */
  logPretty: boolean
  /** Finished async jobs are kept this long (then removed with their log segments). */
  jobRetentionMs: number
  jobLeaseMs: number
  asyncRetryDelayMs: number
  /** An async accept waits for the disk only, or for a member to hold it too. */
  asyncAck: (typeof ASYNC_ACKS)[number]
  maxShards: number
  /** Test hook: every RPC answer this edge sends or receives waits this long (a far member). */
  testRpcDelayMs: number
  /** Work-stealing shards (the default), or today's static one-shard-per-slot placement. */
  placement: (typeof PLACEMENTS)[number]
  /** Access keys; when there are any, control-plane routes need one (SigV4 or Bearer). */
  accessKeys: readonly AccessKey[]
  /** Invocations need an access key too (only with access keys). */
  invokeAuth: boolean
  /** Invocations this edge runs at once (over it: 429). */
  maxConcurrency: number
  /** Items a v1 dataset may have on this edge (over it: 413). */
  maxDatasetItems: number
  /** The longest timeout and the most memory a function may have here (deploys over them are
   * refused; a replicated function over them runs within them). */
  maxTimeoutMs: number
  maxMemoryMb: number
  /** Warm JS containers' memory per executor worker, MB (least recently used out beyond it). */
  containerBudgetMb: number
  /** `domain[:port]` of function URLs (`http://NAME.<urlDomain>/`). */
  urlDomain: string
}

/**
 * A `host:port[,host:port]` list (SWARMLAMBDA_BOOTSTRAP, SWARMLAMBDA_EDGES); each entry that is
 * not one is passed to `bad` and left out.
 */
export function parseHostPorts(
  text: string,
  bad: (entry: string) => void
): { host: string; port: number }[] {
  const list: { host: string; port: number }[] = []
  for (const entry of text.split(',').filter((e) => e.trim() !== '')) {
    const match = /^(.+):(\d{1,5})$/.exec(entry.trim())
    const port = Number(match?.[2])
    if (match === null || port < 1 || port > 65_535) bad(entry)
    else list.push({ host: (match[1] as string).replace(/^\[(.*)\]$/, '$1'), port })
  }
  return list
}

/** Every problem found in a configuration, reported together. */
export class ConfigError extends Error {
  readonly problems: string[]
  constructor(problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.name = 'ConfigError'
    this.problems = problems
  }
}

type Source = Readonly<Record<string, string | undefined>>

const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/
const HOSTNAME = /^[a-zA-Z0-9.:[\]-]+$/

/**
 * Builds the configuration from parsed flags (by flag name) over environment variables. Every
 * invalid value is collected, then thrown as one ConfigError; the result is frozen.
 */
export function loadConfig(flags: Source, env: Source): Config {
  const problems: string[] = []
  const raw = (key: keyof Config): string | undefined => {
    const { flag, env: variable } = SETTINGS[key]
    const value = flags[flag] ?? env[variable]
    return value === undefined || value === '' ? undefined : value
  }
  const describe = (key: keyof Config) => `--${SETTINGS[key].flag} / ${SETTINGS[key].env}`

  const name = (key: 'nodeName' | 'region' | 'clusterId', fallback: string): string => {
    const value = raw(key) ?? fallback
    if (!NAME.test(value)) {
      problems.push(
        `${describe(key)}: "${value}" must be lowercase letters, digits and dashes (1-63)`
      )
    }
    return value
  }
  const integer = (
    key:
      | 'httpPort'
      | 'jobLeaseMs'
      | 'asyncRetryDelayMs'
      | 'maxShards'
      | 'testRpcDelayMs'
      | 'dhtPort'
      | 'maxPeers'
      | 'maxConcurrency'
      | 'maxDatasetItems'
      | 'maxTimeoutMs'
      | 'maxMemoryMb'
      | 'containerBudgetMb',
    fallback: number,
    min: number,
    max: number
  ) => {
    const text = raw(key)
    if (text === undefined) return fallback
    const value = Number(text)
    if (!/^\d+$/.test(text) || value < min || value > max) {
      problems.push(`${describe(key)}: "${text}" must be an integer from ${min} to ${max}`)
    }
    return value
  }

  const nodeName = name('nodeName', DEFAULT_NODE_NAME)
  const region = name('region', DEFAULT_REGION)
  if (NAME.test(region) && regionPosition(region) === null) {
    problems.push(
      `${describe('region')}: "${region}" is not a known region (${REGIONS.join(', ')})`
    )
  }
  const clusterId = name('clusterId', DEFAULT_CLUSTER_ID)
  const httpPort = integer('httpPort', DEFAULT_HTTP_PORT, 0, 65_535)
  const jobRetentionMs = duration(raw('jobRetentionMs'), DEFAULT_JOB_RETENTION_MS)
  if (jobRetentionMs === null || jobRetentionMs < 1_000 || jobRetentionMs > 30 * 86_400_000) {
    problems.push(
      `${describe('jobRetentionMs')}: "${raw('jobRetentionMs')}" must be a duration from 1s to 30 days (90s, 30m, 24h, or ms)`
    )
  }
  const jobLeaseMs = integer('jobLeaseMs', DEFAULT_JOB_LEASE_MS, 500, 3_600_000)
  const asyncRetryDelayMs = integer('asyncRetryDelayMs', DEFAULT_ASYNC_RETRY_DELAY_MS, 0, 600_000)
  const ackText = raw('asyncAck') ?? 'replicated'
  if (!(ASYNC_ACKS as readonly string[]).includes(ackText)) {
    problems.push(`${describe('asyncAck')}: "${ackText}" is not local or replicated`)
  }
  const maxShards = integer('maxShards', DEFAULT_MAX_SHARDS, 1, 256)
  const testRpcDelayMs = integer('testRpcDelayMs', 0, 0, 10_000)
  const placementText = raw('placement') ?? 'steal'
  if (!(PLACEMENTS as readonly string[]).includes(placementText)) {
    problems.push(`${describe('placement')}: "${placementText}" is not steal or static`)
  }
  const maxConcurrency = integer('maxConcurrency', DEFAULT_MAX_CONCURRENCY, 1, 1_000_000)
  const maxDatasetItems = integer(
    'maxDatasetItems',
    DEFAULT_MAX_DATASET_ITEMS,
    1,
    DEFAULT_MAX_DATASET_ITEMS
  )
  const maxTimeoutMs = integer('maxTimeoutMs', DEFAULT_MAX_TIMEOUT_MS, 1, DEFAULT_MAX_TIMEOUT_MS)
  const maxMemoryMb = integer('maxMemoryMb', DEFAULT_MAX_MEMORY_MB, 1, DEFAULT_MAX_MEMORY_MB)
  const containerBudgetMb = integer('containerBudgetMb', DEFAULT_CONTAINER_BUDGET_MB, 16, 65_536)

  const urlDomain = (raw('urlDomain') ?? DEFAULT_URL_DOMAIN).toLowerCase()
  if (!/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?$/.test(urlDomain)) {
    problems.push(`${describe('urlDomain')}: "${urlDomain}" is not domain[:port]`)
  }

  const httpHost = raw('httpHost') ?? DEFAULT_HTTP_HOST
  if (!HOSTNAME.test(httpHost))
    problems.push(`${describe('httpHost')}: "${httpHost}" is not a host`)

  const clusterKey = raw('clusterKey')?.toLowerCase() ?? null
  if (clusterKey !== null && !/^[0-9a-f]{64}$/.test(clusterKey)) {
    problems.push(`${describe('clusterKey')}: must be 64 hex characters (32 bytes)`)
  }

  const bootstrapText = raw('bootstrap') ?? ''
  const bootstrap =
    bootstrapText === 'public' || bootstrapText === 'none'
      ? bootstrapText
      : Object.freeze(
          parseHostPorts(bootstrapText, (entry) =>
            problems.push(`${describe('bootstrap')}: "${entry}" is not host:port, public or none`)
          )
        )
  const joinNodes = parseHostPorts(raw('join') ?? '', (entry) =>
    problems.push(`${describe('join')}: "${entry}" is not host:port`)
  )
  const dhtPort = raw('dhtPort') === undefined ? null : integer('dhtPort', 0, 0, 65_535)
  const maxPeers = integer('maxPeers', DEFAULT_MAX_PEERS, 1, 1_024)

  const logLevel = (raw('logLevel') ?? 'info') as Config['logLevel']
  if (!LOG_LEVELS.includes(logLevel)) {
    problems.push(`${describe('logLevel')}: "${logLevel}" is not one of ${LOG_LEVELS.join(', ')}`)
  }

  const prettyText = raw('logPretty')?.toLowerCase() ?? 'false'
  const logPretty = ['1', 'true', 'yes'].includes(prettyText)
  if (!logPretty && !['0', 'false', 'no'].includes(prettyText)) {
    problems.push(`${describe('logPretty')}: "${prettyText}" is not true or false`)
  }

  const stateDir = raw('stateDir') ?? join('state', clusterId, nodeName)

  const accessKeys = parseAccessKeys(raw('accessKeys') ?? '', (entry) =>
    problems.push(
      `${describe('accessKeys')}: "${entry}" is not id:secret (id: letters, digits, _ or -, up to 128; secret: 8-256 printable characters)`
    )
  )
  const invokeText = raw('invokeAuth') ?? 'open'
  if (invokeText !== 'open' && invokeText !== 'required') {
    problems.push(`${describe('invokeAuth')}: "${invokeText}" is not open or required`)
  }
  const invokeAuth = invokeText === 'required'
  if (invokeAuth && accessKeys.length === 0) {
    problems.push(
      `${describe('invokeAuth')}: required needs access keys (${describe('accessKeys')})`
    )
  }

  if (problems.length > 0) throw new ConfigError(problems)
  return Object.freeze({
    nodeName,
    region,
    httpHost,
    httpPort,
    stateDir,
    clusterId,
    clusterKey,
    bootstrap,
    join: Object.freeze(joinNodes) as Config['join'],
    dhtPort,
    maxPeers,
    logLevel,
    logPretty,
    jobRetentionMs: jobRetentionMs ?? DEFAULT_JOB_RETENTION_MS,
    jobLeaseMs,
    asyncRetryDelayMs,
    asyncAck: ackText as Config['asyncAck'],
    maxShards,
    placement: placementText as Config['placement'],
    testRpcDelayMs,
    accessKeys: Object.freeze(accessKeys.map((k) => Object.freeze(k))),
    invokeAuth,
    maxConcurrency,
    maxDatasetItems,
    maxTimeoutMs,
    maxMemoryMb,
    containerBudgetMb,
    urlDomain
  })
}

/** `90s`, `30m`, `24h`, `500ms` or a bare number of ms; null when it is none of them. */
function duration(text: string | undefined, fallback: number): number | null {
  if (text === undefined) return fallback
  const match = /^(\d{1,12})(ms|s|m|h|d)?$/.exec(text.trim())
  if (match === null) return null
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }
  return Number(match[1]) * unit[(match[2] ?? 'ms') as keyof typeof unit]
}
