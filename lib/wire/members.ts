import c from 'compact-encoding'
import { versioned } from './codec.js'
import { nodeInfo, type NodeInfo } from './rpc.js'

/** A member as gossiped: its swarm id, its info, and how long ago anyone heard from it. */
export interface GossipedMember {
  /** Swarm public key (32 bytes). */
  id: Uint8Array
  info: NodeInfo
  /** ms since it last answered the edge that heard it (0 for the sender itself). */
  ageMs: number
}

const gossipedMember: c.Encoder<GossipedMember> = {
  preencode(state, m) {
    c.fixed32.preencode(state, m.id)
    nodeInfo.preencode(state, m.info)
    c.uint.preencode(state, m.ageMs)
  },
  encode(state, m) {
    c.fixed32.encode(state, m.id)
    nodeInfo.encode(state, m.info)
    c.uint.encode(state, m.ageMs)
  },
  decode(state) {
    return {
      id: c.fixed32.decode(state),
      info: nodeInfo.decode(state),
      ageMs: c.uint.decode(state)
    }
  }
}

/** Every member an edge knows, itself first (the `members` request's answer). */
export const memberList: c.Encoder<GossipedMember[]> = versioned(
  1,
  'member list',
  c.array(gossipedMember)
)
