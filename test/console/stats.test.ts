import t from 'tap'
import { FunctionStats, WINDOW_SECONDS } from '../../lib/function-stats.js'

// The per-second figures behind the console's charts, on a clock the test moves.

t.test('calls, errors, throttles and percentiles per second, for the last minute', async (t) => {
  let now = 1_000_000_000_500
  const stats = new FunctionStats(() => now)
  for (let ms = 1; ms <= 100; ms++) stats.invocation('f', ms > 95, ms)
  stats.throttle('f')
  now += 2_000
  stats.invocation('f', false, 7)
  const { f } = stats.series(['f'])
  t.equal(f!.at.length, WINDOW_SECONDS + 1)
  t.equal(f!.at.at(-1), Math.floor(now / 1000))
  const first = f!.at.indexOf(Math.floor(now / 1000) - 2)
  t.same(
    [f!.invocations[first], f!.errors[first], f!.throttles[first], f!.p50[first], f!.p99[first]],
    [100, 5, 1, 50, 99]
  )
  t.same([f!.invocations[first + 1], f!.p50[first + 1]], [0, null], 'a quiet second')
  t.same([f!.invocations.at(-1), f!.p50.at(-1), f!.p99.at(-1)], [1, 7, 7])
  t.same(
    stats.series(['unknown']).unknown!.invocations,
    new Array(WINDOW_SECONDS + 1).fill(0),
    'a function never called has an empty window'
  )

  now += (WINDOW_SECONDS + 5) * 1000
  t.equal(
    stats.series(['f']).f!.invocations.reduce((a, b) => a + b, 0),
    0,
    'seconds older than the window are gone'
  )
})

t.test('a busy second keeps a bounded sample of its durations', async (t) => {
  const now = 2_000_000_000_000
  const stats = new FunctionStats(() => now)
  for (let i = 0; i < 100_000; i++) stats.invocation('busy', false, i < 50_000 ? 1 : 3)
  const { busy } = stats.series(['busy'])
  t.equal(busy!.invocations.at(-1), 100_000)
  t.equal(busy!.p99.at(-1), 3)
  t.ok([1, 3].includes(busy!.p50.at(-1) as number), 'the median is one of the two durations')
})
