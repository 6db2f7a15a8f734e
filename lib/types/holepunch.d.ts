// Hand-written declarations for the Holepunch stack, which ships no TypeScript types (b4a and
// compact-encoding ship their own; these ambient blocks take precedence over them, so every module
// is typed the same way: Node Buffers out, the CommonJS `module.exports` as the default export).
//
// Checked against the installed versions: hyperswarm 4.17.2, hyperdht 6.34.0 (dht-rpc 6.27.0),
// @hyperswarm/secret-stream 6.9.2, corestore 7.12.5, hypercore 11.37.1, hyperbee 2.27.3,
// protomux 3.12.1, protomux-rpc 1.10.0, compact-encoding 3.5.2, b4a 1.9.0.
//
// Every package is CommonJS with `module.exports = X`. This file sits in a "type": "module" scope, so
// TypeScript (NodeNext) treats it as ESM, where `export =` is an error (TS1203, hidden by the
// project's skipLibCheck). The blocks therefore describe what Node's ESM loader really gives you:
// `export default X` (= module.exports), e.g. `import Hyperswarm from 'hyperswarm'`, plus the
// namespace merged with X re-exported with `export import`, so both `Hyperswarm.PeerInfo` and
// `import type { PeerInfo } from 'hyperswarm'` work. Types with no runtime export of their own
// (NoiseSecretStream, PeerInfo, Channel, ...) are type-only: never import them as values.
// compact-encoding and b4a also have real named exports (`import { uint } from 'compact-encoding'`
// works at runtime); the class packages have none besides `default`.
//
// This file must stay a script (no top-level import/export), or the `declare module` blocks below
// would turn into augmentations.

declare module 'hyperdht' {
  import { EventEmitter } from 'events'

  namespace HyperDHT {
    /** An ed25519 key pair (32-byte public key, 64-byte secret key). */
    interface KeyPair {
      publicKey: Buffer
      secretKey: Buffer
    }

    interface HostPort {
      host: string
      port: number
    }

    /** A bound UDP socket address, as returned by `dht.address()`. */
    interface SocketAddress {
      host: string
      family: number
      port: number
    }

    /** A bootstrap node: `'host:port'`, `'suggested-ip@host:port'` or `{ host, port }`. */
    type BootstrapNode = string | HostPort

    interface DHTOptions {
      /** Defaults to the public Holepunch bootstrap nodes; pass `[]` for none (`false` does not work here). */
      bootstrap?: BootstrapNode[]
      /** Known nodes to seed the routing table with. */
      nodes?: HostPort[]
      /** Server-socket port; falsy (even 0) means 49737, random if taken. `address()` shows it only once the node is unfirewalled. */
      port?: number
      /** Host/interface to bind, default '0.0.0.0'. */
      host?: string
      /** Set false to become a persistent (routing) node immediately; default adaptive. */
      ephemeral?: boolean
      /** Set false if this node is known to be reachable. */
      firewalled?: boolean
      /** Whether to fall back to a random port when `port` is taken (default true). */
      anyPort?: boolean
      /** Default key pair for `createServer().listen()` and `connect()`. */
      keyPair?: KeyPair
      /** 32-byte seed for the default key pair (ignored if `keyPair` is given). */
      seed?: Buffer
      /** Keep-alive (ms) on every socket, default 5000; false turns it off. */
      connectionKeepAlive?: number | false
      /** Minimum ms between random-NAT punches, default 20000. */
      randomPunchInterval?: number
      deferRandomPunch?: boolean
      concurrency?: number
      maxWindow?: number
      adaptive?: boolean
      quickFirewall?: boolean
      sendDownHints?: boolean
      downHintsRateLimit?: number
      maxSize?: number
      maxAge?: number
    }

    /** The UDX transport under a NoiseSecretStream (`conn.rawStream`). */
    interface UDXStream extends EventEmitter {
      readonly id: number
      remoteId: number
      /** Remote IP once connected, else null. */
      remoteHost: string | null
      /** 4 or 6 once connected, else 0. */
      remoteFamily: number
      /** Remote UDP port once connected, else 0. */
      remotePort: number
      readonly connected: boolean
      readonly localHost: string | null
      readonly localPort: number
      readonly mtu: number
      /** Smoothed round-trip time in ms. */
      readonly rtt: number
      readonly cwnd: number
      readonly inflight: number
      readonly retransmits: number
      readonly bytesTransmitted: number
      readonly bytesReceived: number
      readonly packetsTransmitted: number
      readonly packetsReceived: number
      readonly destroyed: boolean
      readonly destroying: boolean
      userData: unknown
      /** Sets the UDX keepalive in ms. */
      setKeepalive(timeoutMs: number): void
      /** Toggles interactive (low latency) mode. */
      setInteractive(interactive: boolean): void
      /** Tears down the UDX stream (and with it the encrypted stream on top). */
      destroy(err?: Error): void
    }

    type NoiseSecretStreamEvents = {
      /** streamx: the stream finished opening (the handshake is done). */
      open: []
      /** The handshake completed and the stream is usable. */
      connect: []
      handshake: []
      data: [data: Buffer]
      end: []
      finish: []
      close: []
      error: [err: Error]
      drain: []
      readable: []
      /** An unordered UDP message sent with `send()`/`trySend()` by the remote. */
      message: [message: Buffer]
      /** Emitted by protomux for errors thrown in handlers after their channel closed. */
      warning: [err: Error]
      piping: [destination: unknown]
      pipe: [source: unknown]
    }

    /** The end-to-end encrypted connection (@hyperswarm/secret-stream), a framed streamx Duplex. */
    interface NoiseSecretStream
      extends EventEmitter<NoiseSecretStreamEvents>, AsyncIterable<Buffer> {
      /** Points at itself. */
      readonly noiseStream: NoiseSecretStream
      readonly isInitiator: boolean
      /** The UDX stream underneath; null until the transport is attached (always set on swarm connections). */
      rawStream: UDXStream | null
      /** Our Noise public key. */
      publicKey: Buffer
      /** The peer's Noise public key (its identity). */
      remotePublicKey: Buffer
      /** 64-byte hash of the Noise handshake, identical on both ends; null until the handshake is done. */
      handshakeHash: Buffer | null
      /** True once the handshake completed. */
      connected: boolean
      /** Keep-alive interval in ms (0 = off). */
      keepAlive: number
      /** Idle timeout in ms (0 = off). */
      timeout: number
      enableSend: boolean
      /** Free slot for upstream code; protomux stores its muxer here. */
      userData: unknown
      /** Resolves true once the handshake completed, false if destroyed before that. */
      opened: Promise<boolean>
      rawBytesWritten: number
      rawBytesRead: number
      readonly readable: boolean | undefined
      readonly writable: boolean | undefined
      readonly destroyed: boolean
      readonly destroying: boolean
      /** Destroys the stream if nothing is received for `ms` (0 disables). */
      setTimeout(ms: number): void
      /** Sends an empty keep-alive frame every `ms` (0 disables). */
      setKeepAlive(ms: number): void
      /** Sends one keep-alive frame now. */
      sendKeepAlive(): void
      /** Resolves when all writes are flushed (false if the stream closed). */
      flush(): Promise<boolean>
      /** Writes a frame; strings are UTF-8 encoded. Returns false under backpressure. */
      write(data: Uint8Array | string): boolean
      /** Ends the writable side, optionally writing a last frame. */
      end(data?: Uint8Array | string): this
      /** Destroys the stream; 'error' is emitted only if `err` is given. */
      destroy(err?: Error): void
      /** Reads a buffered frame, or null. */
      read(): Buffer | null
      pause(): this
      resume(): this
      cork(): void
      uncork(): void
      /** Pipes into another stream and returns it. */
      pipe<T>(destination: T, cb?: (err: Error | null) => void): T
      /** Sends an unreliable encrypted UDP message (no-op before the handshake). */
      send(message: Uint8Array): boolean | undefined
      /** Like `send`, but never queues. */
      trySend(message: Uint8Array): void
      toJSON(): {
        isInitiator: boolean
        publicKey: string | null
        remotePublicKey: string | null
        connected: boolean
        destroying: boolean
        destroyed: boolean
        rawStream: unknown
      }
    }

    /** Server firewall: return true to reject. May be async. `remotePayload` is the handshake payload. */
    type ServerFirewall = (
      remotePublicKey: Buffer,
      remotePayload: unknown,
      clientAddress: HostPort
    ) => boolean | Promise<boolean>

    interface ServerOptions {
      /** Return true to reject a connection. */
      firewall?: ServerFirewall
      /** Set false to never holepunch (relay/direct only). */
      holepunch?: boolean
      shareLocalAddress?: boolean
      reusableSocket?: boolean
      handshakeClearWait?: number
      onconnection?: (conn: NoiseSecretStream) => void
    }

    type ServerEvents = {
      connection: [conn: NoiseSecretStream]
      listening: []
      close: []
    }

    /** A HyperDHT server accepting encrypted connections on a key pair. */
    interface Server extends EventEmitter<ServerEvents> {
      readonly dht: HyperDHT
      /** Hash of the public key being announced, once listening. */
      target: Buffer | null
      closed: boolean
      suspended: boolean
      readonly listening: boolean
      readonly publicKey: Buffer | null
      readonly relayAddresses: HostPort[]
      /** Starts listening (and announcing) on the key pair; defaults to `dht.defaultKeyPair`. */
      listen(keyPair?: KeyPair): Promise<Server>
      /** Stops listening and unannounces. */
      close(): Promise<void>
      /** `{ publicKey, host, port }` of the DHT's public address, or null before `listen()`. */
      address(): { publicKey: Buffer; host: string | null; port: number } | null
      /** Re-announces; called automatically on network changes. */
      refresh(): void
      suspend(opts?: { log?: (...args: unknown[]) => void }): Promise<void>
      resume(): Promise<void>
    }

    interface ConnectOptions {
      /** Key pair to authenticate as, default `dht.defaultKeyPair`. */
      keyPair?: KeyPair
      /** DHT nodes close to the server, to skip the lookup. */
      relayAddresses?: HostPort[]
      /** Set false to skip trying LAN addresses. */
      localConnection?: boolean
      fastOpen?: boolean
      reusableSocket?: boolean
    }

    interface LookupPeer {
      publicKey: Buffer
      relayAddresses: HostPort[]
    }

    /** One reply of a lookup/announce query. */
    interface LookupReply {
      token: Buffer | null
      from: HostPort & { id: Buffer | null }
      to: HostPort | null
      peers: LookupPeer[]
      bump: number
    }

    /** A running DHT query (dht-rpc Query, a streamx Readable of replies). */
    interface Query<T> extends EventEmitter, AsyncIterable<T> {
      /** The closest nodes seen so far (reusable as `closestNodes` in later queries). */
      readonly closestNodes: Array<HostPort & { id: Buffer | null }>
      /** Resolves when the query has run to completion (consumes the stream). */
      finished(): Promise<void>
      destroy(err?: Error): void
    }

