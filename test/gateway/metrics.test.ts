import { spawnSync } from 'node:child_process'
import t from 'tap'
import { request } from 'undici'
import { loadConfig } from '../../lib/config.js'
import { Edge } from '../../lib/edge.js'
import { http } from '../support/cluster.js'
import { SEED_WASM_BASE64, wat } from '../wasm/wat.js'

const TRAP = wat(`(module (memory (export "memory") 1)
  (func (export "execute") (param i32 i32) (result i32) unreachable))`)

const edge = new Edge(
  loadConfig({ port: '0', 'state-dir': t.testdir(), 'log-level': 'silent' }, {}),
  { poolSize: 1 }
)
await edge.ready()
t.teardown(() => edge.close())

/** One sample's value from Prometheus text, by its exact name and labels. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

t.test('GET /metrics counts invocations, shards and the executor', async (t) => {
  const deploy = (name: string, wasm_base64: string) =>
    http(edge.url, 'POST', '/functions', { name, wasm_base64 })
  t.equal((await deploy('sum', SEED_WASM_BASE64)).status, 201)
  t.equal((await deploy('trap', Buffer.from(TRAP).toString('base64'))).status, 201)
  for (let i = 0; i < 3; i++) {
    const answer = await http(edge.url, 'POST', '/2015-03-31/functions/sum/invocations', [1, 2, 3])
    t.equal(answer.body.result, 6)
  }
  const trapped = await http(edge.url, 'POST', '/2015-03-31/functions/trap/invocations', [1])
  t.equal(trapped.headers['x-amz-function-error'], 'Unhandled')

  const res = await request(`${edge.url}/metrics`)
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4/)
  const text = await res.body.text()
  t.equal(sample(text, 'swarmlambda_invocations_total{function="sum",outcome="ok"}'), 3)
  t.equal(
    sample(text, 'swarmlambda_invocations_total{function="trap",outcome="function_error"}'),
    1
  )
  t.equal(sample(text, 'swarmlambda_invocation_duration_seconds_count{function="sum"}'), 3)
  t.equal(sample(text, 'swarmlambda_shards_total{where="local",outcome="ok"}'), 3)
  t.equal(sample(text, 'swarmlambda_shards_total{where="local",outcome="failed"}'), 1)
  t.equal(sample(text, 'swarmlambda_shard_retries_total'), 0)
  t.equal(sample(text, 'swarmlambda_shard_backups_total'), 0)
  t.equal(sample(text, 'swarmlambda_peer_strikes_total'), 0)
  t.equal(sample(text, 'swarmlambda_peers_connected'), 0)
  t.equal(sample(text, 'swarmlambda_registry_functions'), 2)
  t.equal(sample(text, 'swarmlambda_registry_writers'), 1)
  t.equal(sample(text, 'swarmlambda_pool_workers'), 1)
  t.equal(sample(text, 'swarmlambda_pool_queue_depth'), 0)
  t.equal(sample(text, 'swarmlambda_pool_restarts_total'), 0)
  t.equal(sample(text, 'swarmlambda_jobs_pending'), 0)
  t.ok((sample(text, 'swarmlambda_eventloop_lag_p99_seconds') ?? -1) >= 0, 'event-loop lag')
  t.ok((sample(text, 'swarmlambda_process_resident_memory_bytes') ?? 0) > 0, 'memory')

  const promtool = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' })
  if (promtool.error === undefined) {
    t.equal(
      promtool.status,
      0,
      `promtool accepts it${promtool.stderr ? `: ${promtool.stderr}` : ''}`
    )
  } else {
    t.comment('promtool is not installed: the exposition check is skipped')
  }
})
