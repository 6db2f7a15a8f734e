import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { Agent } from 'undici'
import { eventually, http, type Answer, type ClusterView } from '../support/cluster.js'
import { netnsUnavailable, PartitionNetwork, type Host } from '../support/netns.js'
import { startCli, startDht, startEdge, stop } from '../support/processes.js'
import { SUM_EXECUTE, wat } from '../wasm/wat.js'

const RELAY = fileURLToPath(new URL('../support/relay.js', import.meta.url))

/** Three modules told apart by what they answer for [1, 2, 3]: 6, 3 and 12. */
const SUM = wat(`(module (memory (export "memory") 1) ${SUM_EXECUTE})`)
const COUNT = wat(`(module (memory (export "memory") 1)
  (func (export "execute") (param $ptr i32) (param $len i32) (result i32) (local.get $len)))`)
const DOUBLE = wat(`(module (memory (export "memory") 1)
  (func $sum ${SUM_EXECUTE.slice(SUM_EXECUTE.indexOf('(param'))}
  (func (export "execute") (param $ptr i32) (param $len i32) (result i32)
    (i32.mul (call $sum (local.get $ptr) (local.get $len)) (i32.const 2))))`)
const RESULT = new Map([
  [SUM, 6],
  [COUNT, 3],
  [DOUBLE, 12]
])
const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

/** An edge in a network namespace, reached through a relay on a Unix socket. */
interface NsEdge {
  name: string
  host: Host
  url: string
  agent: Agent
  child: import('node:child_process').ChildProcess
}

const call = (edge: NsEdge, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) =>
  http(edge.url, method, path, body, edge.agent)
const view = async (edge: NsEdge) =>
  (await call(edge, 'GET', '/cluster')).body as unknown as ClusterView
const names = (v: ClusterView) => v.nodes.map((n) => n.name).sort()
const deploy = async (edge: NsEdge, name: string, wasm: Uint8Array) => {
  const answer = await call(edge, 'POST', '/functions', {
    name,
    wasm_base64: Buffer.from(wasm).toString('base64')
  })
  if (answer.status !== 201) throw new Error(`deploy ${name} on ${edge.name}: ${answer.status}`)
  return (answer.body.SwarmLambda as { version: number }).version
}
/** name → {version, sha256} of every live function an edge lists. */
const listed = async (edge: NsEdge) => {
  const list = (await call(edge, 'GET', '/functions')).body.functions as {
    FunctionName: string
    SwarmLambda: { version: number; sha256: string }
  }[]
  return Object.fromEntries(
    list.map((f) => [
      f.FunctionName,
      { version: f.SwarmLambda.version, sha256: f.SwarmLambda.sha256 }
    ])
  )
}

const unavailable = await netnsUnavailable()

