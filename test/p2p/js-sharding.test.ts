import t, { type Test } from 'tap'
import { request } from 'undici'
import { MISSING_SHARDS_HEADER } from '../../lib/gateway/routes/invoke.js'
import { converge, eventually, http, startCluster, type TestEdge } from '../support/cluster.js'
import { stop } from '../support/processes.js'
import { WASI_COUNT_WAT, wat } from '../wasm/wat.js'

// MapReduce of configured runtimes (JavaScript, Python, a WASI command) over a three-edge mesh: a handler deployed with a reducer runs sharded on
// every edge's QuickJS workers, answers exactly what one shard answers, and still answers
// exactly when a member is killed with its shards in flight.

/** Scores one item: `rounds` turns of an integer hash (all values stay far below 2^53). */
const score = (x: number, rounds: number) => {
  let h = x
  for (let i = 0; i < rounds; i++) h = (h * 31 + i) % 1_000_003
  return h
}

/** `score` as the handlers have it (kept in step with the one above). */
const SCORE_JS = `const score = (x, rounds) => {
  let h = x
  for (let i = 0; i < rounds; i++) h = (h * 31 + i) % 1000003
  return h
}
`
/** Sums the scores of its dataset (reduce sum adds the shards' sums). */
const SUM_JS = `${SCORE_JS}exports.handler = async (event) => {
  let total = 0
  for (const x of event.dataset) total += score(x, event.rounds)
  return total
}
`
/** Lists each item with its score, in order (reduce concat joins the shards' lists). */
const LIST_JS = `${SCORE_JS}exports.handler = async (event) =>
  event.dataset.map((x) => ({ x, score: score(x, event.rounds).toString(36), tag: event.tag }))
`

/** One scheduler log line of a shard attempt. */
interface ShardLine {
  msg: string
  requestId: string
  function: string
  shard: number
  items: number
  edge: string
  attempt: number
  outcome: string
  late: boolean
}

interface Invoked {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
  requestId: string
}

async function invoke(edge: TestEdge, name: string, event: unknown): Promise<Invoked> {
  const res = await request(`${edge.url}/2015-03-31/functions/${name}/invocations`, {
    method: 'POST',
    body: JSON.stringify(event),
    headers: { 'content-type': 'application/json' }
  })
  const text = await res.body.text()
  return {
    status: res.statusCode,
    headers: res.headers,
    text,
    requestId: String(res.headers['x-amzn-requestid'])
  }
}

/** Deploys JS on the first edge and waits until every edge lists the function. */
async function deployEverywhere(edges: TestEdge[], name: string, source: string, extra = {}) {
  const answer = await http(edges[0]!.url, 'POST', '/functions', {
    name,
    handler: 'index.handler',
    files: { 'index.js': source },
    timeoutMs: 60_000,
    ...extra
  })
  if (answer.status !== 201) throw new Error(`deploy ${name}: ${answer.status}`)
  for (const edge of edges) {
    await eventually(`${name} on ${edge.name}`, async () =>
      (await http(edge.url, 'GET', `/functions/${name}`)).status === 200 ? true : undefined
    )
  }
}

/** The shard attempts the receiving edge logged for one request. */
const shardLines = (edge: TestEdge, requestId: string) =>
  edge
    .logs()
    .filter((l) => l.msg === 'shard' && l.requestId === requestId) as unknown as ShardLine[]

/**
 * The shard answers that counted for a request, once the receiving edge's log (a pipe, read
 * apart from the HTTP answer) holds answers for all `items` items.
 */
const countedShards = (edge: TestEdge, requestId: string, items: number) =>
  eventually(`the log of ${requestId} covers ${items} items`, async () => {
    const counted = shardLines(edge, requestId).filter((l) => l.outcome === 'ok' && !l.late)
    return counted.reduce((n, l) => n + l.items, 0) === items ? counted : undefined
  })

/** Waits until an edge's executor is running (or, with `busy` false, not running) anything. */
const executorBusy = (edge: TestEdge, busy: boolean) =>
  eventually(`${edge.name} ${busy ? 'runs a shard' : 'is idle'}`, async () => {
    const health = (await http(edge.url, 'GET', '/healthz')).body as {
      executor: { running: number }
    }
    return health.executor.running > 0 === busy ? true : undefined
  })

