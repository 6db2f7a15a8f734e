import { createSocket } from 'node:dgram'
import { EventEmitter, once } from 'node:events'
import HyperDHT from 'hyperdht'
import Hyperswarm, { type NoiseSecretStream } from 'hyperswarm'
import Protomux from 'protomux'
import ProtomuxRPC from 'protomux-rpc'
import type { Logger } from 'pino'
import type { ClusterSecrets } from '../cluster/key.js'
import { AUTH_TIMEOUT_MS, authenticate } from './auth.js'

/** Discovery is refreshed this often during the first seconds: peers starting together can miss each other. */
const EARLY_REFRESH_MS = 1_000
const EARLY_REFRESHES = 5
/**
 * ...and this often after that, for good: Hyperswarm gives up on a peer after a few failed
 * attempts (duplicate connections closed while members start together count as failures), and
 * only a new lookup brings it back.
 */
const REFRESH_MS = 5_000
/** A silent peer is noticed after ~3 s instead of ~18 s. */
const KEEP_ALIVE_MS = 1_000
const IDLE_TIMEOUT_MS = 3_000
/** How long remembered members are dialled by key after a start (then the topic alone). */
const DIAL_MS = 30_000
/** How long `ready()` waits for the first announcement at most. */
const FLUSH_WAIT_MS = 2_000

/** Options for the cluster swarm. */
export interface ClusterSwarmOptions {
  secrets: ClusterSecrets
  /**
   * DHT bootstrap nodes (configured, remembered members, --join); `public` for Hyperswarm's
   * public ones. An empty list makes this edge the first node of its mesh's DHT: it finds
   * nobody until someone bootstraps from it.
   */
  bootstrap: readonly { host: string; port: number }[] | 'public'
  /** Nodes to seed the routing table with (besides the bootstrap). */
  nodes?: readonly { host: string; port: number }[]
  /**
   * Members' swarm keys (hex) to dial directly at start, for DIAL_MS: a restarted edge reaches
   * the members it remembers by their keys while the topic's announcements are still settling.
   */
  peers?: readonly string[]
  /** The DHT node's UDP port (0: any). Fixed, so members remember where to rejoin. */
  port?: number
  /** Connections kept at most (Hyperswarm's maxPeers). */
  maxPeers?: number
  /** Address the DHT binds and advertises: 127.0.0.1 for a local mesh (see DESIGN.md). */
  host?: string
  /**
   * Whether this edge's DHT node starts out assuming it cannot be reached unsolicited (default
   * false: edges bind the address they are reached at, on their own bootstrap). A node that
   * starts firewalled moves its traffic from its client socket to its server socket once it
   * learns otherwise, and connections set up across that switch get no data through: on a real
   * LAN (test/fault/partition.test.ts, edges in network namespaces) nearly every first
   * connection died on the 3 s idle timeout, and four edges took 70-110 s to find each other
   * instead of 10-16 s. Set true for an edge behind a NAT.
   */
  firewalled?: boolean
  log: Logger
  authTimeoutMs?: number
  /**
   * This edge's swarm identity. Give a stable one (e.g. from the Corestore) so that members
   * reconnect to a restarted edge by its key instead of waiting to rediscover a new one.
   */
  keyPair?: { publicKey: Buffer; secretKey: Buffer }
}

/** The protomux-rpc protocol members talk on. */
export const RPC_PROTOCOL = 'swarm-lambda/rpc/v1'

/** An authenticated connection to another member. */
export interface Member {
  /** Hex of the peer's Noise public key: its identity in the swarm. */
  id: string
  conn: NoiseSecretStream
  mux: Protomux
  /** The RPC channel, opened once the peer proved the key; 'member' listeners add responders. */
  rpc: ProtomuxRPC
}

/** Events: a peer proved the key, an authenticated peer went away, a peer was refused. */
export interface ClusterSwarmEvents {
  member: [Member]
  'member-lost': [Member]
  refused: [{ id: string; why: string }]
}

/**
 * This edge's place in the cluster: its own HyperDHT node (bound to `host`, bootstrapped from
 * the given nodes), a Hyperswarm joined on the topic derived from the cluster key as client and
 * server, and the key proven on every connection before anyone may use it.
 */
export class ClusterSwarm extends EventEmitter<ClusterSwarmEvents> {
  private readonly options: ClusterSwarmOptions
  private swarm: Hyperswarm | null = null
  private refresher: NodeJS.Timeout | null = null
  private readonly members = new Map<string, Member>()
  private opened: Promise<void> | null = null
  private closed: Promise<void> | null = null

  constructor(options: ClusterSwarmOptions) {
    super()
    this.options = options
  }

  /** This edge's swarm identity (hex public key). */
  get id(): string {
    if (this.swarm === null) throw new Error('the swarm is not ready')
    return this.swarm.keyPair.publicKey.toString('hex')
  }

  /**
   * Where this edge's DHT node is reached, `host:port`: the address the DHT observed once it
   * knows it, else the bound one ('' before the swarm is up).
   */
  dhtAddress(): string {
    const dht = this.swarm?.dht
    if (dht === undefined) return ''
    const bound = dht.address()
    if (bound === null) return ''
    const local = bound.host === '0.0.0.0' ? (this.options.host ?? '127.0.0.1') : bound.host
    const host = dht.host ?? local
    return `${host}:${dht.host !== null && dht.port !== 0 ? dht.port : bound.port}`
  }

  /** Members connected and authenticated now. */
  connected(): Member[] {
    return [...this.members.values()]
  }

  /** Starts the DHT node and joins the topic. Idempotent. */
  ready(): Promise<void> {
    this.opened ??= this.open()
    return this.opened
  }

