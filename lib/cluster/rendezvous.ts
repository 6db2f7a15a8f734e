import { createHash } from 'node:crypto'

/**
 * Rendezvous (highest random weight) hashing: the one id among `ids` that owns `key`. Every
 * edge that sees the same ids picks the same owner, and when an id leaves only the keys it
 * owned move. Null when there are no ids.
 */
export function rendezvous(key: string, ids: Iterable<string>): string | null {
  let best: string | null = null
  let bestScore = ''
  for (const id of ids) {
    const score = createHash('sha256').update(key).update('\0').update(id).digest('hex')
    if (best === null || score > bestScore) {
      best = id
      bestScore = score
    }
  }
  return best
}