/**
 * Invokes the sharded function a few times (the first run teaches the edge what an item costs);
 * every answer must be `expected`; resolves with the edges whose shard answers counted.
 */
async function shardedRuns(
  t: Test,
  edge: TestEdge,
  name: string,
  event: { dataset: number[] },
  expected: string
): Promise<Set<string>> {
  const used = new Set<string>()
  for (let run = 1; run <= 3; run++) {
    const answer = await invoke(edge, name, event)
    t.equal(answer.status, 200, `${name} run ${run}: 200`)
    t.equal(answer.headers[MISSING_SHARDS_HEADER], undefined, `run ${run}: nothing missing`)
    t.equal(answer.headers['x-amz-function-error'], undefined)
    t.equal(answer.headers['content-type'], 'application/json')
    t.equal(answer.text, expected, `${name} run ${run}: the exact answer`)
    const counted = (await countedShards(edge, answer.requestId, event.dataset.length)).sort(
      (x, y) => x.shard - y.shard
    )
    const indexes = counted.map((l) => l.shard)
    t.same(
      indexes,
      indexes.map((_, i) => i),
      `run ${run}: one counted answer per shard`
    )
    for (const line of counted) used.add(line.edge)
    t.comment(
      `${name} run ${run}: ${counted.length} shard(s) on ${counted.map((l) => l.edge).join(', ')}`
    )
  }
  return used
}

