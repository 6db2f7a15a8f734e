import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from 'pino'
import { loadClusterKey } from './cluster/key.js'
import type { Config } from './config.js'
import type { RouteContext } from './gateway/context.js'
import { Authenticator } from './gateway/auth.js'
import { edgeRoutes } from './gateway/routes/index.js'
import { Concurrency } from './limits.js'
import { Gateway } from './gateway/server.js'
import type { JobService } from './jobs/service.js'
import type { ScheduleFiring } from './schedules/firing.js'
import { EventInvokeService } from './registry/event-invoke.js'
import { KEYS } from './registry/writer.js'
import type { Mesh } from './p2p/mesh.js'
import type { ClusterSwarm } from './p2p/swarm.js'
import { createMesh } from './p2p/join.js'
import { swarmPlan } from './p2p/plan.js'
import { RememberedMembers } from './p2p/remembered.js'
import { createLogger } from './log.js'
import { EdgeMetrics } from './metrics.js'
import { FunctionService } from './registry/functions.js'
import { CHECKPOINT_FILE } from './registry/checkpoint.js'
import { asyncWork } from './async-work.js'
import { Registry } from './registry/registry.js'
import { AddressBook } from './registry/addressing.js'
import { AliasService } from './registry/aliases.js'
import { UrlService } from './registry/urls.js'
import { VersionService, type AllocationRoute } from './registry/versions.js'
import { rendezvous } from './cluster/rendezvous.js'
import { openStore } from './registry/store.js'
import { executeShard } from './rpc/execute.js'
import type { PeerRpc } from './rpc/peer-rpc.js'
import { localExecutor, remoteExecutor, type Executor } from './scheduler/executors.js'
import type { Candidate } from './scheduler/placement.js'
import { Scheduler, type MemberExecutor } from './scheduler/run.js'
import { WasmPool, type PoolStats } from './executor/pool.js'
import { ModuleValidator } from './wasm/validator.js'
import { compileEngine } from './runtimes/js/engine.js'
import { JsonCodec } from './gateway/json.js'

/** Collaborators an embedder or a test may substitute. */
export interface EdgeOptions {
  log?: Logger
  /** Executor workers (default: one per core). */
  poolSize?: number
  /** Blocks per job log segment (default lib/jobs/log.ts SEGMENT_BLOCKS; tests make it small). */
  jobSegmentBlocks?: number
}

/**
 * One edge: the composition root. ready() opens the parts in dependency order (state dir,
 * cluster key, Corestore, registry, executor, gateway); close() stops accepting requests, lets
 * in-flight ones finish, then closes the parts in reverse. Both are idempotent.
 */
export class Edge {
  readonly config: Config
  readonly log: Logger
  private readonly options: EdgeOptions
  private gateway: Gateway | null = null
  private closers: (() => Promise<void> | void)[] = []
  private opened: Promise<void> | null = null
  private closed: Promise<void> | null = null
  private key: Buffer | null = null
  private parts: { pool: WasmPool; jobs: JobService } | null = null
  private mesh: Mesh | null = null
  private swarm: ClusterSwarm | null = null
  /** One executor per member channel, made once (placement asks for them on every call). */
  private readonly executors = new WeakMap<PeerRpc, Executor>()

  constructor(config: Config, options: EdgeOptions = {}) {
    this.config = config
    this.options = options
    this.log = options.log ?? createLogger(config)
  }

  /** Starts everything; on failure, closes what was opened and rethrows. */
  ready(): Promise<void> {
    this.opened ??= this.open().catch(async (err: unknown) => {
      await this.close()
      throw err
    })
    return this.opened
  }

  /** The gateway's base URL. */
  get url(): string {
    if (this.gateway === null) throw new Error('the edge is not ready')
    const { host, port } = this.gateway.address
    return `http://${host.includes(':') ? `[${host}]` : host}:${port}`
  }

  /** The cluster key (loaded or created at ready()). */
  get clusterKey(): Buffer {
    if (this.key === null) throw new Error('the edge is not ready')
    return this.key
  }

  /** Live counters: the executor's queue and workers, and jobs not yet finished. */
  stats(): { pool: PoolStats; pendingJobs: number } {
    if (this.parts === null) throw new Error('the edge is not ready')
    return { pool: this.parts.pool.stats(), pendingJobs: this.parts.jobs.pending() }
  }

