import { randomBytes } from 'node:crypto'
import c from 'compact-encoding'
import { pino } from 'pino'
import t from 'tap'
import { deriveSecrets } from '../../lib/cluster/key.js'
import { ClusterSwarm } from '../../lib/p2p/swarm.js'
import {
  executeReply,
  executeRequest,
  nodeInfo,
  writerKeys,
  type ExecuteReply,
  type ExecuteRequest,
  type NodeInfo
} from '../../lib/wire/rpc.js'
import { deploy, eventually, http, startClusterEdge } from '../support/cluster.js'
import { startDht, stop } from '../support/processes.js'
import { SUM_EXECUTE, wat } from '../wasm/wat.js'

const SUM = wat(`(module (memory (export "memory") 1) ${SUM_EXECUTE})`)

t.test('a member forging shard results is never counted', async (t) => {
  const { bootstrap } = await startDht(t)
  const key = '34'.repeat(32)
  const a = await startClusterEdge(
    t,
    { name: 'edge-a', region: 'us-west-sfo', dir: t.testdir() },
    bootstrap,
    key
  )
  // A member with the key, next door to edge-a with many workers (so placement picks it), that
  // answers every shard with a made-up result under a made-up token.
  const [host, port] = bootstrap.split(':') as [string, string]
  const rogue = new ClusterSwarm({
    secrets: deriveSecrets(Buffer.from(key, 'hex')),
    bootstrap: [{ host, port: Number(port) }],
    log: pino({ level: 'silent' })
  })
  t.teardown(() => rogue.close())
  let asked = 0
  rogue.on('member', (member) => {
    member.rpc.respond<null, NodeInfo>(
      'info',
      { requestEncoding: c.none, responseEncoding: nodeInfo },
      () => ({
        name: 'rogue',
        region: 'us-west-sfo',
        httpUrl: 'http://127.0.0.1:1',
        load: 0,
        workers: 8,
        startedAt: Date.now(),
        dht: ''
      })
    )
    member.rpc.respond<null, Uint8Array[]>(
      'writers',
      { requestEncoding: c.none, responseEncoding: writerKeys },
      () => []
    )
    member.rpc.respond<ExecuteRequest, ExecuteReply>(
      'execute',
      { requestEncoding: executeRequest, responseEncoding: executeReply },
      () => {
        asked++
        return {
          ok: true,
          token: randomBytes(16),
          result: 1_000_000,
          micros: 1,
          output: null,
          payload: null
        }
      }
    )
  })
  await rogue.ready()
  await eventually('edge-a counts the rogue as a healthy member', async () => {
    const nodes = (await http(a.url, 'GET', '/cluster')).body.nodes as {
      name: string
      healthy?: boolean
    }[]
    return nodes.some((n) => n.name === 'rogue' && n.healthy === true) ? true : undefined
  })
  t.equal((await deploy(a.url, 'sum', SUM)).status, 201)

  const answer = await http(a.url, 'POST', '/2015-03-31/functions/sum/invocations', {
    dataset: Array.from({ length: 1_000 }, (_, i) => i + 1)
  })
  t.equal(answer.status, 200)
  t.equal(answer.body.result, 500_500, 'only real results counted')
  t.equal(answer.body.partial, false)
  const shards = answer.body.shards as {
    edge: string
    failures: { edge: string; code: string }[]
  }[]
  t.ok(asked > 0, 'the rogue was given shards')
  // Every attempt the rogue answered was refused (edge-a logs each attempt as it settles, also
  // one overtaken meanwhile by a backup here).
  const requestId = answer.headers['x-amzn-requestid']
  const refused = await eventually('every rogue attempt logged', async () => {
    const attempts = a
      .logs()
      .filter((l) => l.msg === 'shard' && l.requestId === requestId && l.edge === 'rogue')
    return attempts.length === asked ? attempts : undefined
  })
  t.same(
    refused.map((l) => l.outcome),
    refused.map(() => 'PEER_FAILED'),
    'each forged answer was refused'
  )
  const forged = shards.filter((s) => s.failures.some((f) => f.edge === 'rogue'))
  t.ok(forged.length > 0 && forged.length <= asked)
  for (const shard of forged) {
    t.same(shard.failures, [{ edge: 'rogue', code: 'PEER_FAILED' }])
    t.equal(shard.edge, 'edge-a', 're-run on a real executor')
  }
  t.ok(shards.every((s) => s.edge !== 'rogue'))
  t.same(await stop(a.child), [0, null])
})
