import t from 'tap'
import { loadConfig } from '../../lib/config.js'
import { Membership, MEMBER_EXPIRY_MS } from '../../lib/p2p/membership.js'
import { swarmPlan } from '../../lib/p2p/plan.js'
import { RememberedMembers } from '../../lib/p2p/remembered.js'
import type { NodeInfo } from '../../lib/wire/rpc.js'

// The parts of a mesh past maxPeers and of rejoining, on their own: the gossiped membership
// (freshest word wins, ages only grow, forgotten after the expiry), the members remembered in
// the state dir, and what an edge bootstraps from.

const info = (name: string): NodeInfo => ({
  name,
  region: 'us-west-sfo',
  httpUrl: `http://127.0.0.1/${name}`,
  load: 0,
  workers: 1,
  startedAt: 1,
  dht: `127.0.0.1:${name.length}`
})
const id = (n: number) => Buffer.alloc(32, n)
const hex = (n: number) => id(n).toString('hex')

t.test('gossip: the freshest word about each member, forgotten when nobody hears it', async (t) => {
  let now = 100_000
  const membership = new Membership(
    () => hex(0),
    () => now
  )
  membership.merge('peer-1', [
    { id: id(0), info: info('self'), ageMs: 0 },
    { id: id(1), info: info('one'), ageMs: 0 },
    { id: id(2), info: info('two'), ageMs: 5_000 }
  ])
  t.same(
    membership.list().map((m) => [m.info.name, now - m.heardAt, m.via]),
    [
      ['one', 0, 'peer-1'],
      ['two', 5_000, 'peer-1']
    ],
    'itself left out'
  )
  membership.merge('peer-3', [{ id: id(2), info: info('two'), ageMs: 1_000 }])
  membership.merge('peer-4', [{ id: id(2), info: info('two'), ageMs: 3_000 }])
  t.same(
    membership.list().find((m) => m.info.name === 'two'),
    { id: hex(2), info: info('two'), heardAt: now - 1_000, via: 'peer-3' },
    'a fresher word wins, a staler one does not'
  )
  membership.merge('peer-1', [{ id: id(5), info: info('old'), ageMs: MEMBER_EXPIRY_MS }])
  t.notOk(
    membership.list().some((m) => m.info.name === 'old'),
    'too old to be taken'
  )
  now += MEMBER_EXPIRY_MS - 500
  t.same(
    membership.list().map((m) => m.info.name),
    ['one'],
    'two (heard 15.5 s ago) expired; one (heard 14.5 s ago) not yet'
  )
})

t.test('members remembered in the state dir, most recent first', async (t) => {
  const dir = t.testdir()
  const remembered = new RememberedMembers(dir, 1_000)
  remembered.seen([{ id: hex(1), name: 'one', dht: '127.0.0.1:9001' }], 1_000)
  remembered.seen(
    [
      { id: hex(2), name: 'two', dht: '127.0.0.1:9002' },
      { id: hex(3), name: 'none', dht: '' }
    ],
    2_000
  )
  const again = new RememberedMembers(dir, 3_000)
  t.same(again.addresses(), [
    { host: '127.0.0.1', port: 9002 },
    { host: '127.0.0.1', port: 9001 }
  ])
  const month = new RememberedMembers(dir, 31 * 86_400_000)
  t.same(month.addresses(), [], 'a member unseen for 30 days is forgotten')
})

t.test('what an edge bootstraps from', async (t) => {
  const dir = t.testdir()
  const none = new RememberedMembers(dir)
  t.equal(swarmPlan(loadConfig({}, {}), none), null, 'nothing to join, no DHT port: alone')
  t.equal(swarmPlan(loadConfig({ bootstrap: 'none', join: 'a:1' }, {}), none), null)
  t.same(swarmPlan(loadConfig({ 'dht-port': '0', port: '0' }, {}), none), {
    bootstrap: [],
    nodes: [],
    port: 0,
    peers: []
  })
  const remembered = new RememberedMembers(dir)
  remembered.seen([{ id: hex(1), name: 'one', dht: '10.0.0.9:8787' }])
  const config = loadConfig(
    { join: '10.0.0.5:8787,127.0.0.1:8787', bootstrap: '10.0.0.1:49737,10.0.0.5:8787' },
    {}
  )
  t.same(
    swarmPlan(config, remembered),
    {
      bootstrap: [
        { host: '10.0.0.5', port: 8787 },
        { host: '10.0.0.9', port: 8787 },
        { host: '10.0.0.1', port: 49737 }
      ],
      nodes: [
        { host: '10.0.0.5', port: 8787 },
        { host: '10.0.0.9', port: 8787 }
      ],
      port: 8787,
      peers: [hex(1)]
    },
    'members first, each once, never its own address'
  )
  t.same(swarmPlan(loadConfig({ bootstrap: 'public' }, {}), remembered), {
    bootstrap: 'public',
    nodes: [{ host: '10.0.0.9', port: 8787 }],
    port: 8787,
    peers: [hex(1)]
  })
})
