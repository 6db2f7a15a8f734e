import { FUNCTION_EXISTS, FUNCTION_NOT_FOUND, INVALID_PARAMETER } from '../errors.js'
import { CompiledCache } from '../wasm/cache.js'
import { PAGES_PER_MB, type ValidatedFunction } from '../wasm/policy.js'
import type { ModuleValidator } from '../wasm/validator.js'
import { REDUCERS, type FunctionRecord, type Reduce } from '../wire/messages.js'
import type { FunctionSpec, Registry } from './registry.js'

export const DEFAULT_TIMEOUT_MS = 3_000
export const MAX_TIMEOUT_MS = 900_000 // AWS's own ceiling: 15 minutes
export const DEFAULT_MEMORY_MB = 128
export const MAX_MEMORY_MB = 4_095 // wasm32 addresses 4 GiB, less one page
/** A header is parameters, sent with every shard: it must stay small. */
export const MAX_HEADER_ITEMS = 1_024
const NAME = /^[a-zA-Z0-9_-]{1,64}$/

/** A deploy request, from either API, parsed but not yet checked. */
export interface DeployRequest {
  name: string
  wasm: Uint8Array
  reduce?: Reduce | undefined
  timeoutMs?: number | undefined
  memoryMb?: number | undefined
  headerItems?: number | undefined
  concurrency?: number | undefined
  maxDatasetItems?: number | undefined
  runtime?: string | undefined
  role?: string | undefined
  handler?: string | undefined
  description?: string | undefined
  /** AWS CreateFunction refuses an existing name; the seed API replaces it with a new version. */
  replace: boolean
}

/** This edge's caps on what a function may have (see Config). */
export interface FunctionCaps {
  maxTimeoutMs: number
  maxMemoryMb: number
  maxDatasetItems: number
  maxConcurrency: number
}

const NO_CAPS: FunctionCaps = {
  maxTimeoutMs: MAX_TIMEOUT_MS,
  maxMemoryMb: MAX_MEMORY_MB,
  maxDatasetItems: Number.MAX_SAFE_INTEGER,
  maxConcurrency: Number.MAX_SAFE_INTEGER
}

/** A function ready to run: its record and its compiled module. */
export interface Resolved {
  record: FunctionRecord
  fn: ValidatedFunction
}

/**
 * Functions as the gateway sees them: deploy (checked, validated off-thread, stored), resolve
 * (record + compiled module, compiled once per sha256 and limits), list and delete.
 */
export class FunctionService {
  private readonly compiled = new CompiledCache()

  constructor(
    private readonly registry: Registry,
    private readonly validator: ModuleValidator,
    private readonly caps: FunctionCaps = NO_CAPS
  ) {}

