/**
 * The width of a call: which executors take part and into how many shards the input is cut,
 * weighing each member's round trip against the work it would take over. Pure: it sees ranked
 * candidates (see placement.ts) and the work the cost model expects.
 */
import { ranges, type Candidate } from './placement.js'

/** The smallest shard of known work is 1/16 of a slot's share of it... */
export const TAIL_SHARES_PER_SLOT = 16
/** ...and there are at most this many shards per slot (each shard costs a hop or a dispatch). */
export const SHARDS_PER_SLOT = 4
/**
 * A shard cut for an invocation that members take part in carries at least this much work: its
 * dispatch, hop and answer cost the edges ~0.5-1 ms of CPU (measured on 2 cores: 3 edges on one
 * machine ran a 140 ms mandelbrot 20% slower in 23 shards than in 6), so that stays under ~5%.
 */
export const MIN_MEMBER_SHARD_MICROS = 20_000
/** A member holds at most this many shards per worker beyond one each (to hide its round trip). */
const MAX_PREFETCH_PER_WORKER = 3

/** What a call's width depends on. */
export interface WidthOptions {
  /** Items after the function's fixed header (what is split). */
  items: number
  /** Expected µs of execution for all of them (the cost model's), null when not known yet. */
  workMicros: number | null
  /** The least work a shard should carry, µs (below it a hop costs more than it saves). */
  minShardMicros: number
  maxShards: number
  /** The fewest shards the input must be cut into when members take part (message cap). */
  minShards: number
}

/** An executor taking part: how many shards it may hold at once. */
export interface Lane {
  candidate: Candidate
  slots: number
}

/** The executors taking part (rank order, this edge among them) and the shards' sizes, in order. */
export interface Width {
  lanes: Lane[]
  /** Items per shard, in shard order (empty: nothing to run). */
  sizes: number[]
}

const slotsOf = (c: Candidate) => Math.max(1, c.workers)

/**
 * Shard sizes by factoring: each shard takes 1/(2 × slots) of the items left, so shards shrink
 * towards the end and the executors pulling them finish close together. Never under `minItems`
 * (the least work worth a shard) nor over `maxItems` (what one message holds); a rest under two
 * minimums is one shard, or two halves; past `maxShards` the rest is one shard if a message
 * holds it.
 */
export function taper(
  items: number,
  slots: number,
  limits: { minItems: number; maxItems: number; maxShards: number }
): number[] {
  const minItems = Math.max(1, limits.minItems)
  const maxItems = Math.max(minItems, limits.maxItems)
  const sizes: number[] = []
  let left = items
  while (left > 0) {
    let size = Math.min(maxItems, Math.max(minItems, Math.ceil(left / (2 * slots))))
    if ((left - size < minItems || sizes.length >= limits.maxShards - 1) && left <= maxItems) {
      // The rest: one shard, or two halves when it is over one and a half minimums (a tail of
      // one double-size shard would leave the other executors idle while it runs).
      size =
        left >= 1.5 * minItems && sizes.length < limits.maxShards - 1 ? Math.ceil(left / 2) : left
    }
    sizes.push(size)
    left -= size
  }
  return sizes
}

/** `count` sizes as even as possible (placement's contiguous ranges). */
const even = (items: number, count: number): number[] =>
  ranges(items, count).map((r) => r.end - r.start)

/**
 * How wide a call runs.
 * - Work not known yet: every ranked executor, one even shard per slot (the first call teaches
 *   the cost model; a far member's shard is backed up here once this edge is idle).
 * - Known work: this edge alone would take `work / its slots`. A member takes part only when its
 *   round trip plus two of its first shards fit in that time (it returns shards before this
 *   edge alone would have finished), nearest first. The shards taper (see `taper`) down to
 *   1/16 of a slot's share of the work, and never under 20 ms (MIN_MEMBER_SHARD_MICROS). Work worth one shard
 *   is one shard here; work no member takes is one even shard per worker of this edge.
 * A member's slots are its workers plus enough to cover its round trip (it pulls the next shard
 * before it finishes the current one).
 */
export function width(ranked: readonly Candidate[], options: WidthOptions): Width {
  const self = ranked.find((c) => c.self)
  const { items, workMicros, maxShards } = options
  if (self === undefined || items === 0) return { lanes: [], sizes: [] }
  const slotsIn = (chosen: readonly Candidate[]) => chosen.reduce((n, c) => n + slotsOf(c), 0)
  if (workMicros === null) {
    // Cut to fit messages even here: any shard may be re-run on a member.
    const count = Math.min(items, Math.max(Math.min(slotsIn(ranked), maxShards), options.minShards))
    return {
      lanes: ranked.map((c) => ({ candidate: c, slots: slotsOf(c) })),
      sizes: even(items, count)
    }
  }
  if (workMicros < 2 * options.minShardMicros) {
    return { lanes: [{ candidate: self, slots: slotsOf(self) }], sizes: [items] }
  }
  const alone = workMicros / slotsOf(self)
  let chosen: Candidate[] = [self]
  for (const member of ranked) {
    if (member.self) continue
    const trial = [...chosen, member]
    const first = workMicros / (2 * slotsIn(trial))
    if (member.rttMs * 1000 + 2 * first <= alone) chosen = trial
  }
  // Rank order, as placement gave it.
  chosen = ranked.filter((c) => chosen.includes(c))
  const slots = slotsIn(chosen)
  if (chosen.length === 1) {
    // Nobody to steal from but this edge's own workers, alike: one even shard per worker.
    const count = Math.min(slots, items, maxShards)
    return { lanes: [{ candidate: self, slots }], sizes: even(items, count) }
  }
  const perItem = workMicros / items
  const least = Math.max(
    options.minShardMicros,
    MIN_MEMBER_SHARD_MICROS,
    workMicros / (TAIL_SHARES_PER_SLOT * slots)
  )
  // At most SHARDS_PER_SLOT per slot: the tail's floor rises until the taper fits.
  const cap = Math.min(maxShards, SHARDS_PER_SLOT * slots)
  // Members hold at most a message's worth: at least the message cap's count of shards.
  const maxItems = Math.max(1, Math.floor(items / Math.max(1, options.minShards)))
  const limits = { minItems: Math.ceil(least / perItem), maxItems }
  let sizes = taper(items, slots, { ...limits, maxShards })
  while (sizes.length > cap && limits.minItems < limits.maxItems) {
    limits.minItems = Math.ceil(limits.minItems * 1.25)
    sizes = taper(items, slots, { ...limits, maxShards })
  }
  if (sizes.length <= slotsOf(self)) {
    // Too little work for members to get a shard of their own: this edge's workers share it.
    const count = Math.min(slotsOf(self), items, maxShards)
    return { lanes: [{ candidate: self, slots: slotsOf(self) }], sizes: even(items, count) }
  }
  const first = workMicros / (2 * slots)
  const lanes = chosen.map((c) => {
    const prefetch = c.self
      ? 0
      : Math.min(MAX_PREFETCH_PER_WORKER * slotsOf(c), Math.round((c.rttMs * 1000) / first))
    return { candidate: c, slots: slotsOf(c) + prefetch }
  })
  return { lanes, sizes }
}