    interface QueryOptions {
      closestNodes?: Array<HostPort & { id?: Buffer | null }>
      onlyClosestNodes?: boolean
      concurrency?: number
    }

    type DHTEvents = {
      /** The node is fully bootstrapped. */
      ready: []
      /** The UDP socket is bound. */
      listening: []
      persistent: []
      ephemeral: []
      wakeup: []
      'network-change': [interfaces: unknown]
      'network-update': []
      'nat-update': [host: string, port: number]
      'add-node': [node: unknown]
      'remove-node': [node: unknown]
      request: [request: unknown]
      suspend: []
      resume: []
      close: []
    }
  }

  /** A HyperDHT node: a Kademlia DHT (dht-rpc) that finds peers and holepunches Noise connections. */
  class HyperDHT extends EventEmitter<HyperDHT.DHTEvents> {
    /** Creates a node and starts bootstrapping in the background. */
    constructor(opts?: HyperDHT.DHTOptions)

    /** The public bootstrap nodes used when `bootstrap` is not given. */
    static BOOTSTRAP: string[]
    static FIREWALL: { UNKNOWN: 0; OPEN: 1; CONSISTENT: 2; RANDOM: 3 }
    /** Generates an ed25519 key pair, deterministic if a 32-byte seed is given. */
    static keyPair(seed?: Buffer): HyperDHT.KeyPair
    /** BLAKE2b-256 of `data` (how topics/targets are derived). */
    static hash(data: Uint8Array): Buffer
    /** Creates a persistent bootstrap node; `host` must be the public IPv4 the node id is derived from. */
    static bootstrapper(port: number, host: string, opts?: HyperDHT.DHTOptions): HyperDHT

    defaultKeyPair: HyperDHT.KeyPair
    /** Servers currently listening on this node. */
    listening: Set<HyperDHT.Server>
    connectionKeepAlive: number
    bootstrapNodes: HyperDHT.HostPort[]
    bootstrapped: boolean
    ephemeral: boolean
    firewalled: boolean
    adaptive: boolean
    destroyed: boolean
    suspended: boolean
    online: boolean
    degraded: boolean
    /** Routing id, null while ephemeral. */
    readonly id: Buffer | null
    /** Our public IP as seen by other nodes, or null. */
    readonly host: string | null
    /** Our public port as seen by other nodes (0 if inconsistent). */
    readonly port: number
    readonly randomized: boolean

    /** Connects to the server listening on `remotePublicKey` (Buffer, hex or z-base32). */
    connect(
      remotePublicKey: Buffer | string,
      opts?: HyperDHT.ConnectOptions
    ): HyperDHT.NoiseSecretStream
    /** Creates a server; call `listen(keyPair)` on it to accept connections. */
    createServer(
      opts?: HyperDHT.ServerOptions,
      onconnection?: (conn: HyperDHT.NoiseSecretStream) => void
    ): HyperDHT.Server
    /** Creates a server with only a connection handler. */
    createServer(onconnection: (conn: HyperDHT.NoiseSecretStream) => void): HyperDHT.Server
    /** Local address of the bound UDP socket, or null before it is bound. */
    address(): HyperDHT.SocketAddress | null
    /** LAN address of the server socket, or null. */
    localAddress(): HyperDHT.HostPort | null
    /** Public address if this node is reachable, else null. */
    remoteAddress(): HyperDHT.HostPort | null
    /** Adds a node to the routing table. */
    addNode(node: HyperDHT.HostPort): void
    /** Nodes in the routing table. */
    toArray(opts?: { limit?: number }): HyperDHT.HostPort[]
    /** Resolves when bootstrapping has finished. */
    fullyBootstrapped(): Promise<void>
    /** Deprecated alias of `fullyBootstrapped()`. */
    ready(): Promise<void>
    /** Refreshes the routing table in the background. */
    refresh(): void
    /** Finds peers announced under a 32-byte topic. */
    lookup(topic: Buffer, opts?: HyperDHT.QueryOptions): HyperDHT.Query<HyperDHT.LookupReply>
    /** Announces `keyPair` under a topic (also yields lookup replies). */
    announce(
      topic: Buffer,
      keyPair: HyperDHT.KeyPair,
      relayAddresses?: HyperDHT.HostPort[],
      opts?: HyperDHT.QueryOptions & { clear?: boolean }
    ): HyperDHT.Query<HyperDHT.LookupReply>
    /** Removes an announcement. */
    unannounce(
      topic: Buffer,
      keyPair: HyperDHT.KeyPair,
      opts?: HyperDHT.QueryOptions
    ): Promise<void>
    /** Suspends networking (mobile background etc.). */
    suspend(opts?: { log?: (...args: unknown[]) => void }): Promise<void>
    /** Resumes after `suspend()`. */
    resume(opts?: { log?: (...args: unknown[]) => void }): Promise<void>
    /** Closes servers (unless `force`) and the sockets. */
    destroy(opts?: { force?: boolean }): Promise<void>
  }

  export default HyperDHT
  export import KeyPair = HyperDHT.KeyPair
  export import HostPort = HyperDHT.HostPort
  export import SocketAddress = HyperDHT.SocketAddress
  export import BootstrapNode = HyperDHT.BootstrapNode
  export import DHTOptions = HyperDHT.DHTOptions
  export import UDXStream = HyperDHT.UDXStream
  export import NoiseSecretStreamEvents = HyperDHT.NoiseSecretStreamEvents
  export import NoiseSecretStream = HyperDHT.NoiseSecretStream
  export import ServerFirewall = HyperDHT.ServerFirewall
  export import ServerOptions = HyperDHT.ServerOptions
  export import ServerEvents = HyperDHT.ServerEvents
  export import Server = HyperDHT.Server
  export import ConnectOptions = HyperDHT.ConnectOptions
  export import LookupPeer = HyperDHT.LookupPeer
  export import LookupReply = HyperDHT.LookupReply
  export import Query = HyperDHT.Query
  export import QueryOptions = HyperDHT.QueryOptions
  export import DHTEvents = HyperDHT.DHTEvents
}

// Must be imported WITH the extension: `import createTestnet from 'hyperdht/testnet.js'`.
// hyperdht has no "exports" map, so Node's ESM resolver will not add `.js` for `hyperdht/testnet`.
declare module 'hyperdht/testnet.js' {
  import HyperDHT from 'hyperdht'

  namespace createTestnet {
    interface TestnetOptions {
      /** Host the nodes advertise, default '127.0.0.1' (they then also bind 127.0.0.1). */
      host?: string
      /** Port of the first node; 0/undefined means HyperDHT's default 49737 (random if taken). */
      port?: number
      /** Join an existing network instead of making the first node the bootstrap. */
      bootstrap?: HyperDHT.HostPort[]
      /** A test-runner teardown hook; called with `testnet.destroy` and `{ order: Infinity }`. */
      teardown?: (fn: () => Promise<void>, opts: { order: number }) => unknown
    }

    /** A set of persistent local DHT nodes; `bootstrap` is what other nodes should use. */
    interface Testnet extends Iterable<HyperDHT> {
      nodes: HyperDHT[]
      bootstrap: HyperDHT.HostPort[]
      /** Adds an ephemeral node bound to 127.0.0.1, bootstrapped off this testnet (destroyed with it). */
      createNode(opts?: HyperDHT.DHTOptions): HyperDHT
      /** Closes all servers on, then destroys, every node (including those from `createNode`). */
      destroy(): Promise<void>
    }
  }

  /** Starts `size` (default 10) fully bootstrapped, non-firewalled DHT nodes on localhost. */
  function createTestnet(
    size?: number,
    opts?:
      createTestnet.TestnetOptions | ((fn: () => Promise<void>, opts: { order: number }) => unknown)
  ): Promise<createTestnet.Testnet>

  export default createTestnet
  export import TestnetOptions = createTestnet.TestnetOptions
  export import Testnet = createTestnet.Testnet
}

declare module 'hyperswarm' {
  import { EventEmitter } from 'events'
  import HyperDHT from 'hyperdht'

  namespace Hyperswarm {
    type NoiseSecretStream = HyperDHT.NoiseSecretStream
    type KeyPair = HyperDHT.KeyPair

    /** Return true to reject the peer. Called with payload null for outgoing connections. */
    type Firewall = (remotePublicKey: Buffer, payload: unknown) => boolean

    interface SwarmOptions {
      /** Use this DHT instead of creating one (then `bootstrap`/`port`/`nodes` are ignored). */
      dht?: HyperDHT
      /** Noise key pair; default `HyperDHT.keyPair(seed)`. */
      keyPair?: KeyPair
      /** 32-byte seed for a deterministic key pair. */
      seed?: Buffer
      /** Max connections (default 64). */
      maxPeers?: number
      maxClientConnections?: number
      maxServerConnections?: number
      /** Max concurrent outgoing connection attempts (default 3). */
      maxParallel?: number
      /** Sync firewall; return true to reject. */
      firewall?: Firewall
      /** Bootstrap nodes for the DHT the swarm creates; default the public network. */
      bootstrap?: HyperDHT.BootstrapNode[]
      nodes?: HyperDHT.HostPort[]
      port?: number
      handshakeClearWait?: number
      /** Reconnect backoffs in ms. */
      backoffs?: number[]
      jitter?: number
    }

    interface JoinOptions {
      /** Announce the topic and accept connections (default true). */
      server?: boolean
      /** Look the topic up and connect to servers (default true). */
      client?: boolean
      /** Max peers to connect to for this topic (default Infinity). */
      limit?: number
      /** Handler for errors of the initial background refresh (default: swallow). */
      onerror?: (err: Error) => void
    }

    type PeerInfoEvents = {
      topic: [topic: Buffer]
    }

    /** What the swarm knows about one remote peer (one per public key, shared across its connections). */
    interface PeerInfo extends EventEmitter<PeerInfoEvents> {
      /** The peer's Noise public key (same as `conn.remotePublicKey`). */
      publicKey: Buffer
      relayAddresses: HyperDHT.HostPort[] | null
      /** True if we opened the connection (client role); false for incoming (server) connections. */
      client: boolean
      /** `!client`. */
      readonly server: boolean
      /** Topics we found this peer under (only filled for client connections). */
      topics: Buffer[]
      banned: boolean
      reconnecting: boolean
      proven: boolean
      explicit: boolean
      queued: boolean
      waiting: boolean
      tried: boolean
      forceRelaying: boolean
      attempts: number
      priority: number
      connectedTime: number
      disconnectedTime: number
      readonly prioritized: boolean
      /** Ban (true) or unban (false) the peer: no reconnects; existing connections stay open. */
      ban(banned: boolean): void
      /** Whether to reconnect to the peer when the connection drops. */
      reconnect(reconnect: boolean): void
      shouldGC(): boolean
    }

