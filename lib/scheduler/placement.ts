/**
 * Placement: which executors an invocation's shards go to. Pure: it sees the receiving edge and
 * its peers as the peer table describes them, and answers an ordered list of executors.
 */

/** An edge that can run shards, as placement sees it. */
export interface Candidate {
  /** Swarm id ('' for the receiving edge itself). */
  id: string
  name: string
  self: boolean
  /** Great-circle km from the receiving edge's region (0 for itself). */
  distanceKm: number
  /** Heartbeat round trip (0 for itself). */
  rttMs: number
  /** Calls queued or running on its executor. */
  load: number
  /** Executor workers (how many shards it runs at once). */
  workers: number
  /** Answering heartbeats and not struck recently (always true for itself). */
  healthy: boolean
}

/** Edges closer than this are "as near as each other": RTT and load decide among them. */
export const DISTANCE_BAND_KM = 500

/**
 * Executors by preference: healthy ones only, nearest first (distance in 500 km bands, then
 * RTT), the less loaded first among equals (load per worker). The receiving edge is always a
 * candidate: it is at distance 0 and needs no hop.
 */
export function rank(candidates: readonly Candidate[]): Candidate[] {
  return candidates
    .filter((c) => c.self || c.healthy)
    .sort(
      (a, b) =>
        Math.floor(a.distanceKm / DISTANCE_BAND_KM) - Math.floor(b.distanceKm / DISTANCE_BAND_KM) ||
        Number(b.self) - Number(a.self) ||
        a.rttMs - b.rttMs ||
        a.load / Math.max(1, a.workers) - b.load / Math.max(1, b.workers) ||
        (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
    )
}

/** How an invocation is cut. */
export interface PlanOptions {
  /** Items after the function's fixed header (what is split). */
  items: number
  /** The most shards an invocation may have. */
  maxShards: number
  /** The fewest shards the input must be cut into (e.g. so each fits in one message). */
  minShards?: number
}

/**
 * How many shards, and which executor each goes to first: one shard per executor slot (an
 * executor offers as many slots as it has workers), taken a round at a time in rank order, so
 * three edges of two workers get shards A, B, C, A, B, C. Never more shards than items (an empty
 * input is the caller's to refuse), never fewer than `minShards` when there are that many items.
 */
export function place(ranked: readonly Candidate[], options: PlanOptions): Candidate[] {
  if (ranked.length === 0 || options.items === 0) return []
  const slots: Candidate[] = []
  const rounds = Math.max(...ranked.map((c) => Math.max(1, c.workers)))
  for (let round = 0; round < rounds; round++) {
    for (const c of ranked) if (round < Math.max(1, c.workers)) slots.push(c)
  }
  const wanted = Math.max(Math.min(options.maxShards, slots.length), options.minShards ?? 1)
  const count = Math.min(wanted, options.items)
  return Array.from({ length: count }, (_, i) => slots[i % slots.length] as Candidate)
}

/**
 * Splits `items` into `count` contiguous ranges as even as possible (the first ones one longer),
 * in order: shard i covers [start, end).
 */
export function ranges(items: number, count: number): { start: number; end: number }[] {
  const size = Math.floor(items / count)
  const extra = items % count
  const out: { start: number; end: number }[] = []
  let start = 0
  for (let i = 0; i < count; i++) {
    const end = start + size + (i < extra ? 1 : 0)
    out.push({ start, end })
    start = end
  }
  return out
}