  /** Leaves the topic, closes every connection and the DHT node. Idempotent. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      if (this.refresher !== null) clearTimeout(this.refresher)
      await this.swarm?.destroy() // destroys the DHT it was given too
    })()
    return this.closed
  }

  private async open(): Promise<void> {
    const { bootstrap, host = '127.0.0.1', firewalled = false, log, port = 0 } = this.options
    const bound = port === 0 ? await freeUdpPort(host) : port
    const dht = new HyperDHT({
      ...(bootstrap === 'public' ? {} : { bootstrap: bootstrap.map((b) => `${b.host}:${b.port}`) }),
      nodes: [...(this.options.nodes ?? [])],
      host,
      // Port 0 would mean HyperDHT's default (49737): ask for any port explicitly. A port given
      // must be the one bound (members remember it), not a random one when it is taken.
      port: bound,
      anyPort: port === 0,
      firewalled,
      // Every edge is a DHT node that stores announcements and answers lookups: the mesh needs
      // no bootstrap process, and a restarted edge rejoins through any member's node.
      ephemeral: false
    })
    // What DHT.bootstrapper does for a bootstrap node: a node bound to a specific IPv4 address
    // knows how it is reached, so it is persistent at once, without the NAT sampling that needs
    // several other nodes' observations (a mesh of three never gets enough of them, and its
    // nodes stayed ephemeral: they stored no announcements, and nobody could rejoin through
    // them). Bound to 0.0.0.0, the node learns its address from others, as HyperDHT does.
    if (/^\d+\.\d+\.\d+\.\d+$/.test(host) && host !== '0.0.0.0') {
      ;(dht as unknown as { _nat: { add(host: string, port: number): void } })._nat.add(host, bound)
    }
    const keyPair = this.options.keyPair
    const swarm = new Hyperswarm({
      dht,
      ...(keyPair === undefined ? {} : { keyPair }),
      ...(this.options.maxPeers === undefined ? {} : { maxPeers: this.options.maxPeers })
    })
    this.swarm = swarm
    swarm.on('connection', (conn) => this.onConnection(conn))
    const discovery = swarm.join(this.options.secrets.topic, { client: true, server: true })
    const dialled = (this.options.peers ?? []).map((id) => Buffer.from(id, 'hex'))
    for (const key of dialled) swarm.joinPeer(key)
    if (dialled.length > 0) {
      const stop = setTimeout(() => {
        for (const key of dialled) swarm.leavePeer(key)
      }, DIAL_MS)
      stop.unref()
    }
    let refreshes = 0
    const refresh = () => {
      refreshes++
      discovery
        .refresh({ client: true, server: true })
        .catch((err: unknown) => log.debug({ err }, 'refresh failed'))
      const next = refreshes < EARLY_REFRESHES ? EARLY_REFRESH_MS : REFRESH_MS
      this.refresher = setTimeout(refresh, next)
      this.refresher.unref()
    }
    this.refresher = setTimeout(refresh, EARLY_REFRESH_MS)
    this.refresher.unref()
    // Announced once flushed; a dead bootstrap node can hold that up for many seconds (each
    // request to it times out), so the edge does not wait for it past FLUSH_WAIT_MS: it serves
    // meanwhile, and members find it as soon as the announcement lands.
    const flushed = discovery
      .flushed()
      .then(() => log.info({ id: this.id }, 'joined the cluster topic'))
    flushed.catch((err: unknown) => log.warn({ err }, 'announcing failed'))
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      flushed.catch(() => undefined),
      new Promise((resolve) => {
        timer = setTimeout(resolve, FLUSH_WAIT_MS)
        timer.unref()
      })
    ])
    clearTimeout(timer)
  }

  private onConnection(conn: NoiseSecretStream): void {
    const { log, secrets, authTimeoutMs = AUTH_TIMEOUT_MS } = this.options
    conn.on('error', (err: Error) => log.debug({ err }, 'connection error'))
    conn.setKeepAlive(KEEP_ALIVE_MS)
    conn.setTimeout(IDLE_TIMEOUT_MS)
    const authenticated = authenticate(conn, secrets.authKey, authTimeoutMs)
    // A member's RPC channel can arrive before we have checked its proof: protomux holds it
    // while this resolves, then pairs it with ours, or rejects it if the proof failed. So a
    // peer without the key never gets an RPC answer, not even "unknown method".
    Protomux.from(conn).pair({ protocol: RPC_PROTOCOL }, () => authenticated.catch(() => undefined))
    authenticated.then(
      (mux) => {
        const id = (conn.remotePublicKey as Buffer).toString('hex')
        const rpc = new ProtomuxRPC(mux, { protocol: RPC_PROTOCOL })
        const member: Member = { id, conn, mux, rpc }
        this.members.set(id, member)
        conn.once('close', () => {
          // Hyperswarm may open two connections to one peer and close one: only the current
          // connection's close means the member is gone.
          if (this.members.get(id) !== member) return
          this.members.delete(id)
          this.emit('member-lost', member)
        })
        log.info({ peer: id.slice(0, 16) }, 'member authenticated')
        this.emit('member', member) // listeners add responders now, before any request arrives
      },
      (err: Error & { why?: string }) => {
        const id = conn.remotePublicKey?.toString('hex') ?? 'unknown'
        log.warn({ peer: id.slice(0, 16), why: err.why }, 'peer refused')
        this.emit('refused', { id, why: err.why ?? err.message })
      }
    )
  }
}

/** A UDP port free now on `host` (bound, read, released). */
async function freeUdpPort(host: string): Promise<number> {
  const socket = createSocket('udp4')
  socket.bind(0, host)
  await once(socket, 'listening')
  const { port } = socket.address()
  socket.close()
  return port
}