t.test('JS MapReduce over three edges', async (t) => {
  const { edges } = await startCluster(t, 3)
  await converge(edges)
  const [a, b, c] = edges as [TestEdge, TestEdge, TestEdge]

  t.test('sum: sharded over the edges, equal to one shard and to the reference', async (t) => {
    await deployEverywhere(edges, 'js-sum', SUM_JS, { reduce: 'sum' })
    await deployEverywhere(edges, 'js-sum-whole', SUM_JS, { reduce: 'none' })
    const event = { rounds: 2_000, dataset: Array.from({ length: 2_400 }, (_, i) => i * 7 + 1) }
    const reference = event.dataset.reduce((n, x) => n + score(x, event.rounds), 0)
    const expected = JSON.stringify(reference)

    const whole = await invoke(b, 'js-sum-whole', event)
    t.equal(whole.status, 200)
    t.equal(whole.text, expected, 'one shard answers the reference')
    const wholeShards = await countedShards(b, whole.requestId, 1)
    t.same(
      wholeShards.map((l) => [l.shard, l.edge]),
      [[0, 'edge-b']],
      'reduce none: one shard, on the receiving edge'
    )

    const used = await shardedRuns(t, a, 'js-sum', event, expected)
    t.ok(used.size >= 2, `shards answered by ${[...used].sort().join(', ')}`)
  })

  t.test("Python with a reducer: shards run in the members' interpreters, exactly", async (t) => {
    const source = [
      'def score(x, rounds):',
      '    h = x',
      '    for i in range(rounds):',
      '        h = (h * 31 + i) % 1000003',
      '    return h',
      '',
      'def lambda_handler(event, context):',
      '    return sum(score(x, event["rounds"]) for x in event["dataset"])',
      ''
    ].join('\n')
    const answer = await http(a.url, 'POST', '/functions', {
      name: 'py-sum',
      reduce: 'sum',
      timeoutMs: 60_000,
      files: { 'lambda_function.py': source }
    })
    t.equal(answer.status, 201)
    for (const edge of edges) {
      await eventually(`py-sum on ${edge.name}`, async () =>
        (await http(edge.url, 'GET', '/functions/py-sum')).status === 200 ? true : undefined
      )
    }
    const event = { rounds: 500, dataset: Array.from({ length: 2_400 }, (_, i) => i * 7 + 1) }
    const expected = JSON.stringify(event.dataset.reduce((n, x) => n + score(x, event.rounds), 0))
    const used = await shardedRuns(t, b, 'py-sum', event, expected)
    t.ok(used.size >= 2, `shards answered by ${[...used].sort().join(', ')}`)
  })

  t.test('a WASI command with a reducer: sharded over the edges, equal to one shard', async (t) => {
    const wasm = Buffer.from(wat(WASI_COUNT_WAT)).toString('base64')
    for (const [name, reduce] of [
      ['wasi-count', 'sum'],
      ['wasi-count-whole', 'none']
    ] as const) {
      const answer = await http(a.url, 'POST', '/functions', { name, wasm_base64: wasm, reduce })
      t.equal(answer.status, 201, `${name} deploys`)
      for (const edge of edges) {
        await eventually(`${name} on ${edge.name}`, async () =>
          (await http(edge.url, 'GET', `/functions/${name}`)).status === 200 ? true : undefined
        )
      }
    }
    const event = { dataset: Array.from({ length: 6_000 }, (_, i) => i) }
    const whole = await invoke(c, 'wasi-count-whole', event)
    t.equal(whole.text, '6000', 'one shard counts every item')
    const used = await shardedRuns(t, a, 'wasi-count', event, '6000')
    t.ok(used.size >= 2, `shards answered by ${[...used].sort().join(', ')}`)
  })

  t.test('concat: sharded output equals one shard, byte for byte and in order', async (t) => {
    await deployEverywhere(edges, 'js-list', LIST_JS, { reduce: 'concat' })
    await deployEverywhere(edges, 'js-list-whole', LIST_JS, { reduce: 'none' })
    const event = {
      rounds: 3_000,
      tag: 'λ',
      dataset: Array.from({ length: 1_500 }, (_, i) => (i * 7919) % 100_003)
    }
    const expected = JSON.stringify(
      event.dataset.map((x) => ({ x, score: score(x, event.rounds).toString(36), tag: 'λ' }))
    )

    const whole = await invoke(c, 'js-list-whole', event)
    t.equal(whole.status, 200)
    t.equal(whole.text, expected, 'one shard answers the reference')

    const used = await shardedRuns(t, c, 'js-list', event, expected)
    t.ok(used.size >= 2, `shards answered by ${[...used].sort().join(', ')}`)
  })

  t.test('a member killed mid-job: still 200 and the exact answer', async (t) => {
    await deployEverywhere(edges, 'js-slow', SUM_JS, { reduce: 'sum' })
    // About 100 M hash turns: each of six shards runs for a second or more on this machine.
    const event = { rounds: 150_000, dataset: Array.from({ length: 600 }, (_, i) => i + 1) }
    const expected = JSON.stringify(event.dataset.reduce((n, x) => n + score(x, event.rounds), 0))

    let started = Date.now()
    const calm = await invoke(a, 'js-slow', event)
    const calmMs = Date.now() - started
    t.equal(calm.status, 200)
    t.equal(calm.text, expected, 'the calm run is exact')
    const calmShards = await countedShards(a, calm.requestId, event.dataset.length)
    t.ok(
      calmShards.some((l) => l.edge === 'edge-c'),
      'edge-c takes shards of this function'
    )
    // A late backup of the calm run may still be running there: the kill must hit the next run.
    await executorBusy(c, false)

    started = Date.now()
    const answering = invoke(a, 'js-slow', event)
    await executorBusy(c, true)
    c.child.kill('SIGKILL')
    const answer = await answering
    t.comment(`calm: ${calmMs} ms; with edge-c killed mid-shard: ${Date.now() - started} ms`)
    t.equal(answer.status, 200, 'complete: 200, not 206')
    t.equal(answer.headers[MISSING_SHARDS_HEADER], undefined, 'no shard missing')
    t.equal(answer.headers['x-amz-function-error'], undefined)
    t.equal(answer.text, expected, 'the exact answer')

    const counted = await countedShards(a, answer.requestId, event.dataset.length)
    t.ok(
      counted.every((l) => l.edge !== 'edge-c'),
      'no answer counted from the killed edge'
    )
    // An attempt overtaken by a backup is logged when its connection fails, maybe after the answer.
    const lost = await eventually("edge-c's attempts are logged as failed", async () => {
      const failed = shardLines(a, answer.requestId).filter(
        (l) => l.edge === 'edge-c' && l.outcome !== 'ok'
      )
      return failed.length > 0 ? failed : undefined
    })
    t.comment(`edge-c's attempts ended with ${lost.map((l) => l.outcome).join(', ')}`)
    for (const shard of new Set(lost.map((l) => l.shard))) {
      const rerun = counted.find((l) => l.shard === shard)
      t.ok(rerun !== undefined && rerun.attempt > 1, `shard ${shard} ran again, on ${rerun?.edge}`)
    }
  })

  t.teardown(async () => {
    for (const edge of edges) {
      if (edge.child.exitCode === null && edge.child.signalCode === null) await stop(edge.child)
    }
  })
})