t.test(
  'a partition: both sides deploy, and after healing every edge has every deploy, highest version winning',
  unavailable === null ? {} : { skip: unavailable },
  async (t) => {
    const network = await PartitionNetwork.create(t, [
      { name: 'dht', side: 'left' },
      { name: 'a', side: 'left' },
      { name: 'b', side: 'left' },
      { name: 'c', side: 'right' },
      { name: 'd', side: 'right' }
    ])
    const sockets = await mkdtemp(join(tmpdir(), 'slfault-'))
    t.teardown(() => rm(sockets, { recursive: true, force: true }))
    const dht = network.host('dht')
    const { bootstrap } = await startDht(t, { host: dht.address, prefix: dht.prefix })
    const root = t.testdir({ a: {}, b: {}, c: {}, d: {} })
    let started = Date.now()
    const regions = { a: 'us-west-sfo', b: 'us-east-iad', c: 'eu-central-fra', d: 'eu-west-lhr' }
    const edges = await Promise.all(
      (['a', 'b', 'c', 'd'] as const).map(async (letter): Promise<NsEdge> => {
        const host = network.host(letter)
        const { child, url } = await startEdge(
          t,
          join(root, letter),
          {
            SWARMLAMBDA_NODE_NAME: `edge-${letter}`,
            SWARMLAMBDA_REGION: regions[letter],
            SWARMLAMBDA_HTTP_HOST: host.address,
            SWARMLAMBDA_CLUSTER_KEY: 'ef'.repeat(32),
            SWARMLAMBDA_BOOTSTRAP: bootstrap
          },
          { prefix: host.prefix }
        )
        const socket = join(sockets, `${letter}.sock`)
        const { port } = new URL(url)
        await startCli(
          t,
          [socket, host.address, port],
          'relay ready',
          {},
          {
            prefix: host.prefix,
            script: RELAY
          }
        )
        const agent = new Agent({ connect: { socketPath: socket } })
        t.teardown(() => agent.close())
        return { name: `edge-${letter}`, host, url, agent, child }
      })
    )
    const [a, b, c, d] = edges as [NsEdge, NsEdge, NsEdge, NsEdge]
    const all = ['edge-a', 'edge-b', 'edge-c', 'edge-d']

    await eventually(
      'every edge lists every other one',
      async () => {
        const views = await Promise.all(edges.map(view))
        return views.every((v) => v.nodes.length === 4) ? true : undefined
      },
      60_000
    )
    t.comment(
      `four edges in four namespaces started and found each other in ${Date.now() - started} ms`
    )

    // Before the partition: functions every edge has, so every edge knows every writer.
    t.equal(await deploy(a, 'shared', SUM), 1)
    t.equal(await deploy(a, 'doomed', SUM), 1)
    for (const edge of edges) {
      await eventually(`shared and doomed on ${edge.name}`, async () => {
        const fns = await listed(edge)
        return fns.shared !== undefined && fns.doomed !== undefined ? true : undefined
      })
    }
    const writerOf = new Map<NsEdge, string>()
    for (const edge of edges) writerOf.set(edge, (await view(edge)).writers[0]!)

    await network.partition()
    started = Date.now()
    await eventually('each side sees only itself', async () => {
      const views = await Promise.all(edges.map(view))
      const split = views.map(names).map((n) => n.join())
      return split.join('|') === 'edge-a,edge-b|edge-a,edge-b|edge-c,edge-d|edge-c,edge-d'
        ? true
        : undefined
    })
    t.comment(`partition noticed on both sides in ${Date.now() - started} ms`)

    // Left: a new function, a redeploy of shared (version 2), one side of a tie.
    t.equal(await deploy(a, 'left-only', COUNT), 1)
    t.equal(await deploy(b, 'shared', COUNT), 2)
    t.equal(await deploy(b, 'tie', COUNT), 1)
    // Right: a new function, two redeploys of shared (versions 2, then 3 on the other edge once
    // it has the first), a delete, the other side of the tie.
    t.equal(await deploy(c, 'right-only', DOUBLE), 1)
    t.equal(await deploy(c, 'shared', DOUBLE), 2)
    await eventually('edge-d has version 2 of shared', async () =>
      (await listed(d)).shared?.version === 2 ? true : undefined
    )
    t.equal(await deploy(d, 'shared', DOUBLE), 3)
    t.equal((await call(d, 'DELETE', '/functions/doomed')).status, 204)
    t.equal(await deploy(c, 'tie', DOUBLE), 1)
    await eventually('edge-c has every deploy of its side', async () => {
      const fns = await listed(c)
      return fns.shared?.version === 3 && fns.doomed === undefined ? true : undefined
    })

    // Nothing crossed: each side still has the other's old state.
    const left = await listed(a)
    const right = await listed(c)
    t.same(Object.keys(left).sort(), ['doomed', 'left-only', 'shared', 'tie'], 'left during')
    t.same(left.shared, { version: 2, sha256: sha(COUNT) })
    t.same(Object.keys(right).sort(), ['right-only', 'shared', 'tie'], 'right during')
    t.same(right.shared, { version: 3, sha256: sha(DOUBLE) })
    t.same(names(await view(a)), ['edge-a', 'edge-b'], 'still partitioned')

    // A tie (version 1 on both sides) goes to the higher writer key, the same on every edge.
    const tieWinner = writerOf.get(b)! > writerOf.get(c)! ? COUNT : DOUBLE
    const expected: Record<string, { version: number; wasm: Uint8Array }> = {
      'left-only': { version: 1, wasm: COUNT },
      'right-only': { version: 1, wasm: DOUBLE },
      shared: { version: 3, wasm: DOUBLE },
      tie: { version: 1, wasm: tieWinner }
    }
    const want = Object.fromEntries(
      Object.entries(expected).map(([name, e]) => [
        name,
        { version: e.version, sha256: sha(e.wasm) }
      ])
    )

    await network.heal()
    const healed = Date.now()
    await eventually(
      'every edge lists every other one again',
      async () => {
        const views = await Promise.all(edges.map(view))
        return views.every((v) => names(v).join() === all.join()) ? true : undefined
      },
      60_000
    )
    const reconnectedMs = Date.now() - healed
    const converged = await Promise.all(
      edges.map(async (edge) => {
        let last = {}
        const fns = await eventually(
          `${edge.name}'s registry converges`,
          async () => {
            last = await listed(edge)
            return JSON.stringify(last) === JSON.stringify(want) ? last : undefined
          },
          60_000
        ).catch((err: Error) => {
          t.comment(`${edge.name} lists ${JSON.stringify(last)}; wanted ${JSON.stringify(want)}`)
          throw err
        })
        return { edge, fns, ms: Date.now() - healed }
      })
    )
    t.comment(
      `after healing: members reconnected in ${reconnectedMs} ms; registries converged in ` +
        converged.map(({ edge, ms }) => `${edge.name} ${ms} ms`).join(', ')
    )
    for (const { edge, fns } of converged) {
      t.same(fns, want, `${edge.name} lists every deploy, highest version winning`)
      for (const [name, { wasm }] of Object.entries(expected)) {
        const answer: Answer = await eventually(`${name} runs on ${edge.name}`, async () => {
          const got = await call(
            edge,
            'POST',
            `/2015-03-31/functions/${name}/invocations`,
            [1, 2, 3]
          )
          return got.status === 200 ? got : undefined
        })
        t.equal(answer.body.result, RESULT.get(wasm), `${name} runs the winner on ${edge.name}`)
      }
      const gone = await call(edge, 'POST', '/2015-03-31/functions/doomed/invocations', [1])
      t.equal(gone.status, 404, `the delete made during the partition holds on ${edge.name}`)
    }

    for (const edge of edges) t.same(await stop(edge.child), [0, null], `${edge.name} stops`)
  }
)
