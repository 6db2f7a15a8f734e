import t from 'tap'
import { FUNCTION_TRAP, PEER_UNAVAILABLE, SwarmError, WASM_UNAVAILABLE } from '../../lib/errors.js'
import type { ShardRun } from '../../lib/scheduler/executors.js'
import {
  answers,
  type Behaviour,
  Fake,
  fails,
  invocation,
  never,
  oneTo,
  scheduler,
  sumOf
} from './fakes.js'

t.test('shards run on this edge and its members; results reduce exactly', async (t) => {
  const [a, b, c] = [
    new Fake('', 'a', answers()),
    new Fake('b', 'b', answers()),
    new Fake('c', 'c', answers())
  ]
  const progress: [number, number][] = []
  const out = await scheduler(a, [b, c]).run(invocation(oneTo(10_000)), (done, total) =>
    progress.push([done, total])
  )
  t.equal(out.result, 50_005_000)
  t.equal(out.partial, false)
  t.same(
    out.shards.map((s) => [s.index, s.edge, s.attempts, s.items]),
    [
      [0, 'a', 1, 3334],
      [1, 'b', 1, 3333],
      [2, 'c', 1, 3333]
    ]
  )
  t.same(progress[0], [0, 3])
  t.same(progress.at(-1), [3, 3])
  t.equal(progress.length, 4)
})

t.test('every shard gets the header, then its own slice', async (t) => {
  const [a, b] = [new Fake('', 'a', answers(2)), new Fake('b', 'b', answers(2))]
  const out = await scheduler(a, [b]).run(invocation([7, 9, 1, 2, 3, 4, 5], { headerItems: 2 }))
  t.equal(out.result, 15)
  t.same(Array.from(a.seen[0]!.input), [7, 9, 1, 2, 3])
  t.same(Array.from(b.seen[0]!.input), [7, 9, 4, 5])
})

t.test(
  'a shard whose member fails is re-run on the next executor, and the member struck',
  async (t) => {
    const strikes: string[] = []
    const a = new Fake('', 'a', answers())
    const b = new Fake(
      'b',
      'b',
      fails(() => PEER_UNAVAILABLE('b'))
    )
    const out = await scheduler(a, [b], strikes).run(invocation(oneTo(100)))
    t.equal(out.result, 5050)
    const rerun = out.shards[1]!
    t.equal(rerun.edge, 'a')
    t.equal(rerun.attempts, 2)
    t.same(rerun.failures, [{ edge: 'b', code: 'PEER_UNAVAILABLE' }])
    t.same(strikes, ['b'])
  }
)

t.test('a straggler gets a backup; the first answer wins and counts once', async (t) => {
  let release = (_: ShardRun) => undefined as void
  const a = new Fake('', 'a', answers())
  const b = new Fake('b', 'b', () => new Promise<ShardRun>((resolve) => (release = resolve)))
  const c = new Fake('c', 'c', answers())
  const out = await scheduler(a, [b, c]).run(invocation(oneTo(300)))
  t.equal(out.result, 45_150)
  t.equal(b.pending, 1, 'answered while the straggler still ran')
  const backedUp = out.shards[1]!
  t.equal(backedUp.backup, true)
  t.equal(backedUp.attempts, 2)
  t.not(backedUp.edge, 'b')
  release({ result: 1_000_000 }) // a late answer for a finished shard is ignored
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(out.result, 45_150)
})

t.test('a function error is final: not re-run, and it names the shard', async (t) => {
  const a = new Fake('', 'a', answers())
  const b = new Fake(
    'b',
    'b',
    fails(() => FUNCTION_TRAP('unreachable executed'))
  )
  const err = await scheduler(a, [b])
    .run(invocation(oneTo(10)))
    .catch((e: unknown) => e)
  t.ok(err instanceof SwarmError)
  t.equal((err as SwarmError).code, 'FUNCTION_TRAP')
  t.match((err as SwarmError).message, /^shard 1 on b: /)
  t.equal(a.seen.length, 1, 'the trapped shard was not given to a')
})

t.test('shards lost after every retry make the answer partial, naming them', async (t) => {
  // Shard 1 fails wherever it goes (PEER_UNAVAILABLE stands for any non-function failure).
  const failsShard1 =
    (name: string): Behaviour =>
    async (shard) => {
      if (shard.index === 1) throw PEER_UNAVAILABLE(name)
      return { result: sumOf(shard, 0) }
    }
  const a = new Fake('', 'a', failsShard1('a'))
  const b = new Fake('b', 'b', failsShard1('b'))
  const c = new Fake('c', 'c', failsShard1('c'))
  const out = await scheduler(a, [b, c]).run(invocation([1, 2, 3]))
  t.equal(out.partial, true)
  t.same(out.missing, [1])
  t.equal(out.result, 4, 'what answered still reduces')
  t.equal(out.shards[1]!.edge, null)
  t.equal(out.shards[1]!.attempts, 3)
})

