import { pino } from 'pino'
import t from 'tap'
import { PEER_TIMEOUT } from '../../lib/errors.js'
import { PeerTable } from '../../lib/p2p/peers.js'
import type { PeerRpc } from '../../lib/rpc/peer-rpc.js'
import type { NodeInfo } from '../../lib/wire/rpc.js'

const info: NodeInfo = {
  name: 'edge-b',
  region: 'us-east-iad',
  httpUrl: 'http://127.0.0.1:8788',
  load: 3,
  workers: 2,
  startedAt: 1,
  dht: ''
}

/** A member's RPC whose `info` answers (or fails) as scripted. */
function fakeRpc(script: ('answer' | 'fail')[]) {
  let closed = false
  const rpc = {
    async info() {
      const step = script.shift() ?? 'answer'
      if (step === 'fail') throw PEER_TIMEOUT('edge-b', 'info', 2000)
      return { info, rttMs: 1.5 }
    },
    close() {
      closed = true
    }
  }
  return {
    rpc: rpc as unknown as PeerRpc,
    closed: () => closed
  }
}

t.test('a member is listed once it answers, with its distance, RTT and health', async (t) => {
  let now = 1_000_000
  const table = new PeerTable({
    region: 'us-west-sfo',
    log: pino({ level: 'silent' }),
    heartbeatMs: 3_600_000, // heartbeats are driven by the test
    now: () => now
  })
  t.teardown(() => table.close())
  const member = fakeRpc(['answer', 'fail', 'answer'])
  await table.add('b', member.rpc)
  const [peer] = table.list()
  t.match(peer, {
    id: 'b',
    info,
    rttMs: 1.5,
    missed: 0,
    strikes: 0,
    healthy: true,
    geo: { lat: 38.95, lon: -77.46 }
  })
  t.equal(Math.round(peer!.distanceKm / 100), 39, 'SFO to IAD')

  // One strike is forgiven; two close together make it unhealthy until they decay.
  table.strike('b')
  t.equal(table.list()[0]!.healthy, true)
  table.strike('b')
  t.equal(table.list()[0]!.strikes, 2)
  t.equal(table.list()[0]!.healthy, false)
  now += 15_000 // half a half-life: 2 × 0.5^0.5 ≈ 1.41
  t.equal(table.list()[0]!.strikes, 1.41)
  t.equal(table.list()[0]!.healthy, true)

  // A missed heartbeat makes it unhealthy; the next answer clears it.
  await table.heartbeat()
  t.equal(table.list()[0]!.missed, 1)
  t.equal(table.list()[0]!.healthy, false)
  await table.heartbeat()
  t.match(table.list()[0], { missed: 0, strikes: 0, healthy: true })

  table.remove('b')
  t.same(table.list(), [])
  t.equal(member.closed(), true, 'its RPC channel is closed')
  t.equal(table.rpc('b'), null)
})