    /** The handle returned by `swarm.join()` (one session on the topic's shared PeerDiscovery). */
    interface PeerDiscoverySession {
      readonly discovery: PeerDiscovery
      readonly swarm: Hyperswarm
      readonly topic: Buffer
      isClient: boolean
      isServer: boolean
      destroyed: boolean
      /** Changes client/server mode and re-announces/looks up now; throws if neither is set. */
      refresh(opts?: {
        client?: boolean
        server?: boolean
        limit?: number
      }): Promise<boolean | undefined>
      /** Resolves when the current announce/lookup is done (true) or failed (false). */
      flushed(): Promise<boolean>
      /** Ends this session; the topic is left when no session remains. */
      destroy(): Promise<void>
    }

    /** Per-topic discovery state (from `swarm.status(topic)`). */
    interface PeerDiscovery {
      readonly swarm: Hyperswarm
      readonly topic: Buffer
      limit: number
      isClient: boolean
      isServer: boolean
      destroyed: boolean
      suspended: boolean
      destroying: Promise<void> | null
      session(opts: JoinOptions): PeerDiscoverySession
      refresh(): Promise<boolean | undefined>
      flushed(): Promise<boolean>
      destroy(): Promise<void>
      suspend(opts?: { log?: (...args: unknown[]) => void }): Promise<void>
      resume(): void
    }

    interface SwarmStats {
      updates: number
      connects: {
        client: { opened: number; closed: number; attempted: number }
        server: { opened: number; closed: number }
      }
      bannedPeers: number
    }

    type SwarmEvents = {
      /** A new encrypted connection to `info.publicKey` (handshake done; for incoming ones `conn.opened` settles a tick later). */
      connection: [conn: NoiseSecretStream, info: PeerInfo]
      /** Internal counters changed (connections, connecting, ...). */
      update: []
      /** A peer got banned (e.g. firewalled). */
      ban: [info: PeerInfo, err: Error]
    }
  }

  /** Finds and connects to peers by 32-byte topic over HyperDHT, one deduplicated Noise connection per peer. */
  class Hyperswarm extends EventEmitter<Hyperswarm.SwarmEvents> {
    /** Creates a swarm; without `dht`/`bootstrap` it joins the public network. */
    constructor(opts?: Hyperswarm.SwarmOptions)

    keyPair: HyperDHT.KeyPair
    dht: HyperDHT
    /** The DHT server the swarm listens with. */
    server: HyperDHT.Server
    destroyed: boolean
    suspended: boolean
    maxPeers: number
    maxClientConnections: number
    maxServerConnections: number
    maxParallel: number
    /** Outgoing connections in progress. */
    connecting: number
    /** All open connections (client and server). */
    connections: Set<HyperDHT.NoiseSecretStream>
    /** Known peers keyed by hex public key. */
    peers: Map<string, Hyperswarm.PeerInfo>
    explicitPeers: Set<Hyperswarm.PeerInfo>
    /** The pending/complete `listen()`, or null. */
    listening: Promise<HyperDHT.Server> | null
    stats: Hyperswarm.SwarmStats

    /** Starts discovery on a 32-byte topic; throws if the swarm is destroyed. */
    join(topic: Buffer, opts?: Hyperswarm.JoinOptions): Hyperswarm.PeerDiscoverySession
    /** Stops discovery on a topic; existing connections stay open. */
    leave(topic: Buffer): Promise<void>
    /** Keeps a direct connection to a known public key. */
    joinPeer(publicKey: Buffer): void
    /** Stops reconnecting to a peer added with `joinPeer`. */
    leavePeer(publicKey: Buffer): void
    /** The topic's PeerDiscovery, or null. */
    status(topic: Buffer): Hyperswarm.PeerDiscovery | null
    /** Every PeerDiscovery. */
    topics(): IterableIterator<Hyperswarm.PeerDiscovery>
    /** Starts the server explicitly (join with server:true does it). */
    listen(): Promise<HyperDHT.Server>
    /** Waits for pending announces/lookups and for queued peers to be connected or given up. */
    flush(): Promise<boolean>
    /** Destroys all topic discoveries. */
    clear(): Promise<PromiseSettledResult<void>[]>
    /** Leaves all topics, closes the server and destroys the DHT (even one passed in `dht`). */
    destroy(opts?: { force?: boolean }): Promise<void>
    /** Disconnects everything and pauses discovery/DHT. */
    suspend(opts?: { log?: (...args: unknown[]) => void }): Promise<void>
    /** Resumes after `suspend()`. */
    resume(opts?: { log?: (...args: unknown[]) => void }): Promise<void>
  }

  export default Hyperswarm
  export import NoiseSecretStream = Hyperswarm.NoiseSecretStream
  export import KeyPair = Hyperswarm.KeyPair
  export import Firewall = Hyperswarm.Firewall
  export import SwarmOptions = Hyperswarm.SwarmOptions
  export import JoinOptions = Hyperswarm.JoinOptions
  export import PeerInfoEvents = Hyperswarm.PeerInfoEvents
  export import PeerInfo = Hyperswarm.PeerInfo
  export import PeerDiscoverySession = Hyperswarm.PeerDiscoverySession
  export import PeerDiscovery = Hyperswarm.PeerDiscovery
  export import SwarmStats = Hyperswarm.SwarmStats
  export import SwarmEvents = Hyperswarm.SwarmEvents
}

declare module 'compact-encoding' {
  namespace c {
    /** Encoder/decoder cursor: bytes [start, end) of `buffer` (null during preencode). */
    interface State {
      start: number
      end: number
      buffer: Uint8Array | null
      cache?: unknown
    }

    /**
     * A codec. `preencode` adds the byte length to `state.end`, `encode` writes at `state.start`
     * and advances it, `decode` reads at `state.start` and advances it. Built-in byte codecs return
     * subarrays of the input (Buffers when decoding a Buffer, as all stream data is): copy to retain.
     */
    interface Encoder<In, Out = In> {
      preencode(state: State, value: In): void
      encode(state: State, value: In): void
      decode(state: State): Out
    }

    /** Encoding names understood by `c.from()` (and by hypercore/hyperbee `valueEncoding`). */
    type EncodingName =
      | 'binary'
      | 'json'
      | 'ndjson'
      | 'utf-8'
      | 'utf8'
      | 'ascii'
      | 'hex'
      | 'base64'
      | 'ucs2'
      | 'ucs-2'
      | 'utf16le'
      | 'utf16-le'

    /** A string codec with a fixed-length variant. */
    interface StringEncoder extends Encoder<string> {
      fixed(n: number): Encoder<string>
    }

    /** `c.raw` (no length prefix, consumes the rest) plus unprefixed variants of the other codecs. */
    interface RawEncoder extends Encoder<Uint8Array, Buffer> {
      buffer: Encoder<Uint8Array, Buffer>
      binary: Encoder<string | Uint8Array, Buffer>
      arraybuffer: Encoder<ArrayBuffer>
      uint8array: Encoder<Uint8Array>
      uint16array: Encoder<Uint16Array>
      uint32array: Encoder<Uint32Array>
      int8array: Encoder<Int8Array>
      int16array: Encoder<Int16Array>
      int32array: Encoder<Int32Array>
      biguint64array: Encoder<BigUint64Array>
      bigint64array: Encoder<BigInt64Array>
      float32array: Encoder<Float32Array>
      float64array: Encoder<Float64Array>
      string: Encoder<string>
      utf8: Encoder<string>
      ascii: Encoder<string>
      hex: Encoder<string>
      base64: Encoder<string>
      ucs2: Encoder<string>
      utf16le: Encoder<string>
      json: Encoder<unknown>
      ndjson: Encoder<unknown>
      /** Unprefixed array (consumes the rest of the buffer). */
      array<In, Out = In>(enc: Encoder<In, Out>): Encoder<In[], Out[]>
    }

    interface AddressInput {
      host: string
      port: number
    }

    interface Address extends AddressInput {
      family: 4 | 6
    }

    /** Creates a fresh encoding state. */
    function state(start?: number, end?: number, buffer?: Uint8Array | null): State
    /** Encodes a value into a new Buffer (preencode + allocUnsafe + encode). */
    function encode<In>(enc: Encoder<In, unknown>, value: NoInfer<In>): Buffer
    /** Decodes a whole buffer (trailing bytes are ignored). */
    function decode<Out>(enc: Encoder<never, Out>, buffer: Uint8Array): Out
    /** Returns a codec for an encoding name (unknown names mean 'binary'). */
    function from(name: 'json' | 'ndjson'): Encoder<unknown>
    /** Returns a codec for a string encoding name. */
    function from(
      name:
        'utf-8' | 'utf8' | 'ascii' | 'hex' | 'base64' | 'ucs2' | 'ucs-2' | 'utf16le' | 'utf16-le'
    ): Encoder<string>
    /** Returns the binary codec (the fallback for unknown names). */
    function from(name: string): Encoder<string | Uint8Array, Buffer>
    /** Returns a compact-encoding codec as is. */
    function from<In, Out>(enc: Encoder<In, Out>): Encoder<In, Out>
    /** Wraps a codecs-style `{ encode(v): Uint8Array, decode(b) }` codec. */
    function from<In, Out>(enc: {
      encode(value: In): Uint8Array
      decode(buffer: Uint8Array): Out
    }): Encoder<In, Out>
    /** Length-prefixed array of `enc` (max 0x100000 items). */
    function array<In, Out = In>(enc: Encoder<In, Out>): Encoder<In[], Out[]>
    /** Length-prefixes an encoding so it can be skipped/extended. */
    function frame<In, Out = In>(enc: Encoder<In, Out>): Encoder<In, Out>
    /** Fixed-size buffer of exactly `n` bytes (throws on other sizes). */
    function fixed(n: number): Encoder<Uint8Array, Buffer>
    /** String-keyed record. */
    function record<In, Out = In>(
      keyEncoding: Encoder<string>,
      valueEncoding: Encoder<In, Out>
    ): Encoder<Record<string, In>, Record<string, Out>>

