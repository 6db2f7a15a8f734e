import { join } from 'node:path'
import t from 'tap'
import {
  clusterView,
  converge,
  eventually,
  http,
  startCluster,
  startClusterEdge
} from '../support/cluster.js'
import { stop } from '../support/processes.js'
import { SUM_EXECUTE, wat } from '../wasm/wat.js'

// Every edge is a DHT node and remembers its members' DHT addresses: with the bootstrap process
// dead, a restarted edge rejoins through the members it remembers; a new edge joins by naming
// one member (--join), and reaches the whole cluster.

const SUM = Buffer.from(wat(`(module (memory (export "memory") 1) ${SUM_EXECUTE})`)).toString(
  'base64'
)

t.test(
  'no bootstrap process: an edge restarts and rejoins; a new edge joins through one member',
  async (t) => {
    const { edges, dht, key, bootstrap } = await startCluster(t, 3)
    const [a, b, c] = edges as [(typeof edges)[0], (typeof edges)[0], (typeof edges)[0]]
    const views = await converge(edges)
    t.ok(
      views.every((v) => v.nodes.every((n) => /^127\.0\.0\.1:\d+$/.test(n.dht))),
      'every edge is a DHT node with an address'
    )

    t.same(await stop(dht, 'SIGKILL'), [null, 'SIGKILL'], 'the bootstrap process is gone')
    t.same(await stop(c.child), [0, null])
    // The same configuration (its bootstrap is dead now), the same state dir.
    const restarted = await startClusterEdge(t, c, bootstrap, key)
    const started = Date.now()
    const names = await eventually(
      'the restarted edge lists both others',
      async () => {
        const view = await clusterView(restarted.url)
        const listed = view.nodes.map((n) => n.name).sort()
        return listed.length === 3 ? listed : undefined
      },
      10_000
    )
    t.same(names, ['edge-a', 'edge-b', 'edge-c'])
    t.comment(`rejoined in ${Date.now() - started} ms`)

    // A new edge that knows one member's DHT address only.
    const bView = await clusterView(b.url)
    const bDht = bView.nodes.find((n) => n.self)!.dht
    const d = await startClusterEdge(
      t,
      { name: 'edge-d', region: 'eu-west-lhr', dir: join(c.dir, '..', 'edge-d') },
      '',
      key,
      { SWARMLAMBDA_JOIN: bDht }
    )
    const all = await eventually('edge-d reaches the whole cluster', async () => {
      const listed = (await clusterView(d.url)).nodes.map((n) => n.name).sort()
      return listed.length === 4 ? listed : undefined
    })
    t.same(all, ['edge-a', 'edge-b', 'edge-c', 'edge-d'])

    // ...and the registry with it: a function deployed on edge-a runs on edge-d.
    t.equal(
      (await http(a.url, 'POST', '/functions', { name: 'sum', wasm_base64: SUM })).status,
      201
    )
    const answer = await eventually('edge-d runs sum', async () => {
      const got = await http(d.url, 'POST', '/2015-03-31/functions/sum/invocations', {
        dataset: [1, 2, 3]
      })
      return got.status === 200 ? got : undefined
    })
    t.equal(answer.body.result, 6)
    for (const edge of [a, b, restarted, d]) t.same(await stop(edge.child), [0, null])
  }
)