  /** The RPC channel to a connected member (by swarm id), or null (also for a lone edge). */
  member(id: string): PeerRpc | null {
    return this.mesh?.peers.rpc(id) ?? null
  }

  /**
   * Members alive besides this edge, for async work (who owns a schedule, whose jobs to take
   * over): healthy connected ones, and those others have heard from within the job lease (with
   * maxPeers below the mesh's size, not every member is connected here).
   */
  private healthyMembers(): string[] {
    // A member known by gossip counts while someone heard it within the job lease (what
    // "unseen this long" means for takeovers; gossip remembers it for 15 s, too long here),
    // and, for one this edge lost itself, heard after that: not an echo of its last answer.
    const lease = this.config.jobLeaseMs
    return (this.mesh?.members() ?? [])
      .filter((m) => (m.direct ? m.healthy : m.newer && m.ageMs < lease))
      .map((m) => m.id)
  }

  /** Members that may take shards now: healthy, answering, as placement sees them. */
  private members(): MemberExecutor[] {
    const mesh = this.mesh
    if (mesh === null) return []
    return mesh.peers.list().flatMap((peer) => {
      const rpc = mesh.peers.rpc(peer.id)
      if (rpc === null || !peer.healthy) return []
      const candidate: Candidate = {
        id: peer.id,
        name: peer.info.name,
        self: false,
        distanceKm: peer.distanceKm,
        rttMs: peer.rttMs,
        load: peer.info.load,
        workers: peer.info.workers,
        healthy: peer.healthy
      }
      let executor = this.executors.get(rpc)
      if (executor === undefined || executor.name !== peer.info.name) {
        executor = remoteExecutor(peer.id, peer.info.name, rpc)
        this.executors.set(rpc, executor)
      }
      return [{ candidate, executor }]
    })
  }

  /**
   * Who allocates version numbers for a function: rendezvous hashing of its name over this edge
   * and its healthy connected members (null: this edge).
   */
  private allocator(name: string, exclude: ReadonlySet<string>): ReturnType<AllocationRoute> {
    const mesh = this.mesh
    if (mesh === null) return null
    const members = new Map<string, NonNullable<ReturnType<typeof mesh.peers.rpc>>>()
    for (const peer of mesh.peers.list()) {
      const rpc = mesh.peers.rpc(peer.id)
      if (peer.healthy && rpc !== null && !exclude.has(peer.id)) members.set(peer.id, rpc)
    }
    const owner = rendezvous(name, [this.swarmId, ...members.keys()])
    const rpc = owner === null ? undefined : members.get(owner)
    return rpc === undefined ? null : { id: rpc.peer, allocator: rpc }
  }

  /** This edge's swarm identity (hex public key); empty for a lone edge. */
  get swarmId(): string {
    return this.swarm?.id ?? ''
  }