    /** Unprefixed bytes; decode consumes everything left. */
    const raw: RawEncoder
    /** Variable-length unsigned integer (1, 3, 5 or 9 bytes). */
    const uint: Encoder<number>
    const uint8: Encoder<number>
    const uint16: Encoder<number>
    const uint24: Encoder<number>
    const uint32: Encoder<number>
    const uint32be: Encoder<number>
    const uint40: Encoder<number>
    const uint48: Encoder<number>
    const uint56: Encoder<number>
    /** 8-byte LE unsigned integer as a JS number (safe-integer range). */
    const uint64: Encoder<number>
    const uint64be: Encoder<number>
    /** Zig-zag variable-length signed integer. */
    const int: Encoder<number>
    const int8: Encoder<number>
    const int16: Encoder<number>
    const int24: Encoder<number>
    const int32: Encoder<number>
    const int40: Encoder<number>
    const int48: Encoder<number>
    const int56: Encoder<number>
    const int64: Encoder<number>
    const biguint64: Encoder<bigint>
    const bigint64: Encoder<bigint>
    /** Variable-length unsigned bigint. */
    const biguint: Encoder<bigint>
    /** Variable-length signed bigint. */
    const bigint: Encoder<bigint>
    /** Lexicographically sortable unsigned integer. */
    const lexint: Encoder<number>
    const float32: Encoder<number>
    const float64: Encoder<number>
    /** Length-prefixed bytes; does NOT accept null (use optionalBuffer). */
    const buffer: Encoder<Uint8Array, Buffer>
    /** Length-prefixed bytes or null (an empty buffer decodes as null). */
    const optionalBuffer: Encoder<Uint8Array | null, Buffer | null>
    /** Length-prefixed bytes; strings are encoded as UTF-8. */
    const binary: Encoder<string | Uint8Array, Buffer>
    const arraybuffer: Encoder<ArrayBuffer>
    const bitarray: Encoder<Array<boolean | 0 | 1>, boolean[]>
    const uint8array: Encoder<Uint8Array>
    const uint16array: Encoder<Uint16Array>
    const uint32array: Encoder<Uint32Array>
    const int8array: Encoder<Int8Array>
    const int16array: Encoder<Int16Array>
    const int32array: Encoder<Int32Array>
    const biguint64array: Encoder<BigUint64Array>
    const bigint64array: Encoder<BigInt64Array>
    const float32array: Encoder<Float32Array>
    const float64array: Encoder<Float64Array>
    /** Length-prefixed UTF-8 string. */
    const string: StringEncoder
    const utf8: StringEncoder
    const ascii: StringEncoder
    const hex: StringEncoder
    const base64: StringEncoder
    const ucs2: StringEncoder
    const utf16le: StringEncoder
    const bool: Encoder<boolean>
    const fixed8: Encoder<Uint8Array, Buffer>
    const fixed16: Encoder<Uint8Array, Buffer>
    const fixed24: Encoder<Uint8Array, Buffer>
    /** Exactly 32 bytes (keys, hashes). */
    const fixed32: Encoder<Uint8Array, Buffer>
    /** Exactly 64 bytes (signatures, secret keys). */
    const fixed64: Encoder<Uint8Array, Buffer>
    const date: Encoder<Date>
    /** JSON via a length-prefixed UTF-8 string. */
    const json: Encoder<unknown>
    const ndjson: Encoder<unknown>
    /** Encodes nothing; decodes null. */
    const none: Encoder<unknown, null>
    /** Self-describing encoding of null, booleans, strings, buffers, numbers, arrays, plain objects and dates. */
    const any: Encoder<unknown>
    const port: Encoder<number>
    const ipv4: Encoder<string>
    const ipv4Address: Encoder<AddressInput, Address>
    const ipv6: Encoder<string>
    const ipv6Address: Encoder<AddressInput, Address>
    const ip: Encoder<string>
    const ipAddress: Encoder<AddressInput, Address>
    const stringRecord: Encoder<Record<string, string>>
  }

  export default c
  export import State = c.State
  export import Encoder = c.Encoder
  export import EncodingName = c.EncodingName
  export import StringEncoder = c.StringEncoder
  export import RawEncoder = c.RawEncoder
  export import AddressInput = c.AddressInput
  export import Address = c.Address
  export import state = c.state
  export import encode = c.encode
  export import decode = c.decode
  export import from = c.from
  export import array = c.array
  export import frame = c.frame
  export import fixed = c.fixed
  export import record = c.record
  export import raw = c.raw
  export import uint = c.uint
  export import uint8 = c.uint8
  export import uint16 = c.uint16
  export import uint24 = c.uint24
  export import uint32 = c.uint32
  export import uint32be = c.uint32be
  export import uint40 = c.uint40
  export import uint48 = c.uint48
  export import uint56 = c.uint56
  export import uint64 = c.uint64
  export import uint64be = c.uint64be
  export import int = c.int
  export import int8 = c.int8
  export import int16 = c.int16
  export import int24 = c.int24
  export import int32 = c.int32
  export import int40 = c.int40
  export import int48 = c.int48
  export import int56 = c.int56
  export import int64 = c.int64
  export import biguint64 = c.biguint64
  export import bigint64 = c.bigint64
  export import biguint = c.biguint
  export import bigint = c.bigint
  export import lexint = c.lexint
  export import float32 = c.float32
  export import float64 = c.float64
  export import buffer = c.buffer
  export import optionalBuffer = c.optionalBuffer
  export import binary = c.binary
  export import arraybuffer = c.arraybuffer
  export import bitarray = c.bitarray
  export import uint8array = c.uint8array
  export import uint16array = c.uint16array
  export import uint32array = c.uint32array
  export import int8array = c.int8array
  export import int16array = c.int16array
  export import int32array = c.int32array
  export import biguint64array = c.biguint64array
  export import bigint64array = c.bigint64array
  export import float32array = c.float32array
  export import float64array = c.float64array
  export import string = c.string
  export import utf8 = c.utf8
  export import ascii = c.ascii
  export import hex = c.hex
  export import base64 = c.base64
  export import ucs2 = c.ucs2
  export import utf16le = c.utf16le
  export import bool = c.bool
  export import fixed8 = c.fixed8
  export import fixed16 = c.fixed16
  export import fixed24 = c.fixed24
  export import fixed32 = c.fixed32
  export import fixed64 = c.fixed64
  export import date = c.date
  export import json = c.json
  export import ndjson = c.ndjson
  export import none = c.none
  export import any = c.any
  export import port = c.port
  export import ipv4 = c.ipv4
  export import ipv4Address = c.ipv4Address
  export import ipv6 = c.ipv6
  export import ipv6Address = c.ipv6Address
  export import ip = c.ip
  export import ipAddress = c.ipAddress
  export import stringRecord = c.stringRecord
}

declare module 'b4a' {
  // In Node, b4a is a thin wrapper over Buffer: everything it allocates is a Buffer.
  namespace b4a {
    /** True for Buffers and any Uint8Array. */
    function isBuffer(value: unknown): value is Uint8Array
    /** True if `encoding` is a Buffer encoding name. */
    function isEncoding(encoding: unknown): encoding is BufferEncoding
    /** `Buffer.from`. */
    function from(value: string, encoding?: BufferEncoding): Buffer
    /** `Buffer.from` copying an array/array-like/Uint8Array. */
    function from(value: ArrayLike<number> | Iterable<number> | Uint8Array): Buffer
    /** `Buffer.from` viewing (not copying) an ArrayBuffer. */
    function from(value: ArrayBufferLike, byteOffset?: number, length?: number): Buffer
    /** `Buffer.alloc` (zero-filled unless `fill`). */
    function alloc(
      size: number,
      fill?: string | Uint8Array | number,
      encoding?: BufferEncoding
    ): Buffer
    /** `Buffer.allocUnsafe` (may come from the shared slab: copy with `from` to retain small slices). */
    function allocUnsafe(size: number): Buffer
    /** `Buffer.allocUnsafeSlow` (never from the slab). */
    function allocUnsafeSlow(size: number): Buffer
    /** `Buffer.byteLength`. */
    function byteLength(
      value: string | ArrayBufferView | ArrayBufferLike,
      encoding?: BufferEncoding
    ): number
    /** `Buffer.compare`: -1, 0 or 1. */
    function compare(a: Uint8Array, b: Uint8Array): -1 | 0 | 1
    /** `Buffer.concat`. */
    function concat(buffers: readonly Uint8Array[], totalLength?: number): Buffer
    /** Copies `source[start, end)` into `target` at `targetStart`; returns bytes copied. */
    function copy(
      source: Uint8Array,
      target: Uint8Array,
      targetStart?: number,
      start?: number,
      end?: number
    ): number
    /** Byte-wise equality. */
    function equals(a: Uint8Array, b: Uint8Array): boolean
    /** Fills in place and returns the buffer (as a Buffer view). */
    function fill(
      buffer: Uint8Array,
      value: string | Uint8Array | number,
      offset?: number,
      end?: number,
      encoding?: BufferEncoding
    ): Buffer
    /** Whether `value` occurs in `buffer`. */
    function includes(
      buffer: Uint8Array,
      value: string | Uint8Array | number,
      byteOffset?: number,
      encoding?: BufferEncoding
    ): boolean
    /** First index of `value` in `buffer`, or -1. */
    function indexOf(
      buffer: Uint8Array,
      value: string | Uint8Array | number,
      byteOffset?: number,
      encoding?: BufferEncoding
    ): number
    /** Last index of `value` in `buffer`, or -1. */
    function lastIndexOf(
      buffer: Uint8Array,
      value: string | Uint8Array | number,
      byteOffset?: number,
      encoding?: BufferEncoding
    ): number
    /** Returns a Buffer view over the same memory. */
    function toBuffer(buffer: Uint8Array): Buffer
    /** Decodes bytes to a string (default UTF-8). */
    function toString(
      buffer: Uint8Array,
      encoding?: BufferEncoding,
      start?: number,
      end?: number
    ): string
    /** Hex string of `buffer[start, end)`. */
    function toHex(buffer: Uint8Array, start?: number, end?: number): string
    /** Writes a string into `buffer`; returns bytes written. */
    function write(
      buffer: Uint8Array,
      string: string,
      offset?: number,
      length?: number,
      encoding?: BufferEncoding
    ): number
    /** Writes a string at the start of `buffer` in `encoding`. */
    function write(buffer: Uint8Array, string: string, encoding: BufferEncoding): number
    /** Swaps byte order of 16-bit words in place. */
    function swap16(buffer: Uint8Array): Buffer
    /** Swaps byte order of 32-bit words in place. */
    function swap32(buffer: Uint8Array): Buffer
    /** Swaps byte order of 64-bit words in place. */
    function swap64(buffer: Uint8Array): Buffer
    /** Reads a big-endian float64. */
    function readDoubleBE(buffer: Uint8Array, offset?: number): number
    /** Reads a little-endian float64. */
    function readDoubleLE(buffer: Uint8Array, offset?: number): number
    /** Reads a big-endian float32. */
    function readFloatBE(buffer: Uint8Array, offset?: number): number
    /** Reads a little-endian float32. */
    function readFloatLE(buffer: Uint8Array, offset?: number): number
    /** Reads a big-endian int32. */
    function readInt32BE(buffer: Uint8Array, offset?: number): number
    /** Reads a little-endian int32. */
    function readInt32LE(buffer: Uint8Array, offset?: number): number
    /** Reads a big-endian uint32. */
    function readUInt32BE(buffer: Uint8Array, offset?: number): number
    /** Reads a little-endian uint32. */
    function readUInt32LE(buffer: Uint8Array, offset?: number): number
    /** Writes a big-endian float64; returns offset + 8. */
    function writeDoubleBE(buffer: Uint8Array, value: number, offset?: number): number
    /** Writes a little-endian float64; returns offset + 8. */
    function writeDoubleLE(buffer: Uint8Array, value: number, offset?: number): number
    /** Writes a big-endian float32; returns offset + 4. */
    function writeFloatBE(buffer: Uint8Array, value: number, offset?: number): number
    /** Writes a little-endian float32; returns offset + 4. */
    function writeFloatLE(buffer: Uint8Array, value: number, offset?: number): number
    /** Writes a big-endian int32; returns offset + 4. */
    function writeInt32BE(buffer: Uint8Array, value: number, offset?: number): number
    /** Writes a little-endian int32; returns offset + 4. */
    function writeInt32LE(buffer: Uint8Array, value: number, offset?: number): number
    /** Writes a big-endian uint32; returns offset + 4. */
    function writeUInt32BE(buffer: Uint8Array, value: number, offset?: number): number
    /** Writes a little-endian uint32; returns offset + 4. */
    function writeUInt32LE(buffer: Uint8Array, value: number, offset?: number): number
  }

