import t from 'tap'
import { request } from 'undici'
import { EDGE_HEADER } from '../../lib/proxy/server.js'
import { converge, eventually, http, startCluster } from '../support/cluster.js'
import { startCli, stop } from '../support/processes.js'
import { SEED_WASM_BASE64 } from '../wasm/wat.js'

t.test(
  'through the proxy: deploy, 200 invocations over the edges, an edge killed, all down',
  async (t) => {
    const { edges } = await startCluster(t, 3)
    await converge(edges)
    const [a] = edges
    // Only edge-a is named; the proxy discovers the others from its GET /cluster.
    const { child: proxyChild, ready } = await startCli(
      t,
      ['proxy', '--edges', new URL(a!.url).host, '--port', '0', '--region', 'us-west-sfo'],
      'proxy ready'
    )
    const proxy = ready.url as string

    const deployed = await http(proxy, 'POST', '/functions', {
      name: 'seed',
      wasm_base64: SEED_WASM_BASE64
    })
    t.equal(deployed.status, 201)
    for (const edge of edges) {
      await eventually(`seed on ${edge.name}`, async () =>
        (await http(edge.url, 'GET', '/functions/seed')).status === 200 ? true : undefined
      )
    }
    await eventually('the proxy knows all three edges', async () => {
      const seen = new Set<string>()
      await Promise.all(
        Array.from({ length: 30 }, async () => {
          const res = await request(`${proxy}/healthz`)
          seen.add(String(res.headers[EDGE_HEADER]))
          await res.body.dump()
        })
      )
      return seen.size === 3 ? true : undefined
    })

    const invoke = async (i: number) => {
      const res = await request(`${proxy}/2015-03-31/functions/seed/invocations`, {
        method: 'POST',
        body: JSON.stringify({ dataset: [i, 10, 20, 30, 40] })
      })
      const body = (await res.body.json()) as { result: number }
      return { status: res.statusCode, result: body.result, edge: String(res.headers[EDGE_HEADER]) }
    }
    /** `count` invocations, 20 at a time; every one must be right. */
    const batch = async (count: number) => {
      const answers: Awaited<ReturnType<typeof invoke>>[] = []
      for (let i = 0; i < count; i += 20) {
        answers.push(...(await Promise.all(Array.from({ length: 20 }, (_, j) => invoke(i + j)))))
      }
      return answers
    }

    const answers = await batch(200)
    t.equal(answers.filter((x) => x.status === 200).length, 200, '200 answers')
    t.ok(
      answers.every((x, i) => x.result === i + 100),
      'every result right'
    )
    const byEdge = new Map<string, number>()
    for (const x of answers) byEdge.set(x.edge, (byEdge.get(x.edge) ?? 0) + 1)
    t.comment(`answered by ${JSON.stringify(Object.fromEntries(byEdge))}`)
    t.ok(byEdge.size >= 2, 'spread over the edges')

    // Kill the edge the proxy prefers: what follows still succeeds.
    a!.child.kill('SIGKILL')
    const after = await batch(40)
    t.ok(
      after.every((x, i) => x.status === 200 && x.result === i + 100),
      'all 40 right after edge-a died'
    )
    t.notOk(
      after.some((x) => x.edge === 'edge-a'),
      'none answered by the dead edge'
    )

    // Every edge down: 503, AWS-shaped.
    for (const edge of edges.slice(1)) await stop(edge.child, 'SIGKILL')
    const down = await eventually('the proxy has no edge left', async () => {
      const answer = await http(proxy, 'GET', '/2015-03-31/functions/')
      return answer.status === 503 ? answer : undefined
    })
    t.equal(down.headers['x-amzn-errortype'], 'ServiceException')
    t.equal(down.body.errorCode, 'NO_HEALTHY_EDGE')
    t.same(await stop(proxyChild), [0, null])
  }
)