  /** Stops accepting, finishes or fails in-flight work, closes stores cleanly. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      for (const close of this.closers.reverse()) await close()
      this.closers = []
      this.log.info('edge closed')
    })()
    return this.closed
  }

  private async open(): Promise<void> {
    const { config } = this
    await mkdir(config.stateDir, { recursive: true })
    this.key = await loadClusterKey(config.stateDir, config.clusterKey)

    const store = await openStore(config.stateDir)
    this.closers.push(() => store.close())

    const validator = new ModuleValidator()
    this.closers.push(() => validator.close())
    validator.warm()

    let functions: FunctionService | null = null
    let jobs: JobService | null = null
    let firingRef: ScheduleFiring | null = null
    const registry = new Registry(store, {
      log: this.log.child({ component: 'registry' }),
      checkpoint: join(config.stateDir, CHECKPOINT_FILE),
      onRemoteRecord: (record) => functions?.prefetch(record),
      onEntry: (key) => {
        if (key.startsWith(KEYS.segment)) jobs?.segmentsChanged()
      }
    })
    this.closers.push(() => registry.close())
    await registry.ready()
    functions = new FunctionService(registry, validator, config, config.region)
    const book = new AddressBook(registry, this.log.child({ component: 'registry' }))
    const aliases = new AliasService(functions, book)
    const urls = new UrlService(functions, book)
    const versions = new VersionService(functions, aliases, book, registry, (name, exclude) =>
      this.allocator(name, exclude)
    )

    // The JS engine is compiled once here and handed to every worker (and every replacement).
    const pool = new WasmPool({
      ...(this.options.poolSize === undefined ? {} : { size: this.options.poolSize }),
      assets: { quickjs: await compileEngine() },
      containerBudgetBytes: config.containerBudgetMb * 1024 * 1024
    })
    this.closers.push(() => pool.close())
    await pool.ready()

    // Derived from the store's primary key: the same identity after a restart, lone or not.
    const keyPair = await store.createKeyPair('swarm-lambda/swarm')
    const edge = { id: keyPair.publicKey.toString('hex'), name: config.nodeName }
    const json = new JsonCodec()
    this.closers.push(() => json.close())

    const startedAt = Date.now()
    const self = () => {
      const { queued, running } = pool.stats()
      return {
        name: config.nodeName,
        region: config.region,
        httpUrl: this.url,
        load: queued + running,
        workers: pool.size,
        startedAt,
        dht: this.swarm?.dhtAddress() ?? ''
      }
    }
    // How this edge joins its mesh (null: a lone edge), from its config and the members it
    // remembers from earlier runs.
    const remembered = new RememberedMembers(config.stateDir)
    const plan = swarmPlan(config, remembered)
    const metrics = new EdgeMetrics({
      pool: () => pool.stats(),
      peers: () => this.mesh?.peers.list().filter((p) => p.healthy).length ?? 0,
      functions: () => registry.list().length,
      writers: () => registry.writerKeys().length,
      pendingJobs: () => jobs?.pending() ?? 0,
      oldestJobSeconds: () => jobs?.oldestAgeSeconds() ?? 0,
      jobSegments: () => jobs?.segments ?? 0,
      schedules: () => firingRef?.status() ?? []
    })
    this.closers.push(() => metrics.stop())
    const work = asyncWork({
      config,
      clustered: plan !== null,
      store,
      registry,
      edge,
      workers: pool.size,
      members: () => this.healthyMembers(),
      metrics,
      ctx: () => ctx,
      log: this.log,
      ...(this.options.jobSegmentBlocks === undefined
        ? {}
        : { segmentBlocks: this.options.jobSegmentBlocks })
    })
    const { jobs: asyncJobs, schedules, firing } = work
    jobs = asyncJobs
    firingRef = firing
    this.parts = { pool, jobs: asyncJobs }
    const ctx: RouteContext = {
      config,
      functions,
      versions,
      aliases,
      urls,
      eventInvoke: new EventInvokeService(functions, book),
      scheduler: new Scheduler({
        local: localExecutor(pool, config.nodeName, this.log.child({ component: 'function' })),
        workers: pool.size,
        maxShards: config.maxShards,
        placement: config.placement,
        members: () => this.members(),
        strike: (id) => this.mesh?.peers.strike(id),
        observer: metrics,
        log: this.log.child({ component: 'scheduler' })
      }),
      metrics,
      jobs: asyncJobs,
      schedules,
      json,
      concurrency: new Concurrency(config.maxConcurrency, (fn, scope) =>
        metrics.throttle(fn, scope)
      ),
      executor: () => pool.stats(),
      startedAt,
      cluster: {
        id: () => this.swarmId,
        self,
        peers: () => this.mesh?.members() ?? [],
        writers: () => registry.writerKeys().map((key) => key.toString('hex'))
      }
    }
    this.closers.push(() => asyncJobs.close())
    await asyncJobs.ready()
    this.closers.push(() => firing.close())
    firing.start()
    const auth = new Authenticator(config.accessKeys, config.invokeAuth)
    const gateway = new Gateway({
      host: config.httpHost,
      port: config.httpPort,
      ...edgeRoutes(ctx, auth),
      auth,
      log: this.log.child({ component: 'gateway' })
    })
    this.closers.push(() => gateway.close())
    await gateway.listen()
    this.gateway = gateway

    if (plan !== null) {
      const { swarm, mesh } = createMesh({
        config,
        plan,
        key: this.key,
        keyPair,
        store,
        registry,
        handlers: {
          info: self,
          execute: executeShard(functions, pool, this.log.child({ component: 'rpc' }), config),
          allocate: (name, floor) => versions.allocate(name, floor)
        },
        remembered,
        onStrike: () => metrics.strike(),
        log: this.log
      })
      this.swarm = swarm
      this.mesh = mesh
      this.closers.push(
        () => swarm.close(),
        () => mesh.close()
      )
      await swarm.ready()
    }
    this.log.info({ url: this.url, region: config.region, stateDir: config.stateDir }, 'edge ready')
  }
}
