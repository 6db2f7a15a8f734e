import { join } from 'node:path'
import { parseAccessKeys, type AccessKey } from './gateway/auth.js'
import { REGIONS, regionPosition } from './regions.js'

/** Where the environment and the flags meet: one validated, frozen configuration of an edge. */

export const DEFAULT_HTTP_HOST = '127.0.0.1'
export const DEFAULT_HTTP_PORT = 8787
export const DEFAULT_CLUSTER_ID = 'local'
export const DEFAULT_REGION = 'us-west-sfo'
export const DEFAULT_NODE_NAME = 'edge-a'
/** Finished async jobs are kept this long for polling, then forgotten. */
export const DEFAULT_JOB_RETENTION_MS = 24 * 3_600_000
/** An edge unseen this long (three missed heartbeats) has its unfinished async jobs taken over. */
export const DEFAULT_JOB_LEASE_MS = 6_000
/** The first retry of a failed async invocation waits this long (AWS: about a minute). */
export const DEFAULT_ASYNC_RETRY_DELAY_MS = 1_000
export const ASYNC_ACKS = ['local', 'replicated'] as const
/** An invocation is cut into this many shards at most (executors pull them as they free up). */
export const DEFAULT_MAX_SHARDS = 32
/** How shards find executors: pulled as each frees up (steal), or one per slot up front (static). */
export const PLACEMENTS = ['steal', 'static'] as const
/** Invocations an edge runs at once by default (AWS's default account concurrency). */
export const DEFAULT_MAX_CONCURRENCY = 1_000
/** Items a v1 dataset may have by default (a 6 MB body holds fewer anyway). */
export const DEFAULT_MAX_DATASET_ITEMS = 10_000_000
/** AWS's own ceilings, the defaults of the edge's caps. */
export const DEFAULT_MAX_TIMEOUT_MS = 900_000
export const DEFAULT_MAX_MEMORY_MB = 4_095
/** Warm JS containers' memory per executor worker (each starts at QuickJS's 16 MiB floor). */
export const DEFAULT_CONTAINER_BUDGET_MB = 256
/**
 * Where function URLs live: `http://NAME.<this>/` (the DNS zone and the proxy's port of
 * `npm start`). An edge answers any Host `<label>.<its domain part>` as a function URL.
 */
export const DEFAULT_URL_DOMAIN = 'lambda.mesh:8790'
/** Hyperswarm's own default. */
export const DEFAULT_MAX_PEERS = 64
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

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