  /** Checks, validates and stores a function; returns its new record. */
  async deploy(request: DeployRequest): Promise<FunctionRecord> {
    checkName(request.name)
    const { maxTimeoutMs, maxMemoryMb } = this.caps
    const timeoutMs = request.timeoutMs ?? Math.min(DEFAULT_TIMEOUT_MS, maxTimeoutMs)
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > maxTimeoutMs) {
      throw INVALID_PARAMETER('timeout', `must be an integer from 1 to ${maxTimeoutMs} ms here`)
    }
    const memoryMb = request.memoryMb ?? Math.min(DEFAULT_MEMORY_MB, maxMemoryMb)
    if (!Number.isInteger(memoryMb) || memoryMb < 1 || memoryMb > maxMemoryMb) {
      throw INVALID_PARAMETER('memory', `must be an integer from 1 to ${maxMemoryMb} MB here`)
    }
    const concurrency = checkLimit('concurrency', request.concurrency, this.caps.maxConcurrency)
    const maxDatasetItems = checkLimit(
      'maxDatasetItems',
      request.maxDatasetItems,
      this.caps.maxDatasetItems
    )
    const headerItems = request.headerItems ?? 0
    if (!Number.isInteger(headerItems) || headerItems < 0 || headerItems > MAX_HEADER_ITEMS) {
      throw INVALID_PARAMETER('headerItems', `must be an integer from 0 to ${MAX_HEADER_ITEMS}`)
    }
    if (request.reduce !== undefined && !REDUCERS.includes(request.reduce)) {
      throw INVALID_PARAMETER('reduce', `must be one of ${REDUCERS.join(', ')}`)
    }
    if (!request.replace && this.registry.get(request.name) !== null) {
      throw FUNCTION_EXISTS(request.name)
    }
    const fn = await this.compile(request.wasm, memoryMb)
    const record = await this.registry.put(
      {
        name: request.name,
        abi: fn.abi,
        // v2 functions take one payload: they never shard, so nothing to reduce.
        reduce: fn.abi === 'v2' ? 'none' : (request.reduce ?? 'sum'),
        timeoutMs,
        memoryMb,
        headerItems,
        concurrency,
        maxDatasetItems,
        runtime: request.runtime ?? 'provided.al2023',
        role: request.role ?? '',
        handler: request.handler ?? 'execute',
        description: request.description ?? ''
      },
      request.wasm,
      fn.sourceSha256
    )
    return record
  }

  /**
   * A live function's record and compiled module, within this edge's caps (a function deployed
   * on an edge with higher caps runs here with this edge's timeout and memory at most);
   * FUNCTION_NOT_FOUND when there is none.
   */
  async resolve(name: string): Promise<Resolved> {
    const stored = await this.get(name)
    const record = {
      ...stored,
      timeoutMs: Math.min(stored.timeoutMs, this.caps.maxTimeoutMs),
      memoryMb: Math.min(stored.memoryMb, this.caps.maxMemoryMb)
    }
    return { record, fn: await this.module(record.sha256, record.memoryMb) }
  }

  /**
   * Sets (or, with 0, removes) a function's reserved concurrency, AWS PutFunctionConcurrency:
   * a new version of its record, replicated like a deploy.
   */
  async setConcurrency(name: string, concurrency: number): Promise<FunctionRecord> {
    const record = await this.get(name)
    const value = checkLimit('ReservedConcurrentExecutions', concurrency, this.caps.maxConcurrency)
    const spec: FunctionSpec = {
      name: record.name,
      abi: record.abi,
      reduce: record.reduce,
      timeoutMs: record.timeoutMs,
      memoryMb: record.memoryMb,
      headerItems: record.headerItems,
      concurrency: value,
      maxDatasetItems: record.maxDatasetItems,
      runtime: record.runtime,
      role: record.role,
      handler: record.handler,
      description: record.description
    }
    return this.registry.put(spec, await this.registry.wasm(record.sha256))
  }

  /**
   * A module by sha256 under a memory cap, compiled once per (sha256, cap): what a shard sent by
   * a member names. Its bytes come from the registry (replicated, verified).
   */
  module(sha256: string, memoryMb: number): Promise<ValidatedFunction> {
    return this.compiled.get(key(sha256, memoryMb), async () =>
      this.validator.validate(await this.registry.wasm(sha256), {
        memoryPages: memoryMb * PAGES_PER_MB
      })
    )
  }

  /**
   * Compiles a function that arrived from a member before anyone invokes it, so its first call
   * here costs what it costs on the edge that deployed it. A failure is not cached: the invoke
   * that needs the module retries and reports it.
   */
  prefetch(record: FunctionRecord): void {
    if (!record.deleted) this.module(record.sha256, record.memoryMb).catch(() => undefined)
  }

  /** Compiles a module that is not in the registry (the seed's inline jobs), cached the same way. */
  compile(wasm: Uint8Array, memoryMb = DEFAULT_MEMORY_MB): Promise<ValidatedFunction> {
    return this.validator.validate(wasm, { memoryPages: memoryMb * PAGES_PER_MB }).then((fn) => {
      // Seed the cache under the uploaded bytes' hash, so the first invoke does not recompile.
      void this.compiled.get(key(fn.sourceSha256, memoryMb), async () => fn)
      return fn
    })
  }

  /** A live function's record; FUNCTION_NOT_FOUND when there is none. */
  async get(name: string): Promise<FunctionRecord> {
    checkName(name)
    const record = this.registry.get(name)
    if (record === null) throw FUNCTION_NOT_FOUND(name)
    return record
  }

  /** The module bytes of a record, verified. */
  wasm(record: FunctionRecord): Promise<Uint8Array> {
    return this.registry.wasm(record.sha256)
  }

  /** Every live function. */
  async list(): Promise<FunctionRecord[]> {
    return this.registry.list()
  }

  /** Deletes a function; FUNCTION_NOT_FOUND when there is none. */
  async delete(name: string): Promise<void> {
    checkName(name)
    if (!(await this.registry.delete(name))) throw FUNCTION_NOT_FOUND(name)
  }
}

/** An optional limit from 0 (none of its own) to the edge's cap. */
function checkLimit(name: string, value: number | undefined, cap: number): number {
  const limit = value ?? 0
  if (!Number.isInteger(limit) || limit < 0 || limit > cap) {
    throw INVALID_PARAMETER(name, `must be an integer from 0 (no limit of its own) to ${cap}`)
  }
  return limit
}

function key(sha256: string, memoryMb: number): string {
  return `${sha256}:${memoryMb}`
}

function checkName(name: string): void {
  if (!NAME.test(name)) {
    throw INVALID_PARAMETER(
      'function name',
      `"${name.slice(0, 80)}" must be 1-64 letters, digits, - or _`
    )
  }
}