  export default b4a
  export import isBuffer = b4a.isBuffer
  export import isEncoding = b4a.isEncoding
  export import from = b4a.from
  export import alloc = b4a.alloc
  export import allocUnsafe = b4a.allocUnsafe
  export import allocUnsafeSlow = b4a.allocUnsafeSlow
  export import byteLength = b4a.byteLength
  export import compare = b4a.compare
  export import concat = b4a.concat
  export import copy = b4a.copy
  export import equals = b4a.equals
  export import fill = b4a.fill
  export import includes = b4a.includes
  export import indexOf = b4a.indexOf
  export import lastIndexOf = b4a.lastIndexOf
  export import toBuffer = b4a.toBuffer
  export import toString = b4a.toString
  export import toHex = b4a.toHex
  export import write = b4a.write
  export import swap16 = b4a.swap16
  export import swap32 = b4a.swap32
  export import swap64 = b4a.swap64
  export import readDoubleBE = b4a.readDoubleBE
  export import readDoubleLE = b4a.readDoubleLE
  export import readFloatBE = b4a.readFloatBE
  export import readFloatLE = b4a.readFloatLE
  export import readInt32BE = b4a.readInt32BE
  export import readInt32LE = b4a.readInt32LE
  export import readUInt32BE = b4a.readUInt32BE
  export import readUInt32LE = b4a.readUInt32LE
  export import writeDoubleBE = b4a.writeDoubleBE
  export import writeDoubleLE = b4a.writeDoubleLE
  export import writeFloatBE = b4a.writeFloatBE
  export import writeFloatLE = b4a.writeFloatLE
  export import writeInt32BE = b4a.writeInt32BE
  export import writeInt32LE = b4a.writeInt32LE
  export import writeUInt32BE = b4a.writeUInt32BE
  export import writeUInt32LE = b4a.writeUInt32LE
}

declare module 'protomux' {
  import HyperDHT from 'hyperdht'
  import c from 'compact-encoding'

  namespace Protomux {
    /** The framed stream protomux runs over (in practice a NoiseSecretStream). */
    type FramedStream = HyperDHT.NoiseSecretStream

    interface ChannelKey {
      protocol: string
      id?: Buffer | null
    }

    interface MessageOptions<In, Out = In> {
      /** Message codec, default `c.raw`. */
      encoding?: c.Encoder<In, Out>
      /** Called per received message; a rejection/throw destroys the whole stream (unless the channel closed). */
      onmessage?(message: Out, channel: Channel): unknown
      /** Default true. */
      autoBatch?: boolean
    }

    /** A registered message type on a channel. */
    interface Message<In, Out = In> {
      readonly type: number
      encoding: c.Encoder<In, Out>
      autoBatch: boolean
      onmessage(message: Out, channel: Channel): unknown
      /** Sends a message; returns false if the channel is closed or the stream is backpressured. */
      send(message: In, channel?: Channel): boolean
    }

    interface ChannelOptions<H = unknown> {
      /** Protocol name; channels pair on (protocol, id). */
      protocol: string
      /** Optional binary id to have several channels of one protocol. */
      id?: Buffer | null
      aliases?: string[]
      /** Default true: createChannel returns null if this (protocol, id) is already open. */
      unique?: boolean
      /** Codec for the handshake exchanged in `open(handshake)`. */
      handshake?: c.Encoder<H, H> | null
      /** Message types (same as calling `addMessage` for each, in order). */
      messages?: Array<MessageOptions<never, unknown> | null>
      userData?: unknown
      /** The remote opened its side; receives the remote's handshake (null without a handshake codec). */
      onopen?(handshake: H, channel: Channel<H>): unknown
      /** Either side closed/rejected the channel (also on stream close). */
      onclose?(isRemote: boolean, channel: Channel<H>): unknown
      /** After onclose, when all pending handler promises have settled. */
      ondestroy?(channel: Channel<H>): unknown
      /** The underlying stream drained. */
      ondrain?(channel: Channel<H>): unknown
    }

    /** One protocol session over the muxer. */
    interface Channel<H = unknown> {
      userData: unknown
      readonly protocol: string
      readonly aliases: string[]
      readonly id: Buffer | null
      /** The remote's decoded handshake, set when the channel fully opens. */
      handshake: H | null
      messages: Array<Message<never, unknown>>
      /** True once both sides opened. */
      opened: boolean
      closed: boolean
      destroyed: boolean
      readonly drained: boolean
      /** Sends our open (with our handshake); the channel opens once the remote also opens. */
      open(handshake?: H): void
      /** Closes the channel (idempotent). */
      close(): void
      /** Registers the next message type. */
      addMessage<In, Out = In>(opts: MessageOptions<In, Out>): Message<In, Out>
      /** Resolves true when fully opened, false if it closed first. */
      fullyOpened(): Promise<boolean>
      /** Resolves once the channel is destroyed. */
      fullyClosed(): Promise<void>
      cork(): void
      uncork(): void
    }
  }

  /** Multiplexes message-oriented protocol channels over one framed stream. */
  class Protomux implements Iterable<Protomux.Channel> {
    /** Wraps a stream (sets `stream.userData` to the muxer if it was null). Prefer `Protomux.from`. */
    constructor(stream: Protomux.FramedStream, opts?: { alloc?: (size: number) => Buffer })
    /** Returns the stream's existing muxer (stream.userData), the muxer itself, or a new one. */
    static from(
      streamOrMux: Protomux.FramedStream | Protomux,
      opts?: { alloc?: (size: number) => Buffer }
    ): Protomux
    /** Duck-type check for a muxer. */
    static isProtomux(value: unknown): value is Protomux

    readonly isProtomux: true
    readonly stream: Protomux.FramedStream
    corked: number
    drained: boolean

    /** Creates a channel, or returns null if the stream is destroyed or a unique (protocol, id) is already open. */
    createChannel<H = unknown>(opts: Protomux.ChannelOptions<H>): Protomux.Channel<H> | null
    /** Whether a channel for (protocol, id) is open. */
    opened(key: Protomux.ChannelKey): boolean
    /** Calls `notify(id)` when the remote opens (protocol, id) and no local channel is waiting; create the channel in it. */
    pair(key: Protomux.ChannelKey, notify: (id: Buffer | null) => unknown): void
    /** Removes a `pair` handler. */
    unpair(key: Protomux.ChannelKey): void
    /** The last opened channel for (protocol, id), or null. */
    getLastChannel(key: Protomux.ChannelKey): Protomux.Channel | null
    /** True if no channels are open. */
    isIdle(): boolean
    cork(): void
    uncork(): void
    /** Destroys the underlying stream. */
    destroy(err?: Error): void
    [Symbol.iterator](): Iterator<Protomux.Channel>
  }

  export default Protomux
  export import FramedStream = Protomux.FramedStream
  export import ChannelKey = Protomux.ChannelKey
  export import MessageOptions = Protomux.MessageOptions
  export import Message = Protomux.Message
  export import ChannelOptions = Protomux.ChannelOptions
  export import Channel = Protomux.Channel
}

declare module 'protomux-rpc' {
  import { EventEmitter } from 'events'
  import HyperDHT from 'hyperdht'
  import Protomux from 'protomux'
  import c from 'compact-encoding'

  namespace ProtomuxRPC {
    interface Options {
      /** Channel id, to run several RPC channels of one protocol on a connection. */
      id?: Buffer
      /** Default 'protomux-rpc'. */
      protocol?: string
      /** Default codec for requests and responses: `c.optionalBuffer` (Buffer | null) unless set. */
      valueEncoding?: c.Encoder<never, unknown>
      /** Our handshake value, sent when the channel opens (encoded with `handshakeEncoding`, default c.raw). */
      handshake?: unknown
      handshakeEncoding?: c.Encoder<never, unknown>
    }

    interface RespondOptions<Req, Res> {
      /** Codec for both directions unless overridden below (default: the instance's valueEncoding). */
      valueEncoding?: c.Encoder<never, unknown>
      /** Decodes the incoming request. */
      requestEncoding?: c.Encoder<never, Req>
      /** Encodes the handler's return value. */
      responseEncoding?: c.Encoder<Res, unknown>
    }

    interface RequestOptions<Req, Res> {
      /** Codec for both directions unless overridden below (default: the instance's valueEncoding). */
      valueEncoding?: c.Encoder<never, unknown>
      /** Encodes the request value. */
      requestEncoding?: c.Encoder<Req, unknown>
      /** Decodes the response. */
      responseEncoding?: c.Encoder<never, Res>
      /** Reject with TIMEOUT_EXCEEDED after this many ms (default: never). There is no AbortSignal option. */
      timeout?: number
    }

    interface EventOptions<Req> {
      valueEncoding?: c.Encoder<never, unknown>
      requestEncoding?: c.Encoder<Req, unknown>
    }

    type Events = {
      /** The remote opened the channel; `handshake` is its decoded handshake (null if none). */
      open: [handshake: unknown]
      /** The channel closed; pending requests were rejected. */
      close: []
      destroy: []
    }
  }

  /** Request/response RPC over a Protomux channel. */
  class ProtomuxRPC extends EventEmitter<ProtomuxRPC.Events> {
    /**
     * Opens an RPC channel on a stream or muxer (reuses `stream.userData` if it is a muxer).
     * Throws RPCError DUPLICATE_CHANNEL if (protocol, id) is already open on that muxer.
     */
    constructor(stream: HyperDHT.NoiseSecretStream | Protomux, options?: ProtomuxRPC.Options)

    readonly opened: boolean
    readonly closed: boolean
    readonly mux: Protomux
    readonly stream: HyperDHT.NoiseSecretStream

