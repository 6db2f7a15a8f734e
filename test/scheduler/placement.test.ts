import t from 'tap'
import { place, rank, ranges, type Candidate } from '../../lib/scheduler/placement.js'

const edge = (name: string, over: Partial<Candidate> = {}): Candidate => ({
  id: name,
  name,
  self: false,
  distanceKm: 0,
  rttMs: 1,
  load: 0,
  workers: 1,
  healthy: true,
  ...over
})
const self = edge('self', { id: '', self: true, rttMs: 0 })

t.test('rank: nearest first by distance band, then RTT, then load per worker', async (t) => {
  const ranked = rank([
    edge('far', { distanceKm: 8_000, rttMs: 1 }),
    edge('near-slow', { distanceKm: 300, rttMs: 9 }),
    edge('near-fast', { distanceKm: 450, rttMs: 2 }),
    edge('near-busy', { distanceKm: 100, rttMs: 2, load: 8, workers: 2 }),
    self,
    edge('mid', { distanceKm: 1_200, rttMs: 0.5 })
  ])
  t.same(
    ranked.map((c) => c.name),
    ['self', 'near-fast', 'near-busy', 'near-slow', 'mid', 'far']
  )
})

t.test('rank: unhealthy members are left out, never the receiving edge', async (t) => {
  const ranked = rank([edge('sick', { healthy: false }), { ...self, healthy: false }, edge('ok')])
  t.same(
    ranked.map((c) => c.name),
    ['self', 'ok']
  )
})

t.test(
  'place: a round per worker over the ranked edges, capped by maxShards and items',
  async (t) => {
    const ranked = [{ ...self, workers: 2 }, edge('b', { workers: 2 }), edge('c', { workers: 1 })]
    const names = (list: Candidate[]) => list.map((c) => c.name)
    t.same(names(place(ranked, { items: 100, maxShards: 16 })), ['self', 'b', 'c', 'self', 'b'])
    t.same(names(place(ranked, { items: 100, maxShards: 3 })), ['self', 'b', 'c'])
    t.same(
      names(place(ranked, { items: 2, maxShards: 16 })),
      ['self', 'b'],
      'never more shards than items'
    )
    t.same(place(ranked, { items: 0, maxShards: 16 }), [], 'no items, no shards')
    t.same(
      names(place([self], { items: 100, maxShards: 16, minShards: 3 })),
      ['self', 'self', 'self'],
      'big inputs are cut even with one executor'
    )
  }
)

t.test('ranges: contiguous, in order, as even as possible, covering everything', async (t) => {
  t.same(ranges(10, 3), [
    { start: 0, end: 4 },
    { start: 4, end: 7 },
    { start: 7, end: 10 }
  ])
  t.same(ranges(2, 2), [
    { start: 0, end: 1 },
    { start: 1, end: 2 }
  ])
  const big = ranges(10_000, 7)
  t.equal(big[0]!.start, 0)
  t.equal(big.at(-1)!.end, 10_000)
  for (let i = 1; i < big.length; i++) t.equal(big[i]!.start, big[i - 1]!.end)
})