/** Each setting: its flag, its environment variable, and its help line. */
export const SETTINGS = {
  nodeName: {
    flag: 'name',
    env: 'SWARMLAMBDA_NODE_NAME',
    help: `node name (default ${DEFAULT_NODE_NAME})`
  },
  region: {
    flag: 'region',
    env: 'SWARMLAMBDA_REGION',
    help: `region id (default ${DEFAULT_REGION})`
  },
  httpHost: {
    flag: 'host',
    env: 'SWARMLAMBDA_HTTP_HOST',
    help: `HTTP address (default ${DEFAULT_HTTP_HOST})`
  },
  httpPort: {
    flag: 'port',
    env: 'SWARMLAMBDA_HTTP_PORT',
    help: `HTTP port (default ${DEFAULT_HTTP_PORT}; 0 picks one)`
  },
  stateDir: {
    flag: 'state-dir',
    env: 'SWARMLAMBDA_STATE_DIR',
    help: 'state directory (default state/<cluster>/<name>)'
  },
  clusterId: {
    flag: 'cluster-id',
    env: 'SWARMLAMBDA_CLUSTER_ID',
    help: `cluster id (default ${DEFAULT_CLUSTER_ID})`
  },
  clusterKey: {
    flag: 'cluster-key',
    env: 'SWARMLAMBDA_CLUSTER_KEY',
    help: 'cluster key, 64 hex chars (default: saved in the state dir)'
  },
  bootstrap: {
    flag: 'bootstrap',
    env: 'SWARMLAMBDA_BOOTSTRAP',
    help: "DHT bootstrap nodes host:port[,host:port], public (Hyperswarm's), or none (a lone edge)"
  },
  join: {
    flag: 'join',
    env: 'SWARMLAMBDA_JOIN',
    help: "join the mesh through these members' DHT addresses, host:port[,host:port]"
  },
  dhtPort: {
    flag: 'dht-port',
    env: 'SWARMLAMBDA_DHT_PORT',
    help: "UDP port of this edge's DHT node (default: the HTTP port number; 0 picks one)"
  },
  maxPeers: {
    flag: 'max-peers',
    env: 'SWARMLAMBDA_MAX_PEERS',
    help: `connections kept at most (default ${DEFAULT_MAX_PEERS}); other members are known by gossip`
  },
  logLevel: {
    flag: 'log-level',
    env: 'SWARMLAMBDA_LOG_LEVEL',
    help: `log level: ${LOG_LEVELS.join(', ')} (default info)`
  },
  logPretty: {
    flag: 'pretty',
    env: 'SWARMLAMBDA_LOG_PRETTY',
    help: 'human-readable logs instead of JSON lines (flag alone, or env 1/true)'
  },
  jobRetentionMs: {
    flag: 'job-retention',
    env: 'SWARMLAMBDA_JOB_RETENTION',
    help: 'how long finished async jobs are kept: 90s, 30m, 24h or ms (default 24h)'
  },
  jobLeaseMs: {
    flag: 'job-lease-ms',
    env: 'SWARMLAMBDA_JOB_LEASE_MS',
    help: `an edge unseen this long has its async jobs taken over (default ${DEFAULT_JOB_LEASE_MS})`
  },
  asyncRetryDelayMs: {
    flag: 'async-retry-delay-ms',
    env: 'SWARMLAMBDA_ASYNC_RETRY_DELAY_MS',
    help: `the first async retry's delay, doubled after (default ${DEFAULT_ASYNC_RETRY_DELAY_MS})`
  },
  asyncAck: {
    flag: 'async-ack',
    env: 'SWARMLAMBDA_ASYNC_ACK',
    help: 'local or replicated: whether a 202 waits for a member to hold the job (default replicated)'
  },
  maxShards: {
    flag: 'max-shards',
    env: 'SWARMLAMBDA_MAX_SHARDS',
    help: `most shards per invocation (default ${DEFAULT_MAX_SHARDS}; 1 runs everything here)`
  },
  testRpcDelayMs: {
    flag: 'test-rpc-delay-ms',
    env: 'SWARMLAMBDA_TEST_RPC_DELAY_MS',
    help: 'test hook: delay every member RPC answer sent or received by N ms, as if this edge were N ms away (default 0)'
  },
  placement: {
    flag: 'placement',
    env: 'SWARMLAMBDA_PLACEMENT',
    help: 'steal (default: executors pull shards as they free up) or static (one shard per executor slot)'
  },
  accessKeys: {
    flag: 'access-keys',
    env: 'SWARMLAMBDA_ACCESS_KEYS',
    help: 'access keys id:secret[,id:secret]: deploy, delete and jobs then need one (prefer the env: flags show in ps)'
  },
  invokeAuth: {
    flag: 'invoke-auth',
    env: 'SWARMLAMBDA_INVOKE_AUTH',
    help: 'open (default) or required: whether invocations need an access key too'
  },
  maxConcurrency: {
    flag: 'max-concurrency',
    env: 'SWARMLAMBDA_MAX_CONCURRENCY',
    help: `invocations this edge runs at once; more get 429 (default ${DEFAULT_MAX_CONCURRENCY})`
  },
  maxDatasetItems: {
    flag: 'max-dataset-items',
    env: 'SWARMLAMBDA_MAX_DATASET_ITEMS',
    help: `items a dataset may have; more get 413 (default ${DEFAULT_MAX_DATASET_ITEMS})`
  },
  maxTimeoutMs: {
    flag: 'max-timeout-ms',
    env: 'SWARMLAMBDA_MAX_TIMEOUT_MS',
    help: `the longest function timeout here (default ${DEFAULT_MAX_TIMEOUT_MS})`
  },
  maxMemoryMb: {
    flag: 'max-memory-mb',
    env: 'SWARMLAMBDA_MAX_MEMORY_MB',
    help: `the most memory a function may have here (default ${DEFAULT_MAX_MEMORY_MB})`
  },
  containerBudgetMb: {
    flag: 'container-budget-mb',
    env: 'SWARMLAMBDA_CONTAINER_BUDGET_MB',
    help: `warm JS and Python containers' memory per executor worker, MB (default ${DEFAULT_CONTAINER_BUDGET_MB})`
  },
  urlDomain: {
    flag: 'url-domain',
    env: 'SWARMLAMBDA_URL_DOMAIN',
    help: `domain[:port] of function URLs, http://NAME.<domain>/ (default ${DEFAULT_URL_DOMAIN})`
  }
} as const satisfies Record<keyof Config, { flag: string; env: string; help: string }>

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