    /** Resolves once the remote has opened the channel too (or it closed). */
    fullyOpened(): Promise<void>
    /**
     * Registers a handler; its return value is the response. A throw/rejection is sent to the requester
     * as REQUEST_ERROR. The thrown value MUST be an Error whose `code` and `context` are strings or
     * absent: a thrown non-Error, a numeric `code` or an object `context` makes encoding the reply
     * throw inside protomux, which surfaces as an uncaught exception and kills the responder process.
     */
    respond<Req = unknown, Res = unknown>(
      method: string,
      handler: (request: Req) => Res | Promise<Res>
    ): this
    /** Registers a handler with per-method codecs. */
    respond<Req = unknown, Res = unknown>(
      method: string,
      options: ProtomuxRPC.RespondOptions<Req, Res>,
      handler: (request: NoInfer<Req>) => NoInfer<Res> | Promise<NoInfer<Res>>
    ): this
    /** Removes a handler. */
    unrespond(method: string): this
    /**
     * Sends a request and resolves with the decoded response (rejects CHANNEL_CLOSED if closed).
     * Rejections are RPCError (`import RPCError from 'protomux-rpc/errors'`): `name` 'RPCError',
     * `message` is `${code}: ${text}`, own property `code`, and there is no `remote` flag:
     * - responder threw: code 'REQUEST_ERROR', message 'REQUEST_ERROR: Request failed', and `cause` is a
     *   plain Error rebuilt from the remote one: `cause.message`, `cause.code` (if it had a string code),
     *   `cause.context` (if it had one); its stack is local, the remote stack is not sent;
     * - no handler: code 'UNKNOWN_METHOD', message "UNKNOWN_METHOD: Unknown method 'x'";
     * - codec failures: 'DECODE_ERROR' / 'ENCODE_ERROR' (with `cause`);
     * - local: 'TIMEOUT_EXCEEDED', 'CHANNEL_CLOSED' (channel/stream closed), 'CHANNEL_DESTROYED'
     *   (or the error given to `destroy(err)`).
     */
    request<Res = unknown, Req = unknown>(
      method: string,
      value: NoInfer<Req>,
      options?: ProtomuxRPC.RequestOptions<Req, Res>
    ): Promise<Res>
    /** Fire-and-forget request (no response, handler errors are dropped); throws if closed. */
    event<Req = unknown>(
      method: string,
      value: NoInfer<Req>,
      options?: ProtomuxRPC.EventOptions<Req>
    ): void
    cork(): void
    uncork(): void
    /** Closes the channel once in-flight requests and responses are done. */
    end(): Promise<unknown>
    /** Closes now; pending requests reject with `err` (default CHANNEL_DESTROYED). Leaves the stream open. */
    destroy(err?: Error): void
  }

  export default ProtomuxRPC
  export import Options = ProtomuxRPC.Options
  export import RespondOptions = ProtomuxRPC.RespondOptions
  export import RequestOptions = ProtomuxRPC.RequestOptions
  export import EventOptions = ProtomuxRPC.EventOptions
  export import Events = ProtomuxRPC.Events
}

declare module 'protomux-rpc/errors' {
  namespace RPCError {
    type Code =
      | 'DUPLICATE_CHANNEL'
      | 'CHANNEL_CLOSED'
      | 'CHANNEL_DESTROYED'
      | 'REQUEST_ERROR'
      | 'TIMEOUT_EXCEEDED'
      | 'UNKNOWN_METHOD'
      | 'DECODE_ERROR'
      | 'ENCODE_ERROR'
  }

  /** The error class of protomux-rpc; `message` is prefixed with `${code}: `. */
  class RPCError extends Error {
    /** Builds an error; prefer the static factories. */
    constructor(msg: string, code: RPCError.Code, fn?: unknown, opts?: { cause?: unknown })
    code: RPCError.Code
    readonly name: 'RPCError'
    /** For REQUEST_ERROR / DECODE_ERROR / ENCODE_ERROR: the underlying error. */
    cause?: unknown
    /** Factory for DUPLICATE_CHANNEL. */
    static DUPLICATE_CHANNEL(msg?: string): RPCError
    /** Factory for CHANNEL_CLOSED. */
    static CHANNEL_CLOSED(msg?: string): RPCError
    /** Factory for CHANNEL_DESTROYED. */
    static CHANNEL_DESTROYED(msg?: string): RPCError
    /** Factory for REQUEST_ERROR. */
    static REQUEST_ERROR(msg: string, cause?: unknown): RPCError
    /** Factory for TIMEOUT_EXCEEDED. */
    static TIMEOUT_EXCEEDED(msg: string): RPCError
    /** Factory for UNKNOWN_METHOD. */
    static UNKNOWN_METHOD(msg: string): RPCError
    /** Factory for DECODE_ERROR. */
    static DECODE_ERROR(msg: string, cause?: unknown): RPCError
    /** Factory for ENCODE_ERROR. */
    static ENCODE_ERROR(msg: string, cause?: unknown): RPCError
  }

  export default RPCError
  export import Code = RPCError.Code
}

declare module 'hypercore' {
  import { EventEmitter } from 'events'
  import HyperDHT from 'hyperdht'
  import Protomux from 'protomux'
  import c from 'compact-encoding'

  namespace Hypercore {
    /** An encoding name, a compact-encoding codec, or a codecs-style `{ encode, decode }` object. */
    type ValueEncoding =
      | c.EncodingName
      | c.Encoder<never, unknown>
      | { encode(value: never): Uint8Array; decode(buffer: Uint8Array): unknown }

    interface KeyPair {
      publicKey: Buffer
      secretKey: Buffer | null
    }

    interface HypercoreOptions {
      /** Hypercore key (Buffer, hex or z-base32). */
      key?: Buffer | string | null
      createIfMissing?: boolean
      overwrite?: boolean
      valueEncoding?: ValueEncoding
      keyPair?: KeyPair
      encryption?: unknown
      /** Wait for missing blocks to replicate (default true). */
      wait?: boolean
      /** Default timeout for gets in ms (0 = none). */
      timeout?: number
      /** Set false to make the session read-only. */
      writable?: boolean
      /** Whether to linger/download from peers (default true). */
      active?: boolean
      onwait?: (index: number, core: Hypercore<unknown>) => void
      onseq?: (index: number, core: Hypercore<unknown>) => void
      notDownloadingLinger?: number
      allowFork?: boolean
      manifest?: unknown
    }

    interface SessionOptions extends HypercoreOptions {
      weak?: boolean
      exclusive?: boolean
      checkout?: number
      name?: string
      snapshot?: boolean
    }

    interface GetOptions {
      /** Wait for the block to be replicated (default: the core's `wait`, true). */
      wait?: boolean
      onwait?: (index: number, core: Hypercore<unknown>) => void
      /** ms; rejects with REQUEST_TIMEOUT (0 = none). */
      timeout?: number
      valueEncoding?: ValueEncoding
      decrypt?: boolean
      /** Return the raw (undecoded) block. */
      raw?: boolean
    }

    interface UpdateOptions {
      /** Wait for a peer to answer (default: only while `findingPeers()` is pending). */
      wait?: boolean
      /** Also update when the core is writable. */
      force?: boolean
    }

    interface AppendOptions {
      writable?: boolean
      maxLength?: number
      keyPair?: KeyPair
      signature?: Buffer | null
    }

    interface ReadStreamOptions {
      start?: number
      end?: number
      live?: boolean
      snapshot?: boolean
      wait?: boolean
      timeout?: number
    }

    interface Info {
      key: Buffer
      discoveryKey: Buffer
      length: number
      contiguousLength: number
      byteLength: number
      fork: number
      padding: number
      storage: { oplog: number; tree: number; blocks: number; bitfield: number } | null
    }

    /** A replication peer of a core (replicator Peer). */
    interface Peer {
      readonly remotePublicKey: Buffer
      readonly stream: HyperDHT.NoiseSecretStream
      readonly protomux: Protomux
      paused: boolean
      removed: boolean
      remoteLength: number
      remoteFork: number
      remoteContiguousLength: number
    }

    /** A range download handle. */
    interface Download {
      /** Resolves when the range is downloaded. */
      done(): Promise<void>
      /** Cancels the download. */
      destroy(): void
    }

    type StreamEvents<T> = {
      data: [data: T]
      end: []
      finish: []
      close: []
      error: [err: Error]
      drain: []
      readable: []
      open: []
    }

    /** A streamx Readable; consume with `for await`. */
    interface ReadStream<T> extends EventEmitter<StreamEvents<T>>, AsyncIterable<T> {
      readonly destroyed: boolean
      readonly destroying: boolean
      read(): T | null
      pause(): this
      resume(): this
      pipe<D>(destination: D, cb?: (err: Error | null) => void): D
      destroy(err?: Error): void
    }

    /** What `replicate(true|false)` returns: the plaintext end of a new NoiseSecretStream, to pipe to a transport. */
    interface ReplicationStream extends EventEmitter<StreamEvents<Buffer>> {
      readonly noiseStream: HyperDHT.NoiseSecretStream
      readonly destroyed: boolean
      write(data: Uint8Array): boolean
      end(data?: Uint8Array): this
      pipe<D>(destination: D, cb?: (err: Error | null) => void): D
      destroy(err?: Error): void
    }

    interface ProtocolStreamOptions {
      /** Default true: set a 5s keep-alive on the noise stream if none is set. */
      keepAlive?: boolean
      ondiscoverykey?: (discoveryKey: Buffer) => unknown
    }

    type Events = {
      ready: []
      close: []
      /** New length (local or remote append). */
      append: []
      truncate: [ancestors: number, forkId: number]
      'peer-add': [peer: Peer]
      'peer-remove': [peer: Peer]
      upload: [index: number, byteLength: number, peer: Peer]
      download: [index: number, byteLength: number, peer: Peer]
      'remote-contiguous-length': [length: number]
      manifest: []
      migrate: [key: Buffer]
    }
  }

  /** An append-only, signed, sparse-replicating log. `T` is the block type after valueEncoding. */
  class Hypercore<T = Buffer> extends EventEmitter<Hypercore.Events> {
    /** Opens/creates a core in a storage directory (prefer `corestore.get`). */
    constructor(storage: string, key?: Buffer | string | null, opts?: Hypercore.HypercoreOptions)
    /** Opens/creates a core in a storage directory with options (`key` may be among them). */
    constructor(storage: string, opts?: Hypercore.HypercoreOptions)

    /** Largest recommended block (15 MiB); bigger appends throw. */
    static MAX_SUGGESTED_BLOCK_SIZE: number
    /** Discovery key (BLAKE2b keyed hash) for a core key: the topic to announce on. */
    static discoveryKey(key: Buffer): Buffer
    /** Core key for a manifest. */
    static key(
      manifest: unknown,
      opts?: { compat?: boolean; version?: number; namespace?: Buffer }
    ): Buffer
    /** Returns the muxer of a replication stream. */
    static getProtocolMuxer(stream: HyperDHT.NoiseSecretStream): Protomux
    /** Makes a replication-ready stream: wraps `isInitiator` in a new NoiseSecretStream or reuses a given stream. */
    static createProtocolStream(
      isInitiator: boolean | HyperDHT.NoiseSecretStream | Protomux,
      opts?: Hypercore.ProtocolStreamOptions
    ): HyperDHT.NoiseSecretStream | Hypercore.ReplicationStream

