import t from 'tap'
import type { ShardRun, ShardTask } from '../../lib/scheduler/executors.js'
import type { Candidate } from '../../lib/scheduler/placement.js'
import { width } from '../../lib/scheduler/width.js'
import { type Behaviour, Fake, invocation, never, oneTo, scheduler, sumOf } from './fakes.js'

/** Answers after `ms` of (fake) work, reporting 1 ms per item as its execution time. */
const after =
  (ms: number): Behaviour =>
  (shard: ShardTask) =>
    new Promise<ShardRun>((resolve) =>
      setTimeout(() => resolve({ result: sumOf(shard, 0), micros: 1_000 * shard.items }), ms)
    )

/** Answers at once, reporting 1 ms per item. */
const costly: Behaviour = async (shard) => ({
  result: sumOf(shard, 0),
  micros: 1_000 * shard.items
})

t.test('executors pull shards as they free up: a slow one takes fewer', async (t) => {
  const a = new Fake('', 'a', costly)
  const b = new Fake('b', 'b', after(30))
  const s = scheduler(a, [b])
  await s.run(invocation(oneTo(300))) // learns 1 ms per item: 300 ms of work
  a.seen.length = 0
  b.seen.length = 0
  const out = await s.run(invocation(oneTo(300)))
  t.equal(out.result, 45_150, 'exact')
  t.same(
    out.shards.map((x) => x.index),
    out.shards.map((_, i) => i),
    'reduced in shard order'
  )
  // Shards taper (each a quarter of what is left), at most 4 per slot; b holds one at a time.
  t.same(
    out.shards.map((x) => x.items),
    [75, 57, 42, 32, 25, 25, 22, 22]
  )
  t.ok(b.seen.length <= 2, `b pulled ${b.seen.length}`)
  t.ok(a.seen.length >= 6, `a pulled ${a.seen.length}`)
  t.equal(
    out.shards.reduce((n, x) => n + x.items, 0),
    300,
    'every item in exactly one counted shard'
  )
})

t.test('static placement: one shard per slot, placed up front', async (t) => {
  const [a, b, c] = [
    new Fake('', 'a', costly),
    new Fake('b', 'b', costly),
    new Fake('c', 'c', costly)
  ]
  const s = scheduler(a, [b, c], [], { placement: 'static' })
  await s.run(invocation(oneTo(300)))
  const out = await s.run(invocation(oneTo(300)))
  t.equal(out.result, 45_150)
  t.same(
    out.shards.map((x) => [x.edge, x.items]),
    [
      ['a', 100],
      ['b', 100],
      ['c', 100]
    ]
  )
})

t.test('a far member that never answers is overtaken here once this edge is idle', async (t) => {
  // The work is not known yet: every member gets a shard. b is 150 ms away and never answers;
  // this edge finishes its own shard, then backs b's up (the straggler rule alone waits 50 ms).
  const a = new Fake('', 'a', costly)
  const b = new Fake('b', 'b', never)
  const out = await scheduler(a, [b], [], { rtt: { b: 150 } }).run(invocation(oneTo(100)))
  t.equal(out.result, 5050)
  t.equal(out.shards[1]!.edge, 'a')
  t.equal(out.shards[1]!.backup, true)
  t.equal(b.pending, 1, 'b still holds its attempt; the answer did not wait for it')
})

t.test(
  'a member that fails is out of this invocation: its shards go back to the queue',
  async (t) => {
    const strikes: string[] = []
    const a = new Fake('', 'a', costly)
    const b = new Fake('b', 'b', async () => {
      throw Object.assign(new Error('gone'), {})
    })
    const s = scheduler(a, [b], strikes)
    const out = await s.run(invocation(oneTo(200)))
    t.equal(out.result, 20_100)
    t.equal(b.seen.length, 1, 'b is not given another shard after it failed')
    t.same(strikes, ['b'])
  }
)

const candidate = (name: string, rttMs: number, self = false): Candidate => ({
  id: self ? '' : name,
  name,
  self,
  distanceKm: 0,
  rttMs,
  load: 0,
  workers: 1,
  healthy: true
})

t.test('width: a member takes part only when its round trip saves time', async (t) => {
  const ranked = [
    candidate('a', 0, true),
    candidate('near', 5),
    candidate('mid', 40),
    candidate('far', 150)
  ]
  const names = (w: ReturnType<typeof width>) => w.lanes.map((l) => l.candidate.name)
  const base = { items: 10_000, minShardMicros: 2_000, maxShards: 32, minShards: 1 }
  // 1 ms of work: one shard here.
  const one = width(ranked, { ...base, workMicros: 1_000 })
  t.same([names(one), one.sizes], [['a'], [10_000]])
  // 20 ms: worth one shard here (a shard that members take part in carries at least 20 ms).
  t.same(width(ranked, { ...base, workMicros: 20_000 }).sizes, [10_000])
  // 50 ms: the 5 ms member pays off; 40 and 150 ms ones would return after this edge is done.
  // Shards taper from a quarter of the items (2 slots), at least 20 ms (4,000 items) each.
  const fifty = width(ranked, { ...base, workMicros: 50_000 })
  t.same(names(fifty), ['a', 'near'])
  t.same(fifty.sizes, [4_000, 3_000, 3_000])
  // 500 ms: every member; the far ones hold more shards at once to cover their round trip.
  const long = width(ranked, { ...base, workMicros: 500_000 })
  t.same(names(long), ['a', 'near', 'mid', 'far'])
  t.same(
    long.lanes.map((l) => l.slots),
    [1, 1, 2, 3]
  )
  // An eighth of the items first (4 slots), down to 20 ms of work (500 items); the rest of 926
  // in two halves.
  t.same(
    long.sizes,
    [1_250, 1_094, 957, 838, 733, 641, 561, 500, 500, 500, 500, 500, 500, 463, 463]
  )
  t.equal(
    long.sizes.reduce((a, b) => a + b, 0),
    10_000
  )
  // --max-shards 1: one shard here, whatever the work.
  const self = [candidate('a', 0, true)].map((c) => ({ ...c, workers: 2 }))
  t.same(width(self, { ...base, workMicros: 500_000, maxShards: 1 }).sizes, [10_000])
  // Not known yet: everyone, one even shard per slot.
  const unknown = width(ranked, { ...base, workMicros: null })
  t.same([names(unknown).length, unknown.sizes], [4, [2_500, 2_500, 2_500, 2_500]])
  // The message cap: no shard over items / minShards when members take part.
  const capped = width(ranked, { ...base, workMicros: 500_000, minShards: 20 })
  t.ok(capped.sizes.length >= 20 && capped.sizes.every((n) => n <= 500), `${capped.sizes}`)
})
