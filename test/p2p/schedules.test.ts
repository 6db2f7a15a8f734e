import t from 'tap'
import {
  converge,
  eventually,
  http,
  startCluster,
  startClusterEdge,
  type TestEdge
} from '../support/cluster.js'
import { stop } from '../support/processes.js'

// Schedules on a three-edge mesh: a rate(1 second) schedule fires once per tick from its owner;
// when the owner is SIGKILLed the next owner fires the ticks it did not (none skipped for longer
// than the lease, duplicates counted); when the whole mesh was down for several ticks, it fires
// one catch-up and goes on.

const LEASE_MS = 1_500
const ENV = { SWARMLAMBDA_JOB_LEASE_MS: String(LEASE_MS) }
const ARN = 'arn:aws:lambda:us-west-sfo:000000000000:function:tick'

const stopAll = (edges: TestEdge[]) => async () => {
  for (const edge of edges) {
    if (edge.child.exitCode === null && edge.child.signalCode === null) await stop(edge.child)
  }
}

async function setUp(edges: TestEdge[]) {
  const deployed = await http(edges[0]!.url, 'POST', '/functions', {
    name: 'tick',
    files: { 'index.js': 'exports.handler = async (e) => e' }
  })
  if (deployed.status !== 201) throw new Error(`deploy: ${deployed.status}`)
  for (const edge of edges) {
    await eventually(`tick on ${edge.name}`, async () =>
      (await http(edge.url, 'GET', '/functions/tick')).status === 200 ? true : undefined
    )
  }
  const created = await http(edges[0]!.url, 'POST', '/schedules/every-second', {
    ScheduleExpression: 'rate(1 second)',
    FlexibleTimeWindow: { Mode: 'OFF' },
    Target: { Arn: ARN, RoleArn: 'arn:aws:iam::000000000000:role/x', Input: '{"n":1}' }
  })
  if (created.status !== 200) throw new Error(`create: ${created.status}`)
}

/** The ticks fired (ms), from one edge's view of the jobs: unique ticks and how many jobs. */
async function fired(edge: TestEdge): Promise<{ ticks: number[]; jobs: number }> {
  const listed = await http(edge.url, 'GET', '/api/v1/jobs?function=tick&MaxItems=10000')
  const jobs = (listed.body.jobs as { schedule?: { tick: string } }[]).filter((j) => j.schedule)
  const ticks = [...new Set(jobs.map((j) => Date.parse(j.schedule!.tick)))].sort((a, b) => a - b)
  return { ticks, jobs: jobs.length }
}

/** Who fired: the edges that logged a firing. */
const firers = (edges: TestEdge[]) =>
  edges.filter((e) => e.logs().some((l) => l.msg === 'schedule fired'))

t.test('the owner SIGKILLed at 10 s: 20 ticks in 20 s, no gap over the lease', async (t) => {
  const { edges } = await startCluster(t, 3, undefined, ENV)
  t.teardown(stopAll(edges))
  await converge(edges)
  await setUp(edges)
  const owner = await eventually('an edge fires', async () => firers(edges)[0])
  const first = await eventually('the first tick', async () => (await fired(owner)).ticks[0])
  const until = (at: number) =>
    eventually(
      `${new Date(at).toISOString()}`,
      async () => (Date.now() >= at ? true : undefined),
      60_000
    )
  await until(first + 10_000)
  owner.child.kill('SIGKILL')
  const others = edges.filter((e) => e !== owner)
  await until(first + 20_000 + LEASE_MS + 2_000)
  const seen = await fired(others[0]!)
  const window = seen.ticks.filter((tick) => tick >= first && tick < first + 20_000)
  t.ok(Math.abs(window.length - 20) <= 1, `${window.length} ticks fired in 20 s`)
  const gaps = window.slice(1).map((tick, i) => tick - (window[i] as number))
  t.ok(
    Math.max(...gaps) <= 1_000,
    `every tick fired (largest gap between fired ticks ${Math.max(...gaps)} ms)`
  )
  const takeover = firers(others)
  t.equal(
    takeover.length,
    1,
    `one survivor took the schedule over (${takeover.map((e) => e.name)})`
  )
  let duplicates = 0
  for (const edge of others) {
    const metrics = await fetch(`${edge.url}/metrics`).then((r) => r.text())
    duplicates += Number(/^swarmlambda_schedule_duplicates_total (\d+)/m.exec(metrics)?.[1] ?? NaN)
  }
  t.ok(
    duplicates <= 2 && seen.jobs - seen.ticks.length <= 1,
    `duplicates: ${seen.jobs - seen.ticks.length} (counted ${duplicates} over two edges)`
  )
})

t.test('the whole mesh down for 5 ticks: one catch-up firing, then every tick', async (t) => {
  const { edges, bootstrap, key } = await startCluster(t, 3, undefined, ENV)
  await converge(edges)
  await setUp(edges)
  await eventually('three ticks', async () =>
    (await fired(edges[0]!)).ticks.length >= 3 ? true : undefined
  )
  for (const edge of edges) edge.child.kill('SIGKILL')
  await Promise.all(edges.map((e) => new Promise((resolve) => e.child.once('exit', resolve))))
  const downAt = Date.now()
  await eventually('5 ticks missed', async () => (Date.now() > downAt + 5_500 ? true : undefined))
  const restarted = await Promise.all(edges.map((e) => startClusterEdge(t, e, bootstrap, key, ENV)))
  t.teardown(stopAll(restarted))
  const after = await eventually(
    'three ticks after the restart',
    async () => {
      const { ticks } = await fired(restarted[0]!)
      const fresh = ticks.filter((tick) => tick > downAt)
      return fresh.length >= 3 ? { ticks, fresh } : undefined
    },
    60_000
  )
  const before = after.ticks.filter((tick) => tick <= downAt)
  const lastBefore = before[before.length - 1] as number
  const [catchUp, next] = after.fresh as [number, number]
  t.ok(
    catchUp - lastBefore >= 6_000,
    `the catch-up fired ${catchUp - lastBefore} ms of ticks later`
  )
  t.equal(next - catchUp, 1_000, 'then the next tick, a second later: one catch-up firing only')
})
