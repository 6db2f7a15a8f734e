import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseHostPorts } from '../config.js'

/** Members remembered at most (the most recently seen). */
const MAX_REMEMBERED = 64
/** A member not seen for this long is forgotten. */
const FORGET_MS = 30 * 86_400_000

/** A member's DHT address, as remembered in the state dir. */
export interface RememberedMember {
  id: string
  name: string
  /** `host:port` of its DHT node. */
  dht: string
  /** ms since the epoch. */
  lastSeen: number
}

/**
 * The members this edge has seen, by their DHT addresses, kept in `members.json` in its state
 * dir: what it bootstraps from when it starts again, so it rejoins through any live member even
 * when every configured bootstrap node is gone. Written only when the set of addresses changes
 * (atomically: a temporary file renamed over the old one).
 */
export class RememberedMembers {
  private readonly file: string
  private readonly members = new Map<string, RememberedMember>()
  private written = ''

  constructor(stateDir: string, now = Date.now()) {
    this.file = join(stateDir, 'members.json')
    try {
      const list = JSON.parse(readFileSync(this.file, 'utf8')) as unknown
      if (!Array.isArray(list)) return
      for (const m of list as Partial<RememberedMember>[]) {
        if (typeof m.id !== 'string' || typeof m.dht !== 'string') continue
        if (typeof m.lastSeen !== 'number' || now - m.lastSeen > FORGET_MS) continue
        this.members.set(m.id, {
          id: m.id,
          name: String(m.name ?? ''),
          dht: m.dht,
          lastSeen: m.lastSeen
        })
      }
      this.written = this.key()
    } catch {
      // none yet, or unreadable: start with none (the file is rewritten on the next change)
    }
  }

  /** The remembered DHT addresses, most recently seen first. */
  addresses(): { host: string; port: number }[] {
    const sorted = [...this.members.values()].sort((a, b) => b.lastSeen - a.lastSeen)
    return parseHostPorts(sorted.map((m) => m.dht).join(','), () => undefined)
  }

  /** The remembered members' swarm ids (hex), most recently seen first. */
  ids(): string[] {
    return [...this.members.values()].sort((a, b) => b.lastSeen - a.lastSeen).map((m) => m.id)
  }

  /** Members seen now; writes the file when an address is new or changed. */
  seen(members: readonly { id: string; name: string; dht: string }[], now = Date.now()): void {
    for (const m of members) {
      if (m.dht === '') continue
      this.members.set(m.id, { id: m.id, name: m.name, dht: m.dht, lastSeen: now })
    }
    if (this.members.size > MAX_REMEMBERED) {
      const oldest = [...this.members.values()].sort((a, b) => b.lastSeen - a.lastSeen)
      for (const m of oldest.slice(MAX_REMEMBERED)) this.members.delete(m.id)
    }
    const key = this.key()
    if (key === this.written) return
    mkdirSync(join(this.file, '..'), { recursive: true })
    const list = [...this.members.values()].sort((a, b) => b.lastSeen - a.lastSeen)
    writeFileSync(`${this.file}.tmp`, JSON.stringify(list, null, 2) + '\n')
    renameSync(`${this.file}.tmp`, this.file)
    this.written = key
  }

  /** What decides whether the file needs writing: the members and their addresses. */
  private key(): string {
    return [...this.members.values()]
      .map((m) => `${m.id}@${m.dht}`)
      .sort()
      .join(',')
  }
}