t.test('no shard by the deadline: INVOCATION_TIMEOUT', async (t) => {
  const a = new Fake('', 'a', never)
  const err = await scheduler(a, [new Fake('b', 'b', never)])
    .run(invocation(oneTo(4), { timeoutMs: 20 }))
    .catch((e: unknown) => e)
  t.equal((err as SwarmError).code, 'INVOCATION_TIMEOUT')
  t.equal((err as SwarmError).status, 504)
})

t.test(
  'one shard that never answers: INVOCATION_TIMEOUT at the deadline all the same',
  async (t) => {
    const a = new Fake('', 'a', never)
    const err = await scheduler(a, [])
      .run(invocation(oneTo(4), { timeoutMs: 20, reduce: 'none' }))
      .catch((e: unknown) => e)
    t.equal((err as SwarmError).code, 'INVOCATION_TIMEOUT')
    t.equal(a.seen.length, 1)
  }
)

t.test('what does not shard runs as one shard here', async (t) => {
  for (const over of [{ reduce: 'none' as const }, { module: null }]) {
    const a = new Fake('', 'a', answers())
    const b = new Fake('b', 'b', answers())
    const out = await scheduler(a, [b]).run(invocation(oneTo(10), over))
    t.equal(out.shards.length, 1)
    t.equal(out.shards[0]!.edge, 'a')
    t.equal(b.seen.length, 0)
  }
})

t.test('an input too big for one message is cut even with no members', async (t) => {
  const a = new Fake('', 'a', answers())
  const out = await scheduler(a, []).run(invocation(new Array<number>(600_000).fill(1)))
  t.equal(out.result, 600_000)
  t.ok(out.shards.length >= 3, `${out.shards.length} shards of at most ~1 MiB`)
})

t.test('once a function is known to be cheap it runs as one shard here', async (t) => {
  const cheap: Behaviour = async (shard) => ({ result: sumOf(shard, 0), micros: 2 })
  const [a, b, c] = [new Fake('', 'a', cheap), new Fake('b', 'b', cheap), new Fake('c', 'c', cheap)]
  const s = scheduler(a, [b, c])
  const first = await s.run(invocation(oneTo(3_000)))
  t.equal(first.shards.length, 3, 'unknown at first: as wide as placement allows')
  const second = await s.run(invocation(oneTo(3_000)))
  t.equal(second.result, 4_501_500)
  t.same(
    second.shards.map((x) => x.edge),
    ['a'],
    'microseconds of work stay local'
  )
})

t.test('a cheap input too big for one message stays one shard here, uncut', async (t) => {
  // Only messages to members are capped: cutting 2.4 MB of microseconds of work to fit them
  // would send most of it over the network for nothing.
  const cheap: Behaviour = async (shard) => ({ result: sumOf(shard, 0), micros: 50 })
  const [a, b, c] = [new Fake('', 'a', cheap), new Fake('b', 'b', cheap), new Fake('c', 'c', cheap)]
  const s = scheduler(a, [b, c])
  const big = new Array<number>(600_000).fill(1)
  t.ok((await s.run(invocation(big))).shards.length >= 3, 'unknown at first: cut to fit')
  const again = await s.run(invocation(big))
  t.equal(again.result, 600_000)
  t.same(
    again.shards.map((x) => [x.edge, x.items]),
    [['a', 600_000]]
  )
  t.equal(b.seen.length + c.seen.length > 0, true, 'the first call did use the members')
})

t.test('a costly function stays sharded, as wide as its work is worth', async (t) => {
  // 1 ms per item: 300 items are 300 ms of work. Three executors of one slot each pull shards
  // that taper (each 1/6 of what is left, at least 20 ms): 50, 42, 35, 29, 24, then 20s.
  const costly: Behaviour = async (shard) => ({
    result: sumOf(shard, 0),
    micros: 1_000 * shard.items
  })
  const [a, b, c] = [
    new Fake('', 'a', costly),
    new Fake('b', 'b', costly),
    new Fake('c', 'c', costly)
  ]
  const s = scheduler(a, [b, c])
  await s.run(invocation(oneTo(300)))
  const again = await s.run(invocation(oneTo(300)))
  t.equal(again.result, 45_150)
  t.same(
    again.shards.map((x) => x.items),
    [50, 42, 35, 29, 24, 20, 20, 20, 20, 20, 20]
  )
  t.same(new Set(again.shards.map((x) => x.edge)), new Set(['a', 'b', 'c']), 'all three pulled')
  // 3 items are 3 ms: worth one shard of at least 2 ms.
  t.equal((await s.run(invocation(oneTo(3)))).shards.length, 1)
})

t.test('a member that has not replicated the module yet is not struck', async (t) => {
  const strikes: string[] = []
  const a = new Fake('', 'a', answers())
  const b = new Fake(
    'b',
    'b',
    fails(() => WASM_UNAVAILABLE('ab'.repeat(32)))
  )
  const out = await scheduler(a, [b], strikes).run(invocation(oneTo(10)))
  t.equal(out.result, 55)
  t.same(out.shards[1]!.failures, [{ edge: 'b', code: 'WASM_UNAVAILABLE' }])
  t.same(strikes, [], 'no strike')
})
