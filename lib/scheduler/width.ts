/**
 * The width of a call: which executors take part and into how many shards the input is cut,
 * weighing each member's round trip against the work it would take over. Pure: it sees ranked
 * candidates (see placement.ts) and the work the cost model expects.
 */
import type { Candidate } from './placement.js'

/** Shards per executor slot once the work is known: a finished executor pulls the next one. */
export const SHARDS_PER_SLOT = 4
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

/** The executors taking part (rank order, this edge among them) and how many shards. */
export interface Width {
  lanes: Lane[]
  shards: number
}

const slotsOf = (c: Candidate) => Math.max(1, c.workers)

/**
 * How wide a call runs.
 * - Work not known yet: every ranked executor, one shard per slot (the first call teaches the
 *   cost model; a far member's shard is backed up here once this edge is idle, see lanes.ts).
 * - Known work: this edge alone would take `work / its slots`. A member takes part only when its
 *   round trip plus two shards of work fit in that time (it returns shards before this edge
 *   alone would have finished), nearest first; then SHARDS_PER_SLOT shards per slot, each worth
 *   at least `minShardMicros`. Work worth one shard is one shard here.
 * A member's slots are its workers plus enough to cover its round trip (it pulls the next shard
 * before it finishes the current one).
 */
export function width(ranked: readonly Candidate[], options: WidthOptions): Width {
  const self = ranked.find((c) => c.self)
  if (self === undefined || options.items === 0) return { lanes: [], shards: 0 }
  const { items, workMicros, maxShards } = options
  // At least the message cap's count when members take part; at most one shard per item.
  const clamp = (n: number, withMembers: boolean) =>
    Math.min(items, Math.max(Math.min(n, maxShards), withMembers ? options.minShards : 1))
  if (workMicros === null) {
    const slots = ranked.reduce((n, c) => n + slotsOf(c), 0)
    // Cut to fit messages even here: any shard may be re-run on a member.
    const shards = clamp(slots, true)
    return { lanes: ranked.map((c) => ({ candidate: c, slots: slotsOf(c) })), shards }
  }
  const worth = Math.max(1, Math.floor(workMicros / options.minShardMicros))
  if (worth === 1) return { lanes: [{ candidate: self, slots: slotsOf(self) }], shards: 1 }
  const alone = workMicros / slotsOf(self)
  const cut = (chosen: readonly Candidate[]) => {
    const slots = chosen.reduce((n, c) => n + slotsOf(c), 0)
    return clamp(Math.min(slots * SHARDS_PER_SLOT, worth), chosen.length > 1)
  }
  let chosen: Candidate[] = [self]
  for (const member of ranked) {
    if (member.self) continue
    const trial = [...chosen, member]
    const shard = workMicros / cut(trial)
    if (member.rttMs * 1000 + 2 * shard <= alone) chosen = trial
  }
  // Rank order, as placement gave it.
  chosen = ranked.filter((c) => chosen.includes(c))
  const shards = cut(chosen)
  const shardMicros = workMicros / shards
  const lanes = chosen.map((c) => {
    const prefetch = c.self
      ? 0
      : Math.min(MAX_PREFETCH_PER_WORKER * slotsOf(c), Math.ceil((c.rttMs * 1000) / shardMicros))
    return { candidate: c, slots: slotsOf(c) + prefetch }
  })
  return { lanes, shards }
}