    /** Public key; null until ready. */
    readonly key: Buffer | null
    /** Discovery key; null until ready. */
    readonly discoveryKey: Buffer | null
    /** z-base32 key; null until ready. */
    readonly id: string | null
    /** Number of blocks (0 until ready). */
    readonly length: number
    readonly signedLength: number
    readonly byteLength: number
    readonly contiguousLength: number
    readonly remoteContiguousLength: number
    readonly fork: number
    readonly padding: number
    /** Current replication peers ([] until ready). */
    readonly peers: Hypercore.Peer[]
    /** True if this session can append (false until ready). */
    writable: boolean
    /** False once closed. */
    readable: boolean
    opened: boolean
    closed: boolean
    closing: Promise<void> | null
    keyPair: Hypercore.KeyPair | null
    /** Default wait for gets. */
    wait: boolean
    timeout: number

    /** Resolves once open; key/length/etc. are set after this. */
    ready(): Promise<void>
    /** Closes this session (the store closes the core when no sessions remain). */
    close(opts?: { error?: Error }): Promise<void>
    /** Appends one block or a batch; resolves with the new length and byteLength. */
    append(
      blocks: T | Uint8Array | Array<T | Uint8Array>,
      opts?: Hypercore.AppendOptions
    ): Promise<{ length: number; byteLength: number }>
    /** Reads a block, waiting for replication unless `wait: false` (then null if missing). */
    get(index: number, opts?: Hypercore.GetOptions): Promise<T | null>
    /** Whether blocks [start, end) are stored locally. */
    has(start: number, end?: number): Promise<boolean>
    /** Asks peers for a newer length; resolves true if the core was updated. */
    update(opts?: Hypercore.UpdateOptions): Promise<boolean>
    /** Maps a byte offset to [blockIndex, offsetInBlock]. */
    seek(
      byteOffset: number,
      opts?: { wait?: boolean; timeout?: number }
    ): Promise<[number, number] | null>
    /** Truncates to `newLength` (writable cores only). */
    truncate(
      newLength?: number,
      opts?: number | { fork?: number; keyPair?: Hypercore.KeyPair; signature?: Buffer }
    ): Promise<void>
    /** Deletes local copies of blocks [start, end). */
    clear(
      start: number,
      end?: number,
      opts?: { diff?: boolean }
    ): Promise<{ blocks: number } | null>
    /** Size/length info. */
    info(opts?: { storage?: boolean }): Promise<Hypercore.Info>
    /** Merkle tree hash at `length` (default current). */
    treeHash(length?: number): Promise<Buffer>
    /** Downloads a range (`{ start, end }`, end -1 = live) or explicit blocks. */
    download(range?: {
      start?: number
      end?: number
      blocks?: number[]
      linear?: boolean
    }): Hypercore.Download
    /** A new session on the same core (must be closed). */
    session(opts?: Hypercore.SessionOptions): Hypercore<T>
    /** A read-only snapshot session at the current length. */
    snapshot(opts?: Hypercore.SessionOptions): Hypercore<T>
    /** Replicates over an existing stream (returned as is). */
    replicate<S extends HyperDHT.NoiseSecretStream>(
      stream: S,
      opts?: Hypercore.ProtocolStreamOptions
    ): S
    /** Replicates over an existing muxer (returned as is). */
    replicate(mux: Protomux, opts?: Hypercore.ProtocolStreamOptions): Protomux
    /** Creates a new encrypted replication stream to pipe to a transport. */
    replicate(
      isInitiator: boolean,
      opts?: Hypercore.ProtocolStreamOptions
    ): Hypercore.ReplicationStream
    /** Tells `update()` to wait for discovery; call the returned function when discovery is done. */
    findingPeers(): () => void
    /** Streams blocks [start, end). */
    createReadStream(opts?: Hypercore.ReadStreamOptions): Hypercore.ReadStream<T>
    /** Stores a local, non-replicated key/value. */
    setUserData(key: string, value: string | Uint8Array | null): Promise<void>
    /** Reads a local key/value. */
    getUserData(key: string): Promise<Buffer | null>
    /** Marks the core (in)active for lingering replication. */
    setActive(active: boolean): void
    /** Replaces the signing key pair. */
    setKeyPair(keyPair: Hypercore.KeyPair): void
  }

  export default Hypercore
  export import ValueEncoding = Hypercore.ValueEncoding
  export import KeyPair = Hypercore.KeyPair
  export import HypercoreOptions = Hypercore.HypercoreOptions
  export import SessionOptions = Hypercore.SessionOptions
  export import GetOptions = Hypercore.GetOptions
  export import UpdateOptions = Hypercore.UpdateOptions
  export import AppendOptions = Hypercore.AppendOptions
  export import ReadStreamOptions = Hypercore.ReadStreamOptions
  export import Info = Hypercore.Info
  export import Peer = Hypercore.Peer
  export import Download = Hypercore.Download
  export import StreamEvents = Hypercore.StreamEvents
  export import ReadStream = Hypercore.ReadStream
  export import ReplicationStream = Hypercore.ReplicationStream
  export import ProtocolStreamOptions = Hypercore.ProtocolStreamOptions
  export import Events = Hypercore.Events
}

declare module 'corestore' {
  import { EventEmitter } from 'events'
  import HyperDHT from 'hyperdht'
  import Hypercore from 'hypercore'

  namespace Corestore {
    interface CorestoreOptions {
      /** Primary key for key derivation; requires `unsafe: true`. Default: random, persisted. */
      primaryKey?: Buffer
      unsafe?: boolean
      /** Set false to open everything read-only. */
      writable?: boolean
      readOnly?: boolean
      /** Attach downloading cores to replication streams (default true). */
      active?: boolean
      manifestVersion?: number
      /** Whether `suspend()` suspends storage (default true, false on Android). */
      suspend?: boolean
    }

    interface GetOptions extends Hypercore.HypercoreOptions {
      /** Derive a writable core from the store's primary key and this name (per namespace). */
      name?: string
      /** Load the core with this key (Buffer, hex or z-base32). */
      key?: Buffer | string | null
      /** Load an existing core by discovery key (rejects STORAGE_EMPTY when it is not stored). */
      discoveryKey?: Buffer | string
      exclusive?: boolean
      draft?: boolean
    }
  }

  /** A Hypercore factory: named writable cores derived from one primary key, shared storage and replication. */
  class Corestore extends EventEmitter<{
    ready: []
    close: []
    'group-active': [topic: Buffer, update: unknown]
  }> {
    /** Opens (creating if needed) a RocksDB-backed store in `storage` (a directory path). */
    constructor(storage: string, opts?: Corestore.CorestoreOptions)

    /** Primary key (null until ready). */
    primaryKey: Buffer | null
    /** The 32-byte namespace of this session. */
    ns: Buffer
    readOnly: boolean
    active: boolean
    opened: boolean
    closed: boolean
    opening: Promise<void> | null
    closing: Promise<void> | null
    /** The root store, or null if this is the root. */
    root: Corestore | null
    /** The store's RocksDB storage (hypercore-storage). */
    storage: {
      /** Compacts the whole database: space of deleted cores and blocks goes back to the disk. */
      compact(): Promise<void>
      /** Whether a core with this discovery key is stored. */
      hasCore(discoveryKey: Buffer): Promise<boolean>
      /** A stored core's storage (its pointers in the database), or null. */
      resumeCore(
        discoveryKey: Buffer
      ): Promise<{ core: { corePointer: number; dataPointer: number } } | null>
      /** Deletes a core's record, its auth, head and sessions' data (not the default data). */
      deleteCore(pointers: { corePointer: number; dataPointer: number }): Promise<void>
      /** The RocksDB database (rocksdb-native). */
      db: {
        write(opts?: { autoDestroy?: boolean }): {
          tryDeleteRange(start: Buffer, end: Buffer): void
          flush(): Promise<void>
        }
      }
    }

    /** Resolves once the primary key is loaded. */
    ready(): Promise<void>
    /** Closes this store/session and its cores (the root also closes storage and all sessions). */
    close(): Promise<void>
    /** Loads a core by key (Buffer, hex or z-base32); returns at once, call `ready()`. */
    get<T = Buffer>(key: Buffer | string): Hypercore<T>
    /** Loads a core by `name` (writable), `key` or `discoveryKey`; returns at once, call `ready()`. */
    get<T = Buffer>(opts: Corestore.GetOptions): Hypercore<T>
    /** A session whose `get({ name })` keys are derived under `name` (chainable). */
    namespace(name: string | Buffer, opts?: Corestore.CorestoreOptions): Corestore
    /** A session sharing storage; closing it closes the cores it opened. */
    session(opts?: Corestore.CorestoreOptions): Corestore
    /** Replicates all loaded (and later loaded) cores over an existing connection; returns it. */
    replicate<S extends HyperDHT.NoiseSecretStream>(
      stream: S,
      opts?: Hypercore.ProtocolStreamOptions
    ): S
    /** Creates a new encrypted replication stream to pipe to a transport. */
    replicate(
      isInitiator: boolean,
      opts?: Hypercore.ProtocolStreamOptions
    ): Hypercore.ReplicationStream
    /** Deterministic key pair from the primary key, name and namespace. */
    createKeyPair(name: string, ns?: Buffer): Promise<HyperDHT.KeyPair>
    /** Calls `fn(core)` (internal core, not a session) whenever a core is opened. */
    watch(fn: (core: unknown) => void): void
    /** Removes a `watch` callback. */
    unwatch(fn: (core: unknown) => void): void
    /** Like `core.findingPeers()` for every core of this store. */
    findingPeers(): () => void
    /** Suspends storage. */
    suspend(opts?: { log?: (...args: unknown[]) => unknown }): Promise<void>
    /** Resumes storage. */
    resume(): Promise<void>
  }

  export default Corestore
  export import CorestoreOptions = Corestore.CorestoreOptions
  export import GetOptions = Corestore.GetOptions
}

declare module 'hyperbee' {
  import { EventEmitter } from 'events'
  import HyperDHT from 'hyperdht'
  import Hypercore from 'hypercore'
  import c from 'compact-encoding'

  namespace Hyperbee {
    /** 'binary' (default), 'utf-8', 'json', ... or a compact-encoding / codecs-style codec. */
    type Encoding =
      | c.EncodingName
      | c.Encoder<never, unknown>
      | { encode(value: never): Uint8Array; decode(buffer: Uint8Array): unknown }

    interface Options {
      keyEncoding?: Encoding
      valueEncoding?: Encoding
      /** Default true. */
      extension?: boolean
      readonly?: boolean
      /** Separator used by `sub()` (default a zero byte). */
      sep?: Buffer
      metadata?: unknown
    }

    /** A stored entry; `seq` is the core block index it was written at. */
    interface Entry<K, V> {
      seq: number
      key: K
      value: V
    }

