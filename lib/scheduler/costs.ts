/** Weight of the newest shard in a function's moving average of time per item. */
const EWMA_WEIGHT = 0.3
/** Functions remembered at most (the least recently used is forgotten beyond this). */
const CAPACITY = 1_024

/**
 * What a function's items cost to run, learned from the shards this edge has run or sent: an
 * exponentially weighted average of execution microseconds per item, per module (sha256). It
 * lets the scheduler keep cheap invocations on one local shard, where a network hop would cost
 * more than the work.
 */
export class ShardCosts {
  private readonly perItem = new Map<string, number>()

  /** Records a finished shard: `micros` of execution for `items` items. */
  record(module: string, items: number, micros: number): void {
    if (items <= 0 || !Number.isFinite(micros) || micros < 0) return
    const sample = micros / items
    const known = this.perItem.get(module)
    this.perItem.delete(module) // re-inserted: most recently used last
    this.perItem.set(module, known === undefined ? sample : known + EWMA_WEIGHT * (sample - known))
    if (this.perItem.size > CAPACITY)
      this.perItem.delete(this.perItem.keys().next().value as string)
  }

  /** Expected execution microseconds for `items` items, or null for a function not seen yet. */
  estimate(module: string, items: number): number | null {
    const perItem = this.perItem.get(module)
    return perItem === undefined ? null : perItem * items
  }
}
