import { join } from 'node:path'
import Corestore from 'corestore'
import HyperDHT from 'hyperdht'
import Hyperswarm, { type NoiseSecretStream } from 'hyperswarm'
import ProtomuxRPC from 'protomux-rpc'
import tap from 'tap'
import { deriveSecrets, generateClusterKey } from '../../lib/cluster/key.js'
import { authenticate } from '../../lib/p2p/auth.js'
import { RPC_PROTOCOL } from '../../lib/p2p/swarm.js'
import { converge, deploy, http, startCluster } from '../support/cluster.js'
import { stop } from '../support/processes.js'
import { SUM_EXECUTE, wat } from '../wasm/wat.js'

const SUM = wat(`(module (memory (export "memory") 1) ${SUM_EXECUTE})`)

/** What an intruder got out of its connection to a member. */
interface Loot {
  /** Blocks of the members' registry cores it received. */
  blocks: number
  /** Length of those cores as it learned it. */
  length: number
  /** RPC requests that got an answer, and the errors of those that did not. */
  answers: unknown[]
  failures: string[]
}

/**
 * A process on the cluster's topic (it learned the topic, not the key) that does everything a
 * member would with the `target` member: replicates a Corestore holding the members' registry
 * keys, downloading every block, and asks for `info` and `writers` over the RPC protocol; with
 * `authKey` it also runs the key proof. Resolves once the member has dropped it (`refusal`), or
 * once it got both answers and a block (`service`: what a peer with the right key gets, the
 * test's control).
 */
async function intrude(
  t: Pick<typeof tap, 'teardown'>,
  options: {
    dir: string
    bootstrap: string
    topic: Buffer
    target: string
    writers: string[]
    authKey?: Buffer
    /** The control waits to be served (a dropped attempt is retried by Hyperswarm). */
    expect: 'refusal' | 'service'
  }
): Promise<Loot> {
  const store = new Corestore(options.dir)
  const cores = options.writers.map((key) => store.get({ key: Buffer.from(key, 'hex') }))
  await Promise.all(cores.map((core) => core.ready()))
  let blocks = 0
  for (const core of cores) {
    core.on('download', () => blocks++)
    core.download({ start: 0, end: -1 }) // ask for every block, as a member does
  }
  const [host, port] = options.bootstrap.split(':') as [string, string]
  const dht = new HyperDHT({ bootstrap: [{ host, port: Number(port) }], host: '127.0.0.1' })
  const swarm = new Hyperswarm({ dht })
  t.teardown(async () => {
    await swarm.destroy()
    await store.close()
  })
  const answers: unknown[] = []
  const failures: string[] = []
  let done = (): void => undefined
  const finished = new Promise<void>((resolve) => (done = resolve))
  const settled = () => {
    if (options.expect === 'service' ? answers.length >= 2 && blocks > 0 : failures.length >= 2) {
      done()
    }
  }
  for (const core of cores) core.on('download', settled)
  swarm.on('connection', (conn: NoiseSecretStream) => {
    conn.on('error', () => undefined)
    if (conn.remotePublicKey?.toString('hex') !== options.target) return conn.destroy()
    if (options.authKey !== undefined) authenticate(conn, options.authKey).catch(() => undefined)
    store.replicate(conn)
    const rpc = new ProtomuxRPC(conn, { protocol: RPC_PROTOCOL })
    for (const method of ['info', 'writers']) {
      rpc.request(method, null, { timeout: 30_000 }).then(
        (answer) => {
          answers.push(answer)
          settled()
        },
        (err: Error & { code?: string }) => {
          failures.push(err.code ?? err.message)
          settled()
        }
      )
    }
    if (options.expect === 'refusal') conn.once('close', () => setImmediate(done)) // after the requests failed
  })
  swarm.join(options.topic, { client: true, server: false })
  await finished
  return { blocks, length: Math.max(...cores.map((c) => c.length)), answers, failures }
}

tap.test(
  'peers on the topic without the key never get a registry block or an RPC answer',
  async (t) => {
    const { bootstrap, key, edges } = await startCluster(t, 2)
    const [a] = await converge(edges)
    t.equal((await deploy(edges[0]!.url, 'sum', SUM)).status, 201)
    const writers = (await http(edges[0]!.url, 'GET', '/cluster')).body.writers as string[]
    t.equal(writers.length, 2)
    const { topic } = deriveSecrets(Buffer.from(key, 'hex'))

    const intruders = {
      'a bare Hyperswarm peer': undefined,
      'a peer with a wrong key': deriveSecrets(generateClusterKey()).authKey
    }
    let n = 0
    for (const [what, authKey] of Object.entries(intruders)) {
      const loot = await intrude(t, {
        dir: join(t.testdirName, `intruder-${++n}`),
        bootstrap,
        topic,
        target: a!.self,
        writers,
        ...(authKey === undefined ? {} : { authKey }),
        expect: 'refusal'
      })
      t.equal(loot.blocks, 0, `${what}: no registry block`)
      t.equal(loot.length, 0, `${what}: not even the registry's length`)
      t.same(loot.answers, [], `${what}: no RPC answer`)
      t.equal(loot.failures.length, 2, `${what}: both requests failed`)
      for (const code of loot.failures) t.match(code, /^CHANNEL_(CLOSED|DESTROYED)$/, what)
    }
    // The members still see only each other.
    for (const edge of edges) {
      const view = (await http(edge.url, 'GET', '/cluster')).body.nodes as { name: string }[]
      t.same(view.map((n) => n.name).sort(), ['edge-a', 'edge-b'])
    }

    // The control: the same peer with the right key gets blocks and answers.
    const member = await intrude(t, {
      dir: join(t.testdirName, 'member'),
      bootstrap,
      topic,
      target: a!.self,
      writers,
      authKey: deriveSecrets(Buffer.from(key, 'hex')).authKey,
      expect: 'service'
    })
    t.ok(member.blocks > 0, 'a member gets registry blocks')
    t.equal(member.answers.length, 2, 'and RPC answers')
    for (const edge of edges) t.same(await stop(edge.child), [0, null])
  }
)
