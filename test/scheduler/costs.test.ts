import t from 'tap'
import { ShardCosts } from '../../lib/scheduler/costs.js'

t.test('per-item cost: unknown, then a moving average of what shards took', async (t) => {
  const costs = new ShardCosts()
  t.equal(costs.estimate('f', 100), null)
  costs.record('f', 100, 1_000) // 10 µs per item
  t.equal(costs.estimate('f', 50), 500)
  costs.record('f', 100, 2_000) // 20 µs per item: the average moves 30% of the way
  t.equal(costs.estimate('f', 10), 130)
  costs.record('f', 0, 5_000) // nothing to learn from an empty shard
  costs.record('f', 10, Number.NaN)
  t.equal(costs.estimate('f', 10), 130)
  t.equal(costs.estimate('g', 10), null, 'per function')
})
