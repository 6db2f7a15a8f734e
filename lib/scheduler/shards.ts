import { FUNCTION_BAD_OUTPUT } from '../errors.js'
import { MAX_OUTPUT_BYTES } from '../wasm/runner.js'
import type { Reduce } from '../wire/messages.js'

/** What one shard produced: execute's i32 and, for array-output functions, the array. */
export interface ShardOutput {
  result: number
  output?: Int32Array
}

/**
 * A reduced invocation result: a number for scalar functions, the numbers of `concat`, and an
 * Int32Array for array output (JSON-encoded as an array; see lib/gateway/json.ts).
 */
export type Reduced = number | number[] | Int32Array

/**
 * Combines shard outputs in shard order. Array output is concatenated whatever the reducer (the
 * reducer says how scalars combine), up to the 6 MiB a reply may hold. `sum` is exact: shard results add up as doubles, which is
 * exact for fewer than 2^21 shards of i32, so no 32-bit wrap-around is introduced here.
 */
export function reduce(reducer: Reduce, shards: readonly ShardOutput[]): Reduced {
  if (shards.some((s) => s.output !== undefined)) {
    const total = shards.reduce((n, s) => n + (s.output?.length ?? 0), 0)
    // Each shard's output is capped at the reply limit; together they are too.
    if (total * 4 > MAX_OUTPUT_BYTES) {
      throw FUNCTION_BAD_OUTPUT(
        `the shards' outputs together are ${total * 4} bytes, over the ${MAX_OUTPUT_BYTES}-byte response limit`
      )
    }
    const out = new Int32Array(total)
    let at = 0
    for (const s of shards) {
      if (s.output === undefined) continue
      out.set(s.output, at)
      at += s.output.length
    }
    return out
  }
  const results = shards.map((s) => s.result)
  switch (reducer) {
    case 'sum':
      return results.reduce((a, b) => a + b, 0)
    case 'min':
      return Math.min(...results)
    case 'max':
      return Math.max(...results)
    case 'concat':
      return results
    case 'none':
      return results[0] ?? 0
  }
}
