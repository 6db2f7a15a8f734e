import type { NodeInfo } from '../wire/rpc.js'
import type { GossipedMember } from '../wire/members.js'

/**
 * A member nobody has heard from for this long is dropped from the membership: heartbeats go
 * every 2 s and gossip rounds too, so a live member's age stays a few seconds per hop.
 */
export const MEMBER_EXPIRY_MS = 15_000
/** Members kept at most (gossip from a hostile-but-keyed member cannot grow the table past it). */
const MAX_MEMBERS = 1_024

/** A member known by gossip (not connected here). */
export interface KnownMember {
  id: string
  info: NodeInfo
  /** Local ms when someone last heard from it (its age, as told, subtracted). */
  heardAt: number
  /** The connected member that told us most recently. */
  via: string
}

/**
 * The whole membership of a mesh where not everyone is connected to everyone (Hyperswarm keeps
 * at most `maxPeers` connections): each edge tells its connected members every member it knows
 * with how long ago it was heard; an edge keeps the freshest word about each and forgets one
 * that no one has heard for MEMBER_EXPIRY_MS. Ages only grow as they travel, so a dead member
 * cannot be kept alive by gossip going round.
 */
export class Membership {
  private readonly members = new Map<string, KnownMember>()

  constructor(
    private readonly selfId: () => string,
    private readonly now: () => number = Date.now
  ) {}

  /** What a connected member told us. */
  merge(from: string, list: readonly GossipedMember[]): void {
    const now = this.now()
    const self = this.selfId()
    for (const m of list) {
      const id = Buffer.from(m.id).toString('hex')
      if (id === self || m.ageMs >= MEMBER_EXPIRY_MS) continue
      const heardAt = now - m.ageMs
      const known = this.members.get(id)
      if (known !== undefined && known.heardAt >= heardAt) continue
      if (known === undefined && this.members.size >= MAX_MEMBERS) continue
      this.members.set(id, { id, info: m.info, heardAt, via: from })
    }
  }

  /** Members known by gossip, expired ones dropped. */
  list(): KnownMember[] {
    const now = this.now()
    for (const [id, m] of this.members) {
      if (now - m.heardAt >= MEMBER_EXPIRY_MS) this.members.delete(id)
    }
    return [...this.members.values()]
  }
}
