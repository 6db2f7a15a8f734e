import { createHash } from 'node:crypto'
import t, { type Test } from 'tap'
import {
  converge,
  eventually,
  http,
  startCluster,
  startClusterEdge,
  type TestEdge
} from '../support/cluster.js'
import { startEdge, stop } from '../support/processes.js'
import { SUM_EXECUTE, wat } from '../wasm/wat.js'

/** Two modules told apart by what they answer for [4, 5, 6]: 15 and 3. */
const SUM = wat(`(module (memory (export "memory") 1) ${SUM_EXECUTE})`)
const COUNT = wat(`(module (memory (export "memory") 1)
  (func (export "execute") (param $ptr i32) (param $len i32) (result i32) (local.get $len)))`)
const RESULT = new Map([
  [SUM, 15],
  [COUNT, 3]
])
const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

type Url = { url: string }
const deploy = async (edge: Url, name: string, wasm: Uint8Array) => {
  const answer = await http(edge.url, 'POST', '/functions', {
    name,
    wasm_base64: Buffer.from(wasm).toString('base64')
  })
  if (answer.status !== 201) throw new Error(`deploy ${name}: ${answer.status}`)
}
/** name → sha256 of every live function an edge lists. */
const listed = async (edge: Url) => {
  const list = (await http(edge.url, 'GET', '/functions')).body.functions as {
    FunctionName: string
    SwarmLambda: { sha256: string }
  }[]
  return Object.fromEntries(list.map((f) => [f.FunctionName, f.SwarmLambda.sha256]))
}
/** name → sha256, in name order (the order edges list functions in). */
const modules = (expected: Record<string, Uint8Array>) =>
  Object.fromEntries(
    Object.entries(expected)
      .sort(([x], [y]) => (x < y ? -1 : 1))
      .map(([name, wasm]) => [name, sha(wasm)])
  )

/** Waits until an edge lists exactly these functions (the last list it gave in the error). */
async function lists(edge: Url & { name: string }, expected: Record<string, Uint8Array>) {
  const want = JSON.stringify(modules(expected))
  let last = ''
  await eventually(`${edge.name} lists ${Object.keys(expected).join(', ')}`, async () => {
    last = JSON.stringify(await listed(edge))
    return last === want ? true : undefined
  }).catch((err: Error) => {
    throw new Error(`${err.message}; it lists ${last}, not ${want}`)
  })
}

/** Asserts that an edge lists exactly these functions and that each runs its module. */
async function holds(t: Test, edge: Url & { name: string }, expected: Record<string, Uint8Array>) {
  t.same(await listed(edge), modules(expected), `${edge.name} lists every function`)
  for (const [name, wasm] of Object.entries(expected)) {
    const answer = await http(
      edge.url,
      'POST',
      `/2015-03-31/functions/${name}/invocations`,
      [4, 5, 6]
    )
    t.equal(answer.status, 200, `${name} invoked on ${edge.name}`)
    t.equal(answer.body.result, RESULT.get(wasm), `${name} runs its module on ${edge.name}`)
  }
}

t.test('an edge SIGKILLed and restarted on its state dir loses no function', async (t) => {
  const { edges, bootstrap, key } = await startCluster(t, 3)
  const [a, b, c] = edges as [TestEdge, TestEdge, TestEdge]
  await converge(edges)

  // Functions written by every edge's own writer, and a redeploy across writers.
  await deploy(a, 'from-a', SUM)
  await deploy(b, 'from-b', SUM)
  await deploy(c, 'from-c', SUM)
  await deploy(a, 'shared', SUM)
  await eventually('shared reaches edge-c', async () =>
    (await listed(c)).shared === undefined ? undefined : true
  )
  await deploy(c, 'shared', COUNT)
  const before = { 'from-a': SUM, 'from-b': SUM, 'from-c': SUM, shared: COUNT }
  for (const edge of edges) await lists(edge, before)

  // A deploy acknowledged by edge-c, then SIGKILL at once: no clean close, no flush.
  await deploy(c, 'last-words', SUM)
  c.child.kill('SIGKILL')
  t.equal((await stop(c.child, 'SIGKILL'))[1], 'SIGKILL')

  // While edge-c is down: a new function, a delete and a redeploy of one of edge-c's own.
  await deploy(a, 'while-down', SUM)
  t.equal((await http(b.url, 'DELETE', '/functions/from-b')).status, 204)
  await deploy(b, 'from-c', COUNT)

  // Restarted alone (SWARMLAMBDA_BOOTSTRAP=none: without it, the edge would rejoin through the
  // members it remembers), it serves what its disk holds.
  const alone = await startEdge(t, c.dir, {
    SWARMLAMBDA_NODE_NAME: c.name,
    SWARMLAMBDA_REGION: c.region,
    SWARMLAMBDA_CLUSTER_KEY: key,
    SWARMLAMBDA_BOOTSTRAP: 'none'
  })
  await holds(t, { name: 'edge-c (alone)', url: alone.url }, { ...before, 'last-words': SUM })
  alone.child.kill('SIGKILL')
  await stop(alone.child, 'SIGKILL')

  // Killed again and restarted in the cluster: it catches up on what changed while it was down.
  const restartedAt = Date.now()
  const restarted = await startClusterEdge(t, c, bootstrap, key)
  const after = {
    'from-a': SUM,
    'from-c': COUNT,
    shared: COUNT,
    'last-words': SUM,
    'while-down': SUM
  }
  await lists(restarted, after)
  t.comment(`restarted edge-c ready and caught up in ${Date.now() - restartedAt} ms`)
  await holds(t, restarted, after)

  // Its writer goes on where it stopped: what it writes now reaches the others (a writer that
  // had lost blocks would fork, and members would refuse its new ones).
  await deploy(restarted, 'after-restart', SUM)
  for (const edge of [a, b]) {
    await eventually(`edge-c's new deploy on ${edge.name}`, async () =>
      (await listed(edge))['after-restart'] === sha(SUM) ? true : undefined
    )
    await holds(t, edge, { ...after, 'after-restart': SUM })
  }
  for (const edge of [a, b, restarted]) t.same(await stop(edge.child), [0, null])
})
