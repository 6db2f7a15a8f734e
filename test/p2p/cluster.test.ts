import { join } from 'node:path'
import t from 'tap'
import { clusterView as cluster, converge } from '../support/cluster.js'
import { startDht, startEdge, stop } from '../support/processes.js'

t.test('three edges and a local bootstrap: each lists the others in GET /cluster', async (t) => {
  const { bootstrap } = await startDht(t)
  const key = 'ab'.repeat(32)
  const regions = { 'edge-a': 'us-west-sfo', 'edge-b': 'us-east-iad', 'edge-c': 'eu-central-fra' }
  const dir = t.testdir({ 'edge-a': {}, 'edge-b': {}, 'edge-c': {} })
  const started = Date.now()
  const edges = await Promise.all(
    Object.entries(regions).map(([name, region]) =>
      startEdge(t, join(dir, name), {
        SWARMLAMBDA_NODE_NAME: name,
        SWARMLAMBDA_REGION: region,
        SWARMLAMBDA_CLUSTER_KEY: key,
        SWARMLAMBDA_BOOTSTRAP: bootstrap
      })
    )
  )
  const views = await converge(edges)
  t.comment(`converged in ${Date.now() - started} ms`)
  for (const [i, view] of views.entries()) {
    const names = view.nodes.map((n) => n.name).sort()
    t.same(names, ['edge-a', 'edge-b', 'edge-c'], `edge ${i} sees all three`)
    t.equal(view.nodes.filter((n) => n.self).length, 1)
    t.equal(view.links.length, 2)
    for (const node of view.nodes.filter((n) => !n.self)) {
      t.equal(node.region, regions[node.name as keyof typeof regions])
      t.equal(node.httpUrl, edges[Object.keys(regions).indexOf(node.name)]!.url)
      t.ok(node.rttMs !== undefined && node.rttMs >= 0, 'an RTT was measured')
    }
  }
  for (const edge of edges) t.same(await stop(edge.child), [0, null])
})

t.test('an edge with another key never joins', async (t) => {
  const { bootstrap } = await startDht(t)
  const env = { SWARMLAMBDA_BOOTSTRAP: bootstrap }
  const dir = t.testdir({ a: {}, b: {}, x: {} })
  const a = await startEdge(t, join(dir, 'a'), {
    ...env,
    SWARMLAMBDA_CLUSTER_KEY: '01'.repeat(32),
    SWARMLAMBDA_NODE_NAME: 'edge-a'
  })
  const b = await startEdge(t, join(dir, 'b'), {
    ...env,
    SWARMLAMBDA_CLUSTER_KEY: '01'.repeat(32),
    SWARMLAMBDA_NODE_NAME: 'edge-b'
  })
  const intruder = await startEdge(t, join(dir, 'x'), {
    ...env,
    SWARMLAMBDA_CLUSTER_KEY: '02'.repeat(32),
    SWARMLAMBDA_NODE_NAME: 'edge-x'
  })
  const [viewA] = await converge([a, b])
  t.same(viewA!.nodes.map((n) => n.name).sort(), ['edge-a', 'edge-b'])
  t.same(
    (await cluster(intruder.url)).nodes.map((n) => n.name),
    ['edge-x']
  )
  for (const edge of [a, b, intruder]) await stop(edge.child)
})
