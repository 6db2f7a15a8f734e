import t from 'tap'
import { ConfigError, loadConfig } from '../lib/config.js'

t.test('defaults', async (t) => {
  const config = loadConfig({}, {})
  t.same(config, {
    nodeName: 'edge-a',
    region: 'us-west-sfo',
    httpHost: '127.0.0.1',
    httpPort: 8787,
    stateDir: 'state/local/edge-a',
    clusterId: 'local',
    clusterKey: null,
    bootstrap: [],
    join: [],
    dhtPort: null,
    maxPeers: 64,
    logLevel: 'info',
    logPretty: false,
    jobRetentionMs: 86_400_000,
    jobLeaseMs: 6_000,
    asyncRetryDelayMs: 1_000,
    asyncAck: 'replicated',
    maxShards: 32,
    placement: 'steal',
    testRpcDelayMs: 0,
    accessKeys: [],
    invokeAuth: false,
    maxConcurrency: 1_000,
    maxDatasetItems: 10_000_000,
    maxTimeoutMs: 900_000,
    maxMemoryMb: 4_095,
    containerBudgetMb: 256,
    urlDomain: 'lambda.mesh:8790'
  })
  t.ok(Object.isFrozen(config))
})

t.test('async settings: retention as a duration, the ack, the lease', async (t) => {
  t.equal(loadConfig({ 'job-retention': '90s' }, {}).jobRetentionMs, 90_000)
  t.equal(loadConfig({}, { SWARMLAMBDA_JOB_RETENTION: '2h' }).jobRetentionMs, 7_200_000)
  t.equal(loadConfig({ 'job-retention': '1500' }, {}).jobRetentionMs, 1_500)
  t.equal(loadConfig({ 'async-ack': 'local' }, {}).asyncAck, 'local')
  t.throws(() => loadConfig({ 'async-ack': 'maybe' }, {}), /"maybe" is not local or replicated/)
  t.throws(() => loadConfig({ 'job-retention': '1y' }, {}), /must be a duration/)
  t.equal(loadConfig({ 'job-lease-ms': '2000' }, {}).jobLeaseMs, 2_000)
})

t.test('function URLs live under --url-domain', async (t) => {
  t.equal(loadConfig({ 'url-domain': 'Fn.Example.COM' }, {}).urlDomain, 'fn.example.com')
  t.equal(loadConfig({}, { SWARMLAMBDA_URL_DOMAIN: 'edge.test:80' }).urlDomain, 'edge.test:80')
  t.throws(() => loadConfig({ 'url-domain': 'http://x/' }, {}), /is not domain\[:port\]/)
})

t.test('environment variables, overridden by flags', async (t) => {
  const env = {
    SWARMLAMBDA_NODE_NAME: 'edge-b',
    SWARMLAMBDA_REGION: 'us-east-iad',
    SWARMLAMBDA_HTTP_PORT: '8788',
    SWARMLAMBDA_CLUSTER_ID: 'prod',
    SWARMLAMBDA_CLUSTER_KEY: 'AB'.repeat(32),
    SWARMLAMBDA_BOOTSTRAP: '127.0.0.1:49737, localhost:49738'
  }
  const config = loadConfig({ port: '9000' }, env)
  t.equal(config.nodeName, 'edge-b')
  t.equal(config.region, 'us-east-iad')
  t.equal(config.httpPort, 9000, 'the flag wins')
  t.equal(config.stateDir, 'state/prod/edge-b')
  t.equal(config.clusterKey, 'ab'.repeat(32))
  t.equal(loadConfig({ 'max-shards': '1' }, {}).maxShards, 1)
  t.equal(loadConfig({ placement: 'static' }, {}).placement, 'static')
  t.equal(loadConfig({}, { SWARMLAMBDA_PLACEMENT: 'static' }).placement, 'static')
  t.throws(() => loadConfig({ placement: 'random' }, {}), /"random" is not steal or static/)
  t.equal(loadConfig({}, { SWARMLAMBDA_TEST_RPC_DELAY_MS: '40' }).testRpcDelayMs, 40)
  t.equal(loadConfig({ pretty: 'true' }, {}).logPretty, true)
  t.equal(loadConfig({}, { SWARMLAMBDA_LOG_PRETTY: '1' }).logPretty, true)
  t.throws(
    () => loadConfig({}, { SWARMLAMBDA_LOG_PRETTY: 'maybe' }),
    /"maybe" is not true or false/
  )
  t.same(config.bootstrap, [
    { host: '127.0.0.1', port: 49737 },
    { host: 'localhost', port: 49738 }
  ])
})

