import { FUNCTION_BAD_OUTPUT } from '../errors.js'
import { MAX_OUTPUT_BYTES } from '../wasm/runner.js'
import type { Reduce } from '../wire/function-record.js'

/**
 * A JSON event whose `dataset` is split over shards: every shard gets the other fields as they
 * are and its own slice of the dataset (a number array may arrive typed, from the JSON worker).
 */
export interface JsonEvent {
  fields: Record<string, unknown>
  dataset: unknown[] | Int32Array | Float64Array
}

/** The event as one JSON document, when it holds a dataset array to split; else null. */
export function jsonEvent(value: unknown): JsonEvent | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null
  const { dataset, ...fields } = value as Record<string, unknown>
  if (Array.isArray(dataset) || dataset instanceof Int32Array || dataset instanceof Float64Array) {
    return { fields, dataset }
  }
  return null
}

/** A shard's event: the fields, and items start..end of the dataset, as JSON bytes. */
export function shardEvent(event: JsonEvent, start: number, end: number): Uint8Array {
  const slice = event.dataset.slice(start, end)
  const dataset = Array.isArray(slice) ? slice : Array.from(slice)
  return Buffer.from(JSON.stringify({ ...event.fields, dataset }))
}

/**
 * Combines JS shard answers (JSON values) in shard order: numbers for sum, min and max, arrays
 * for concat. An answer of the wrong kind is the function's error, never skipped.
 */
export function reduceJson(reducer: Reduce, answers: readonly unknown[]): unknown {
  if (reducer === 'none') return answers[0] ?? null
  if (reducer === 'concat') {
    return answers.flatMap((answer, shard) => {
      if (!Array.isArray(answer)) throw wrongKind(shard, answer, 'an array', reducer)
      return answer
    })
  }
  const numbers = answers.map((answer, shard) => {
    if (typeof answer !== 'number') throw wrongKind(shard, answer, 'a number', reducer)
    return answer
  })
  if (reducer === 'sum') return numbers.reduce((a, b) => a + b, 0)
  return reducer === 'min' ? Math.min(...numbers) : Math.max(...numbers)
}

function wrongKind(shard: number, answer: unknown, kind: string, reducer: Reduce) {
  const seen = JSON.stringify(answer)?.slice(0, 60) ?? String(answer)
  return FUNCTION_BAD_OUTPUT(`shard ${shard} answered ${seen}; ${reducer} takes ${kind}`)
}

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
