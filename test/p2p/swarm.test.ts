import { once } from 'node:events'
import createTestnet from 'hyperdht/testnet.js'
import HyperDHT from 'hyperdht'
import Hyperswarm from 'hyperswarm'
import { pino } from 'pino'
import t from 'tap'
import { deriveSecrets, generateClusterKey } from '../../lib/cluster/key.js'
import { ClusterSwarm, type Member } from '../../lib/p2p/swarm.js'

const log = pino({ level: 'silent' })
const testnet = await createTestnet(3, { host: '127.0.0.1' })
t.teardown(() => testnet.destroy())
const bootstrap = testnet.bootstrap

function member(secrets: ReturnType<typeof deriveSecrets>, authTimeoutMs = 3_000): ClusterSwarm {
  const swarm = new ClusterSwarm({ secrets, bootstrap, log, authTimeoutMs })
  t.teardown(() => swarm.close())
  return swarm
}

// A cluster per test: members of one test must not meet those of another.
const cluster = () => deriveSecrets(generateClusterKey())

t.test('derived secrets: distinct, deterministic, not the key', async (t) => {
  const key = generateClusterKey()
  const a = deriveSecrets(key)
  t.same(deriveSecrets(key), a)
  t.not(a.topic.toString('hex'), a.authKey.toString('hex'))
  t.not(a.topic.toString('hex'), key.toString('hex'))
  t.equal(a.topic.length, 32)
})

t.test('two members with the key find each other and authenticate', async (t) => {
  const secrets = cluster()
  const a = member(secrets)
  const b = member(secrets)
  const seenByA = once(a, 'member') as Promise<[Member]>
  const seenByB = once(b, 'member') as Promise<[Member]>
  await Promise.all([a.ready(), b.ready()])
  const [[fromA], [fromB]] = await Promise.all([seenByA, seenByB])
  t.equal(fromA.id, b.id)
  t.equal(fromB.id, a.id)
  t.same(
    a.connected().map((m) => m.id),
    [b.id]
  )
})

t.test('a peer on the topic with a wrong key is refused by both sides', async (t) => {
  const secrets = cluster()
  const good = member(secrets)
  const intruder = member({
    topic: secrets.topic,
    authKey: deriveSecrets(generateClusterKey()).authKey
  })
  let intruderGotMember = false
  intruder.on('member', () => (intruderGotMember = true))
  const refused = once(good, 'refused') as Promise<[{ id: string; why: string }]>
  const intruderRefused = once(intruder, 'refused') as Promise<[{ id: string; why: string }]>
  await Promise.all([good.ready(), intruder.ready()])
  const [[event]] = await Promise.all([refused, intruderRefused])
  t.equal(event.id, intruder.id)
  // Both sides check at once: whichever finds the bad proof first closes, the other sees it close.
  t.match(event.why, /^(bad-proof|closed)$/)
  t.equal(intruderGotMember, false)
  t.same(
    good.connected().map((m) => m.id),
    []
  )
})

t.test('a bare Hyperswarm peer that proves nothing is dropped at the deadline', async (t) => {
  const secrets = cluster()
  const good = member(secrets, 300)
  await good.ready()
  // A plain Hyperswarm, only given a loopback DHT (on 0.0.0.0 it could not connect here at all).
  const dht = new HyperDHT({
    bootstrap: bootstrap.map((b) => `${b.host}:${b.port}`),
    host: '127.0.0.1'
  })
  const bare = new Hyperswarm({ dht })
  t.teardown(() => bare.destroy())
  const closed = new Promise<void>((resolve) => {
    bare.on('connection', (conn) => {
      conn.on('error', () => undefined) // the other side destroys it
      conn.once('close', () => resolve())
    })
  })
  const refused = once(good, 'refused') as Promise<[{ id: string; why: string }]>
  bare.join(secrets.topic, { client: true, server: false })
  const [event] = await refused
  t.equal(event.why, 'timeout')
  await closed
  t.same(
    good.connected().map((m) => m.id),
    []
  )
})
