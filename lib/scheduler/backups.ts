/**
 * Speculative backups: when a shard already running somewhere is run again elsewhere, the
 * first answer counting. Two rules, both pure over the run's state:
 * - stragglers: once half the shards are done, one running over twice the median finished
 *   shard (and at least 50 ms) gets a backup on the next executor it has not tried;
 * - the endgame (work-stealing): when no shard is left to pull, an executor with a free slot
 *   takes over the running shard expected to finish last, if it expects to finish it sooner.
 */
import type { Executor, ShardTask } from './executors.js'

/** Backups start once this share of the shards is done... */
const BACKUP_AFTER_DONE = 0.5
/** ...for a shard running this many times longer than the median finished shard... */
const BACKUP_SLOWER_THAN_MEDIAN = 2
/** ...and at least this long. */
const BACKUP_MIN_MS = 50
/** An endgame backup must be expected to answer this much sooner (share of its own time)... */
const ENDGAME_GAIN = 0.25
/**
 * ...and at least this many ms sooner: duplicated work must buy something, and a member a LAN
 * away (a few ms) is not worth overtaking for a shard of microseconds.
 */
const ENDGAME_MIN_GAIN_MS = 10

/** An executor an invocation may use, in rank order: how many shards it may hold at once. */
export interface LaneSpec {
  executor: Executor
  /** Shards it may hold at once (pulled as it frees up). */
  slots: number
  /** Its round trip, ms (0 for this edge). */
  rttMs: number
}

/** A lane as one invocation runs it. */
export interface LaneState extends LaneSpec {
  running: number
  /** Failed a shard for a reason of its own: it gets no more of this invocation's shards. */
  out: boolean
  /** What its finished shards took, in this invocation. */
  doneMs: number
  doneItems: number
}

export interface Attempt {
  lane: LaneState
  started: number
  backup: boolean
  settled: boolean
}

export interface ShardState {
  task: ShardTask
  attempts: Attempt[]
  done: boolean
}

/** The straggler rule: shards that get a backup now, each with the executor it goes to. */
export function stragglerBackups(
  shards: readonly ShardState[],
  finishedMs: readonly number[],
  next: (shard: ShardState) => LaneState | null,
  now: number
): [ShardState, LaneState][] {
  if (finishedMs.length < Math.ceil(shards.length * BACKUP_AFTER_DONE)) return []
  const sorted = [...finishedMs].sort((a, b) => a - b)
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0
  const threshold = Math.max(BACKUP_MIN_MS, BACKUP_SLOWER_THAN_MEDIAN * median)
  const out: [ShardState, LaneState][] = []
  for (const shard of shards) {
    if (shard.done || shard.attempts.some((a) => a.backup)) continue
    const running = shard.attempts.find((a) => !a.settled)
    if (running === undefined || now - running.started < threshold) continue
    const lane = next(shard)
    if (lane !== null) out.push([shard, lane])
  }
  return out
}

/**
 * What a shard should take on a lane, ms: from the lane's own finished shards in this
 * invocation, else the cost model's µs per item plus the lane's round trip, else the median
 * finished shard plus the round trip; null when nothing is known yet.
 */
export function expectedMs(
  lane: LaneState,
  items: number,
  perItemMicros: number | null,
  medianMs: number | null
): number | null {
  if (lane.doneItems > 0) return (lane.doneMs / lane.doneItems) * items
  if (perItemMicros !== null) return (perItemMicros * items) / 1000 + lane.rttMs
  return medianMs === null ? null : medianMs + lane.rttMs
}

/**
 * The endgame rule, for one lane with a free slot: the running shard it should back up (the one
 * expected to answer last, where this lane would answer sooner), or null.
 */
export function endgameBackup(
  lane: LaneState,
  shards: readonly ShardState[],
  expect: (lane: LaneState, shard: ShardState) => number | null,
  now: number,
  maxAttempts: number
): ShardState | null {
  let best: ShardState | null = null
  let bestEnd = -Infinity
  for (const shard of shards) {
    if (shard.done || shard.attempts.length >= maxAttempts) continue
    if (shard.attempts.some((a) => a.lane === lane || a.backup)) continue
    const running = shard.attempts.find((a) => !a.settled)
    if (running === undefined) continue
    const theirs = expect(running.lane, shard)
    if (theirs === null) continue
    // An attempt past its expected time is taken to need that long again.
    const end = Math.max(running.started + theirs, now + theirs / 2)
    if (end > bestEnd) {
      best = shard
      bestEnd = end
    }
  }
  if (best === null) return null
  const mine = expect(lane, best)
  if (mine === null) return null
  const gain = bestEnd - (now + mine)
  return gain > Math.max(ENDGAME_MIN_GAIN_MS, ENDGAME_GAIN * mine) ? best : null
}