t.test('the mesh: bootstrap modes, join, the DHT port, maxPeers', async (t) => {
  t.equal(loadConfig({ bootstrap: 'public' }, {}).bootstrap, 'public')
  t.equal(loadConfig({}, { SWARMLAMBDA_BOOTSTRAP: 'none' }).bootstrap, 'none')
  const config = loadConfig(
    { join: '10.0.0.5:8787,[::1]:9000', 'dht-port': '0' },
    { SWARMLAMBDA_MAX_PEERS: '8' }
  )
  t.same(config.join, [
    { host: '10.0.0.5', port: 8787 },
    { host: '::1', port: 9000 }
  ])
  t.equal(config.dhtPort, 0, 'given as 0: any port, and a DHT node even with nothing to join')
  t.equal(config.maxPeers, 8)
  t.throws(() => loadConfig({ bootstrap: 'everyone' }, {}), /is not host:port, public or none/)
  t.throws(() => loadConfig({ join: 'nowhere' }, {}), /"nowhere" is not host:port/)
  t.throws(() => loadConfig({ 'dht-port': '70000' }, {}), /must be an integer from 0 to 65535/)
  t.throws(() => loadConfig({ 'max-peers': '0' }, {}), /must be an integer from 1 to 1024/)
})

t.test('every problem is reported at once', async (t) => {
  let error: unknown
  try {
    loadConfig(
      { name: 'Edge A', port: '65536' },
      {
        SWARMLAMBDA_REGION: 'x'.repeat(70),
        SWARMLAMBDA_CLUSTER_KEY: 'short',
        SWARMLAMBDA_BOOTSTRAP: 'nohost,127.0.0.1:0',
        SWARMLAMBDA_LOG_LEVEL: 'loud',
        SWARMLAMBDA_JOB_RETENTION: '5'
      }
    )
  } catch (err) {
    error = err
  }
  t.ok(error instanceof ConfigError)
  const problems = (error as ConfigError).problems
  t.equal(problems.length, 8)
  t.match(problems, [
    /^--name \/ SWARMLAMBDA_NODE_NAME: "Edge A"/,
    /^--region \/ SWARMLAMBDA_REGION:/,
    /^--port \/ SWARMLAMBDA_HTTP_PORT: "65536" must be an integer from 0 to 65535/,
    /^--job-retention \/ SWARMLAMBDA_JOB_RETENTION: "5" must be a duration/,
    /^--cluster-key \/ SWARMLAMBDA_CLUSTER_KEY: must be 64 hex/,
    /^--bootstrap \/ SWARMLAMBDA_BOOTSTRAP: "nohost"/,
    /^--bootstrap \/ SWARMLAMBDA_BOOTSTRAP: "127.0.0.1:0"/,
    /^--log-level \/ SWARMLAMBDA_LOG_LEVEL: "loud"/
  ])
})

t.test('a region outside the region table is refused, naming the known ones', async (t) => {
  let error: unknown
  try {
    loadConfig({ region: 'mars-north-olympus' }, {})
  } catch (err) {
    error = err
  }
  t.ok(error instanceof ConfigError)
  t.match((error as ConfigError).problems, [
    /^--region \/ SWARMLAMBDA_REGION: "mars-north-olympus" is not a known region \(us-west-sfo, .*eu-central-fra/
  ])
  t.equal((error as ConfigError).problems.length, 1)
})
