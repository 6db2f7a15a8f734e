import t from 'tap'
import {
  converge,
  eventually,
  http,
  startCluster,
  startClusterEdge,
  type TestEdge
} from '../support/cluster.js'
import { startCli, stop } from '../support/processes.js'

// Accepted async work survives its edge: Event invocations accepted by one edge of three finish
// on the others after it is SIGKILLed; jobs queued when the whole mesh dies finish after it
// restarts; and through the proxy no accepted job is ever a 404.

const ENV = { SWARMLAMBDA_JOB_LEASE_MS: '1500' }
const slow = (ms: number) =>
  `exports.handler = async (e) => { const end = Date.now() + ${ms}; while (Date.now() < end) {} return { n: e.n } }`

async function deploy(edges: TestEdge[], name: string, ms: number) {
  const answer = await http(edges[0]!.url, 'POST', '/functions', {
    name,
    files: { 'index.js': slow(ms) }
  })
  if (answer.status !== 201) throw new Error(`deploy: ${answer.status}`)
  for (const edge of edges) {
    await eventually(`${name} on ${edge.name}`, async () =>
      (await http(edge.url, 'GET', `/functions/${name}`)).status === 200 ? true : undefined
    )
  }
}

/** `count` Event invocations on `edge(i)`, 20 at a time; their job ids, in order. */
async function submit(count: number, edge: (i: number) => TestEdge, name: string) {
  const ids: string[] = []
  for (let i = 0; i < count; i += 20) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(20, count - i) }, async (_, j) => {
        const res = await fetch(`${edge(i + j).url}/2015-03-31/functions/${name}/invocations`, {
          method: 'POST',
          headers: { 'x-amz-invocation-type': 'Event' },
          body: JSON.stringify({ n: i + j })
        })
        if (res.status !== 202) throw new Error(`Event ${i + j}: ${res.status} ${await res.text()}`)
        return res.headers.get('x-swarmlambda-job-id') as string
      })
    )
    ids.push(...batch)
  }
  return ids
}

/** Waits until every job reads completed on `url`, with its own `n`; their answers. */
async function allCompleted(url: string, ids: string[], deadlineMs = 90_000) {
  let last = ''
  return eventually(
    `${ids.length} jobs completed on ${url}`,
    async () => {
      const answers = await Promise.all(ids.map((id) => http(url, 'GET', `/api/v1/jobs/${id}`)))
      if (answers.every((a) => a.status === 200)) return answers
      const left = answers.filter((a) => a.status !== 200)
      last = JSON.stringify(left.slice(0, 3).map((a) => [a.status, a.body.status, a.body.history]))
      return undefined
    },
    deadlineMs
  ).catch((err: Error) => {
    throw new Error(`${err.message}; still: ${last}`)
  })
}

const stopAll = (edges: TestEdge[]) => async () => {
  for (const edge of edges) {
    if (edge.child.exitCode === null && edge.child.signalCode === null) await stop(edge.child)
  }
}

