import { createHash } from 'node:crypto'
import t from 'tap'
import {
  converge,
  deploy,
  eventually,
  http,
  startCluster,
  startClusterEdge,
  type Answer
} from '../support/cluster.js'
import { stop } from '../support/processes.js'
import { SUM_EXECUTE, wat } from '../wasm/wat.js'

const SUM = wat(`(module (memory (export "memory") 1) ${SUM_EXECUTE})`)
/** Another module: answers how many integers it got. */
const COUNT = wat(`(module (memory (export "memory") 1)
  (func (export "execute") (param $ptr i32) (param $len i32) (result i32) (local.get $len)))`)
const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

const invoke = (url: string, name: string, dataset: number[]) =>
  http(url, 'POST', `/2015-03-31/functions/${name}/invocations`, { dataset })
const describe = async (url: string, name: string) =>
  ((await http(url, 'GET', `/2015-03-31/functions/${name}`)).body.Configuration ?? null) as {
    SwarmLambda: { sha256: string; version: number }
  } | null

/** Resolves with the answer once an invocation no longer says the function is unknown. */
const invocable = (url: string, name: string, dataset: number[]) =>
  eventually(`${name} invocable on ${url}`, async () => {
    const answer = await invoke(url, name, dataset)
    return answer.status === 404 ? undefined : answer
  })

t.test(
  'deploy on A is invocable on B and C; a redeploy on B and a delete on C win everywhere',
  async (t) => {
    const { edges } = await startCluster(t, 3)
    const [a, b, c] = edges as [(typeof edges)[0], (typeof edges)[0], (typeof edges)[0]]
    await converge(edges)

    const deployed = await deploy(a.url, 'sum', SUM)
    t.equal(deployed.status, 201)
    const at = Date.now()
    await Promise.all(
      [b, c].map(async (edge) => {
        await eventually('listed', async () =>
          (await describe(edge.url, 'sum')) === null ? undefined : true
        )
        t.comment(`deploy on A → listed on ${edge.name}: ${Date.now() - at} ms`)
      })
    )
    for (const edge of [b, c]) {
      const answer: Answer = await invocable(edge.url, 'sum', [1, 2, 3, 4, 5])
      t.comment(`deploy on A → invocable on ${edge.name}: ${Date.now() - at} ms`)
      t.equal(answer.status, 200, `invoked on ${edge.name}`)
      t.equal(answer.body.result, 15)
      t.equal((await describe(edge.url, 'sum'))?.SwarmLambda.sha256, sha(SUM))
      const list = (await http(edge.url, 'GET', '/functions')).body.functions as {
        FunctionName: string
      }[]
      t.same(
        list.map((f) => f.FunctionName),
        ['sum'],
        `listed on ${edge.name}`
      )
    }

    // B redeploys the name with another module: version 2 beats A's version 1 on every edge.
    const redeployed = await deploy(b.url, 'sum', COUNT)
    t.equal(redeployed.status, 201)
    t.equal((redeployed.body.SwarmLambda as { version: number }).version, 2)
    for (const edge of edges) {
      const config = await eventually(`B's module on ${edge.name}`, async () => {
        const found = await describe(edge.url, 'sum')
        return found?.SwarmLambda.sha256 === sha(COUNT) ? found : undefined
      })
      t.equal(config.SwarmLambda.version, 2, `version 2 on ${edge.name}`)
      t.equal(
        (await invoke(edge.url, 'sum', [7, 7, 7])).body.result,
        3,
        `B's code runs on ${edge.name}`
      )
    }

    // C deletes it: gone on every edge.
    t.equal((await http(c.url, 'DELETE', '/functions/sum')).status, 204)
    for (const edge of edges) {
      const answer = await eventually(`sum gone on ${edge.name}`, async () => {
        const got = await invoke(edge.url, 'sum', [1])
        return got.status === 404 ? got : undefined
      })
      t.equal(answer.headers['x-amzn-errortype'], 'ResourceNotFoundException')
      t.same((await http(edge.url, 'GET', '/functions')).body.functions, [])
    }

    // Every edge merges all three writers.
    for (const edge of edges) {
      const writers = await eventually(`three writers on ${edge.name}`, async () => {
        const view = (await http(edge.url, 'GET', '/cluster')).body.writers as string[]
        return view.length === 3 ? view : undefined
      })
      t.equal(new Set(writers).size, 3)
    }
    for (const edge of edges) t.same(await stop(edge.child), [0, null])
  }
)

t.test('an edge restarted on its state dir keeps every function and catches up', async (t) => {
  const { edges, bootstrap, key } = await startCluster(t, 3)
  const [a, b, c] = edges as [(typeof edges)[0], (typeof edges)[0], (typeof edges)[0]]
  await converge(edges)
  t.equal((await deploy(a.url, 'kept', SUM)).status, 201)
  t.equal((await deploy(b.url, 'doomed', SUM)).status, 201)
  await invocable(c.url, 'kept', [1])
  await invocable(c.url, 'doomed', [1])

  t.same(await stop(c.child), [0, null])
  // While C is down: a new function on A, a delete on B, a redeploy on A.
  t.equal((await deploy(a.url, 'added', COUNT)).status, 201)
  t.equal((await http(b.url, 'DELETE', '/functions/doomed')).status, 204)
  t.equal((await deploy(a.url, 'kept', COUNT)).status, 201)

  const restarted = await startClusterEdge(t, c, bootstrap, key)
  // Straight after boot, from its own disk: what it had before it stopped.
  const before = (await http(restarted.url, 'GET', '/functions')).body.functions as {
    FunctionName: string
  }[]
  t.ok(
    before.some((f) => f.FunctionName === 'kept'),
    'kept is there before any member is reached'
  )
  t.equal((await invoke(restarted.url, 'kept', [2, 3])).status, 200)

  // Then what changed while it was down.
  const restartedAt = Date.now()
  const names = await eventually('C caught up', async () => {
    const list = (await http(restarted.url, 'GET', '/functions')).body.functions as {
      FunctionName: string
      SwarmLambda: { version: number }
    }[]
    const kept = list.find((f) => f.FunctionName === 'kept')
    const done = kept?.SwarmLambda.version === 2 && list.length === 2
    return done ? list.map((f) => f.FunctionName) : undefined
  })
  t.comment(`caught up ${Date.now() - restartedAt} ms after it was ready`)
  t.same(names, ['added', 'kept'])
  t.equal((await invoke(restarted.url, 'kept', [2, 3])).body.result, 2, 'the redeploy runs')
  t.equal((await invoke(restarted.url, 'added', [9, 9, 9])).body.result, 3)
  t.equal((await invoke(restarted.url, 'doomed', [1])).status, 404)
  for (const edge of [a, b, restarted]) t.same(await stop(edge.child), [0, null])
})
