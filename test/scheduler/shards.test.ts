import t from 'tap'
import { reduce } from '../../lib/scheduler/shards.js'
import { MAX_OUTPUT_BYTES } from '../../lib/wasm/runner.js'

t.test('scalar results combine as the reducer says', async (t) => {
  const shards = [{ result: 5 }, { result: -2 }, { result: 2_147_483_647 }]
  t.equal(reduce('sum', shards), 2_147_483_650, 'sum: exact, no 32-bit wrap')
  t.equal(reduce('min', shards), -2)
  t.equal(reduce('max', shards), 2_147_483_647)
  t.same(reduce('concat', shards), [5, -2, 2_147_483_647])
  t.equal(reduce('none', shards), 5)
})

t.test('array outputs are concatenated in shard order into one Int32Array', async (t) => {
  const out = reduce('sum', [
    { result: 0, output: Int32Array.of(1, 2) },
    { result: 0 },
    { result: 0, output: Int32Array.of(-3) }
  ])
  t.ok(out instanceof Int32Array, 'typed: encoded without a JS array of millions')
  t.same(Array.from(out as Int32Array), [1, 2, -3])
})

t.test('the outputs together are capped at the reply limit', async (t) => {
  const items = MAX_OUTPUT_BYTES / 4
  const half = { result: 0, output: new Int32Array(items / 2) }
  t.equal((reduce('concat', [half, half]) as Int32Array).length, items, 'exactly at the limit')
  t.throws(() => reduce('concat', [half, half, { result: 0, output: Int32Array.of(1) }]), {
    code: 'FUNCTION_BAD_OUTPUT',
    message: `The function's output is invalid: the shards' outputs together are ${MAX_OUTPUT_BYTES + 4} bytes, over the ${MAX_OUTPUT_BYTES}-byte response limit`
  })
})