t.test('the accepting edge SIGKILLed mid-run: the others finish all 100', async (t) => {
  const { edges } = await startCluster(t, 3, undefined, ENV)
  t.teardown(stopAll(edges))
  await converge(edges)
  const [a, b, c] = edges as [TestEdge, TestEdge, TestEdge]
  await deploy(edges, 'slow', 100)
  const proxy = await startCli(
    t,
    ['proxy', '--edges', edges.map((e) => new URL(e.url).host).join(','), '--port', '0'],
    'proxy ready'
  )
  const ids = await submit(100, () => a, 'slow')
  t.equal(new Set(ids).size, 100, '100 jobs accepted by edge-a')
  // Mid-run: some done, most not.
  await eventually('edge-a has finished a few', async () => {
    const list = await http(b.url, 'GET', '/api/v1/jobs?status=completed&MaxItems=1000')
    const done = (list.body.jobs as unknown[]).length
    return done >= 5 ? done : undefined
  })
  a.child.kill('SIGKILL')
  const answers = await allCompleted(b.url, ids).catch(async (err: Error) => {
    // What the survivors think, for whoever reads a failure.
    for (const edge of [b, c]) {
      const health = await http(edge.url, 'GET', '/healthz')
      const cluster = await http(edge.url, 'GET', '/cluster')
      t.comment(
        `${edge.name}: ${JSON.stringify(health.body)} ${JSON.stringify(cluster.body.nodes)}`
      )
    }
    throw err
  })
  answers.forEach((answer, i) => {
    t.equal(answer.body.status, 'completed', `job ${i}`)
    t.strictSame(answer.body.result, { n: i }, `job ${i}: its own answer`)
  })
  const ran = answers.map((x) => x.body.history as { event: string; edge: string }[])
  const elsewhere = ran.filter((h) => h.some((e) => e.event === 'takeover')).length
  t.ok(elsewhere > 0, `${elsewhere} jobs taken over by edge-b or edge-c`)
  t.ok(
    ran.every((h) => h.filter((e) => e.event === 'completed').length <= 2),
    'no job completed more than twice'
  )
  const through = await allCompleted(proxy.ready.url as string, ids, 30_000)
  t.ok(
    through.every((x, i) => (x.body.result as { n: number }).n === i),
    'the same through the proxy'
  )
  let duplicates = 0
  for (const edge of [b, c]) {
    const metrics = await fetch(`${edge.url}/metrics`).then((r) => r.text())
    duplicates += Number(/^swarmlambda_async_duplicates_total (\d+)/m.exec(metrics)?.[1] ?? NaN)
  }
  t.ok(duplicates <= 2, `duplicates counted: ${duplicates}`)
})

t.test('the whole mesh killed with 50 jobs queued: all 50 finish after a restart', async (t) => {
  const { edges, bootstrap, key } = await startCluster(t, 3, undefined, ENV)
  await converge(edges)
  await deploy(edges, 'slower', 300)
  const ids = await submit(50, (i) => edges[i % 3] as TestEdge, 'slower')
  for (const edge of edges) edge.child.kill('SIGKILL')
  await Promise.all(edges.map((e) => new Promise((resolve) => e.child.once('exit', resolve))))
  const restarted = await Promise.all(edges.map((e) => startClusterEdge(t, e, bootstrap, key, ENV)))
  t.teardown(stopAll(restarted))
  const answers = await allCompleted(restarted[1]!.url, ids)
  t.ok(
    answers.every((x, i) => (x.body.result as { n: number }).n === i),
    'all 50 completed, each with its own answer'
  )
})

t.test('through the proxy under load: never a 404 for an accepted job', async (t) => {
  const { edges } = await startCluster(t, 3, undefined, ENV)
  t.teardown(stopAll(edges))
  await converge(edges)
  await deploy(edges, 'quick', 1)
  const proxy = await startCli(
    t,
    ['proxy', '--edges', edges.map((e) => new URL(e.url).host).join(','), '--port', '0'],
    'proxy ready'
  )
  const url = proxy.ready.url as string
  const statuses = new Map<number, number>()
  for (let round = 0; round < 10; round++) {
    await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const res = await fetch(`${url}/2015-03-31/functions/quick/invocations`, {
          method: 'POST',
          headers: { 'x-amz-invocation-type': 'Event' },
          body: JSON.stringify({ n: round * 20 + i })
        })
        t.equal(res.status, 202)
        const id = res.headers.get('x-swarmlambda-job-id') as string
        // At once, and again: wherever the proxy sends the poll, the job is known.
        for (let poll = 0; poll < 2; poll++) {
          const got = await fetch(`${url}/api/v1/jobs/${id}`)
          await got.arrayBuffer()
          statuses.set(got.status, (statuses.get(got.status) ?? 0) + 1)
        }
      })
    )
  }
  t.comment(`poll answers: ${JSON.stringify(Object.fromEntries(statuses))}`)
  t.equal(statuses.get(404) ?? 0, 0, 'no 404')
  t.equal(
    [...statuses.values()].reduce((a, b) => a + b, 0),
    400
  )
})
