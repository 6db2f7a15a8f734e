import type { Config } from './config.js'

/** The edge's settings as flags and environment variables, with their defaults. */

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