    /** A history entry; `value` is null for deletions. */
    interface HistoryEntry<K, V> {
      type: 'put' | 'del'
      seq: number
      key: K
      value: V | null
    }

    interface DiffEntry<K, V> {
      /** The entry in this bee, or null if only in the other version. */
      left: Entry<K, V> | null
      /** The entry in the other version, or null if only in this bee. */
      right: Entry<K, V> | null
    }

    /** Key range; sorting is by encoded key bytes. */
    interface Range<K> {
      gt?: K
      gte?: K
      lt?: K
      lte?: K
    }

    interface ReadOptions {
      reverse?: boolean
      /** -1 = no limit. */
      limit?: number
      keyEncoding?: Encoding
      valueEncoding?: Encoding
      /** Passed to core.get for missing nodes. */
      wait?: boolean
      timeout?: number
    }

    interface GetOptions {
      keyEncoding?: Encoding
      valueEncoding?: Encoding
      wait?: boolean
      timeout?: number
    }

    interface HistoryOptions {
      /** Keep the stream open for new entries. */
      live?: boolean
      reverse?: boolean
      gt?: number
      gte?: number
      lt?: number
      lte?: number
      limit?: number
      keyEncoding?: Encoding
      valueEncoding?: Encoding
    }

    interface PutOptions<K, V> {
      /** Compare-and-swap: only write if this returns true (called when the key exists). */
      cas?(prev: Entry<K, V>, next: Entry<K, V>): boolean | Promise<boolean>
      keyEncoding?: Encoding
      valueEncoding?: Encoding
    }

    interface DelOptions<K, V> {
      /** Compare-and-swap: only delete if this returns true. */
      cas?(prev: Entry<K, V>): boolean | Promise<boolean>
      keyEncoding?: Encoding
    }

    interface WatchOptions {
      keyEncoding?: Encoding
      valueEncoding?: Encoding
      /** Yield once immediately against version 1. */
      eager?: boolean
      onchange?: () => unknown
    }

    type ReadStream<T> = Hypercore.ReadStream<T>

    /** An atomic batch (holds the bee's write lock until flushed/closed once it writes). */
    interface Batch<K, V> {
      readonly version: number
      put(key: K, value: V, opts?: PutOptions<K, V>): Promise<void>
      get(key: K, opts?: GetOptions): Promise<Entry<K, V> | null>
      del(key: K, opts?: DelOptions<K, V>): Promise<void>
      peek(range?: Range<K>, opts?: ReadOptions): Promise<Entry<K, V> | null>
      createReadStream(range?: Range<K>, opts?: ReadOptions): ReadStream<Entry<K, V>>
      getBySeq(seq: number, opts?: GetOptions): Promise<{ key: K; value: V } | null>
      /** Commits all operations as one append. */
      flush(): Promise<void>
      /** Discards the batch and releases the lock. */
      close(): Promise<void>
    }

    type WatcherEvents = { ready: []; close: []; update: []; error: [err: Error] }

    /** Async iterator of [current, previous] snapshots after each change in the range. */
    interface Watcher<K, V>
      extends EventEmitter<WatcherEvents>, AsyncIterableIterator<[Hyperbee<K, V>, Hyperbee<K, V>]> {
      readonly bee: Hyperbee<K, V>
      /** Current snapshot (auto-closed; do not close it yourself). */
      current: Hyperbee<K, V> | null
      previous: Hyperbee<K, V> | null
      opened: boolean
      closed: boolean
      /** Resolves once the watcher is detecting changes. */
      ready(): Promise<void>
      /** Stops the watcher (ends a pending `for await`). */
      close(): Promise<void>
      /** Same as `close()`. */
      destroy(): Promise<void>
    }

    /** Tracks one key; `node` is kept current, 'update' fires on change. */
    interface EntryWatcher<K, V> extends EventEmitter<WatcherEvents> {
      readonly bee: Hyperbee<K, V>
      readonly key: K
      node: Entry<K, V> | null
      close(): Promise<void>
    }
  }

  /** An append-only B-tree key/value store on a Hypercore (`K`/`V` are the decoded key/value types). */
  class Hyperbee<K = Buffer, V = Buffer> extends EventEmitter<{ ready: []; close: [] }> {
    /** Wraps a (binary) Hypercore; pass `keyEncoding`/`valueEncoding` matching K/V. */
    constructor(core: Hypercore, opts?: Hyperbee.Options)
    /** Whether block 0 of the core is a Hyperbee header. */
    static isHyperbee(core: Hypercore, opts?: Hypercore.GetOptions): Promise<boolean>

    /** The backing core. */
    readonly core: Hypercore
    /** Deprecated alias of `core`. */
    readonly feed: Hypercore
    /** Version (max(1, core length), or the checkout). */
    readonly version: number
    readonly id: string | null
    readonly key: Buffer | null
    readonly discoveryKey: Buffer | null
    readonly writable: boolean
    readonly readable: boolean
    /** Key prefix of a `sub()`, else null. */
    readonly prefix: Buffer | null
    opened: boolean
    closed: boolean

    /** Resolves when the core is open. */
    ready(): Promise<void>
    /** Closes the bee, its watchers/batches and its core session. */
    close(): Promise<void>
    /** Inserts/overwrites a key. */
    put(key: K, value: V, opts?: Hyperbee.PutOptions<K, V>): Promise<void>
    /** Reads a key; null if absent. */
    get(key: K, opts?: Hyperbee.GetOptions): Promise<Hyperbee.Entry<K, V> | null>
    /** Deletes a key (no-op if absent). */
    del(key: K, opts?: Hyperbee.DelOptions<K, V>): Promise<void>
    /** The entry written at block `seq`. */
    getBySeq(seq: number, opts?: Hyperbee.GetOptions): Promise<{ key: K; value: V } | null>
    /** First entry in a range (like a read stream with limit 1). */
    peek(
      range?: Hyperbee.Range<K>,
      opts?: Hyperbee.ReadOptions
    ): Promise<Hyperbee.Entry<K, V> | null>
    /** Sorted entries in a range. */
    createReadStream(
      range?: Hyperbee.Range<K>,
      opts?: Hyperbee.ReadOptions
    ): Hyperbee.ReadStream<Hyperbee.Entry<K, V>>
    /** Every put/del in block order. */
    createHistoryStream(
      opts?: Hyperbee.HistoryOptions
    ): Hyperbee.ReadStream<Hyperbee.HistoryEntry<K, V>>
    /** Changed entries between this bee and another version/bee. */
    createDiffStream(
      other: number | Hyperbee<K, V>,
      range?: Hyperbee.Range<K>,
      opts?: Hyperbee.ReadOptions
    ): Hyperbee.ReadStream<Hyperbee.DiffEntry<K, V>>
    /** An atomic batch. */
    batch(opts?: Hyperbee.GetOptions): Hyperbee.Batch<K, V>
    /** Watches a range (main bee only, not subs/checkouts). */
    watch(range?: Hyperbee.Range<K>, opts?: Hyperbee.WatchOptions): Hyperbee.Watcher<K, V>
    /** Watches one key (main bee only). */
    getAndWatch(key: K, opts?: Hyperbee.GetOptions): Promise<Hyperbee.EntryWatcher<K, V>>
    /** Read-only view at `version` (close it when done). */
    checkout(
      version: number,
      opts?: { keyEncoding?: Hyperbee.Encoding; valueEncoding?: Hyperbee.Encoding }
    ): Hyperbee<K, V>
    /** Read-only view at the current version; read `version` after `ready()` (close it when done). */
    snapshot(opts?: {
      keyEncoding?: Hyperbee.Encoding
      valueEncoding?: Hyperbee.Encoding
    }): Hyperbee<K, V>
    /** A prefixed sub-database sharing the core. */
    sub<SK = K, SV = V>(
      prefix: string | Buffer,
      opts?: {
        sep?: Buffer | string
        keyEncoding?: Hyperbee.Encoding
        valueEncoding?: Hyperbee.Encoding
      }
    ): Hyperbee<SK, SV>
    /** Replicates the core (see Hypercore.replicate). */
    replicate<S extends HyperDHT.NoiseSecretStream>(stream: S): S
    /** Updates the core from peers (see Hypercore.update). */
    update(opts?: Hypercore.UpdateOptions): Promise<boolean>
    /** The header stored in block 0. */
    getHeader(opts?: Hypercore.GetOptions): Promise<{ protocol: string; metadata: unknown } | null>
  }

  export default Hyperbee
  export import Encoding = Hyperbee.Encoding
  export import Options = Hyperbee.Options
  export import Entry = Hyperbee.Entry
  export import HistoryEntry = Hyperbee.HistoryEntry
  export import DiffEntry = Hyperbee.DiffEntry
  export import Range = Hyperbee.Range
  export import ReadOptions = Hyperbee.ReadOptions
  export import GetOptions = Hyperbee.GetOptions
  export import HistoryOptions = Hyperbee.HistoryOptions
  export import PutOptions = Hyperbee.PutOptions
  export import DelOptions = Hyperbee.DelOptions
  export import WatchOptions = Hyperbee.WatchOptions
  export import ReadStream = Hyperbee.ReadStream
  export import Batch = Hyperbee.Batch
  export import WatcherEvents = Hyperbee.WatcherEvents
  export import Watcher = Hyperbee.Watcher
  export import EntryWatcher = Hyperbee.EntryWatcher
}

declare module 'hyperblobs' {
  import Hypercore from 'hypercore'

  namespace Hyperblobs {
    /** Where a blob lives in the core. */
    interface BlobId {
      byteOffset: number
      blockOffset: number
      blockLength: number
      byteLength: number
    }
  }

  /** Blobs chunked into the blocks of one Hypercore (Hyperdrive's blob store). */
  class Hyperblobs {
    constructor(core: Hypercore, opts?: { blockSize?: number })
    readonly core: Hypercore
    readonly key: Buffer | null
    readonly discoveryKey: Buffer | null
    /** Opens the core. */
    ready(): Promise<void>
    /** Closes the core. */
    close(): Promise<void>
    /** Appends a blob; resolves to where it was stored. */
    put(blob: Uint8Array, opts?: { blockSize?: number }): Promise<Hyperblobs.BlobId>
    /** Reads a whole blob (waiting for replication unless `wait: false`); null when unavailable. */
    get(id: Hyperblobs.BlobId, opts?: { wait?: boolean; timeout?: number }): Promise<Buffer | null>
    /** Clears a blob's blocks from local storage. */
    clear(id: Hyperblobs.BlobId): Promise<unknown>
  }

  export default Hyperblobs
  export import BlobId = Hyperblobs.BlobId
}

declare module 'hypercore-storage/lib/keys.js' {
  /** Key prefixes of hypercore-storage's RocksDB layout. */
  export const core: {
    /** The prefix of everything a core keeps under its core pointer (auth, head, sessions). */
    core(pointer: number): Buffer
    /** The prefix of a data pointer's blocks, tree nodes and bitfield. */
    data(pointer: number): Buffer
  }
}
