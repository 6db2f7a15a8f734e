import { FUNCTION_EXISTS, FUNCTION_NOT_FOUND, INVALID_PARAMETER } from '../errors.js'
import { shapeOf, type Executable } from '../runtimes/contract.js'
import { ENGINE_MIN_PAGES } from '../runtimes/js/engine.js'
import {
  DEFAULT_NODE_RUNTIME,
  jsFunction,
  NODE_RUNTIMES,
  parseHandler,
  type JsFunction
} from '../runtimes/js/function.js'
import { WASI_HANDLER, WASI_RUNTIME, wasiFunction } from '../runtimes/wasi/function.js'
import { CompiledCache } from '../wasm/cache.js'
import { PAGES_PER_MB, type ValidatedFunction } from '../wasm/policy.js'
import type { ModuleValidator } from '../wasm/validator.js'
import {
  codeBundle,
  decode,
  REDUCERS,
  type FunctionRecord,
  type Reduce,
  type ShardConfig
} from '../wire/messages.js'
import { checkEnvironment } from './environment.js'
import type { FunctionSpec, Registry } from './registry.js'

export const DEFAULT_TIMEOUT_MS = 3_000
export const MAX_TIMEOUT_MS = 900_000 // AWS's own ceiling: 15 minutes
export const DEFAULT_MEMORY_MB = 128
export const MAX_MEMORY_MB = 4_095 // wasm32 addresses 4 GiB, less one page
/** A header is parameters, sent with every shard: it must stay small. */
export const MAX_HEADER_ITEMS = 1_024
/** The smallest memory a JS function can have: QuickJS's own floor. */
export const MIN_JS_MEMORY_MB = ENGINE_MIN_PAGES / PAGES_PER_MB
const NAME = /^[a-zA-Z0-9_-]{1,64}$/

/** A function's code: a Wasm module, or the files of a JS package. */
export type Code = { wasm: Uint8Array } | { files: Map<string, string> }

/** A function's settings, from either API, parsed but not yet checked. */
export interface Settings {
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
  environment?: Record<string, string> | undefined
}

/** Settings checked, defaults filled in, but the reducer's and the handler's: those depend on
 * what the code turns out to be (JS, one of our ABIs, a WASI command). */
type Settled = Omit<Required<Settings>, 'reduce' | 'handler'> & {
  reduce: Reduce | undefined
  handler: string | undefined
}

/** A deploy request, from either API, parsed but not yet checked. */
export interface DeployRequest extends Settings {
  name: string
  code: Code
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

/** A function ready to run: its record and its executable. */
export interface Resolved {
  record: FunctionRecord
  fn: Executable
}

/**
 * Functions as the gateway sees them: deploy and update (checked, validated off-thread,
 * stored), resolve (record + executable, prepared once per code and configuration), list and
 * delete. Wasm modules and JS packages alike; only `prepare` and `executable` tell them apart.
 */
export class FunctionService {
  private readonly ready = new CompiledCache<Executable>()

  constructor(
    private readonly registry: Registry,
    private readonly validator: ModuleValidator,
    private readonly caps: FunctionCaps = NO_CAPS,
    private readonly region = 'us-east-1'
  ) {}

  /** Checks, validates and stores a function; returns its new record. */
  async deploy(request: DeployRequest): Promise<FunctionRecord> {
    checkName(request.name)
    const settings = this.settle(request, request.code)
    if (!request.replace && this.registry.get(request.name) !== null) {
      throw FUNCTION_EXISTS(request.name)
    }
    return this.store(request.name, request.code, settings)
  }

  /** UpdateFunctionCode: new code, the same configuration. */
  async updateCode(name: string, code: Code): Promise<FunctionRecord> {
    const record = await this.get(name)
    if ('files' in code !== (record.kind === 'nodejs')) {
      throw INVALID_PARAMETER(
        'ZipFile',
        `must hold a ${record.kind === 'nodejs' ? 'JS package' : 'Wasm module'}, as the function was created with`
      )
    }
    return this.store(name, code, this.settle(settingsOf(record), code))
  }

  /** UpdateFunctionConfiguration: the same code, settings changed where given. */
  async updateConfiguration(name: string, patch: Settings): Promise<FunctionRecord> {
    const record = await this.get(name)
    const given = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined))
    const code = await this.codeOf(record)
    return this.store(name, code, this.settle({ ...settingsOf(record), ...given }, code))
  }

  /**
   * Sets (or, with 0, removes) a function's reserved concurrency, AWS PutFunctionConcurrency:
   * a new version of its record, replicated like a deploy.
   */
  async setConcurrency(name: string, concurrency: number): Promise<FunctionRecord> {
    const record = await this.get(name)
    const value = checkLimit('ReservedConcurrentExecutions', concurrency, this.caps.maxConcurrency)
    const { sha256, size, version, created, modified, deleted, blob, ...spec } = record
    void [size, version, created, modified, deleted, blob]
    return this.registry.put({ ...spec, concurrency: value }, await this.registry.wasm(sha256))
  }

  /**
   * A live function's record and executable, within this edge's caps (a function deployed
   * on an edge with higher caps runs here with this edge's timeout and memory at most);
   * FUNCTION_NOT_FOUND when there is none.
   */
  async resolve(name: string): Promise<Resolved> {
    return this.prepare(await this.get(name))
  }

  /**
   * A record's executable, within this edge's caps: $LATEST's, or a published version's (whose
   * runtime is told its number).
   */
  async prepare(stored: FunctionRecord, version = '$LATEST'): Promise<Resolved> {
    const record = {
      ...stored,
      timeoutMs: Math.min(stored.timeoutMs, this.caps.maxTimeoutMs),
      memoryMb: Math.min(stored.memoryMb, this.caps.maxMemoryMb)
    }
    const config = configOf(record, '', version)
    return { record, fn: await this.executable(record.sha256, record.memoryMb, config) }
  }

  /**
   * A stored function's executable by code sha256 and memory cap (and, for JS, its
   * configuration): what a shard sent by a member names. Its bytes come from the registry
   * (replicated, verified); the work is done once per (code, configuration).
   */
  executable(sha256: string, memoryMb: number, config: ShardConfig | null): Promise<Executable> {
    if (config === null) {
      return this.module(sha256, memoryMb).then((fn) => (shapeOf(fn), fn))
    }
    // The configuration itself is the key's tail (4 KB at most): no hash on the hot path.
    const { kind, functionName, runtime, handler, environment, version } = config
    const key = JSON.stringify([kind, functionName, runtime, handler, environment, version])
    return this.ready.get(`${sha256}:${memoryMb}:${key}`, async () => {
      const region = this.region
      if (kind === 'wasi') {
        const module = await this.module(sha256, memoryMb)
        return wasiFunction(module, { functionName, environment, memoryMb, region, version })
      }
      const files = decode(codeBundle, await this.registry.wasm(sha256))
      return jsFunction({ ...config, sha256, files, memoryMb, region }) satisfies JsFunction
    })
  }

  /** A Wasm module by sha256 under a memory cap, compiled once per (sha256, cap). */
  module(sha256: string, memoryMb: number): Promise<ValidatedFunction> {
    return this.ready.get(`${sha256}:${memoryMb}`, async () =>
      this.validator.validate(await this.registry.wasm(sha256), {
        memoryPages: memoryMb * PAGES_PER_MB
      })
    ) as Promise<ValidatedFunction>
  }

  /**
   * Prepares a function that arrived from a member before anyone invokes it, so its first call
   * here costs what it costs on the edge that deployed it. A failure is not cached: the invoke
   * that needs it retries and reports it.
   */
  prefetch(record: FunctionRecord): void {
    if (record.deleted) return
    this.executable(record.sha256, record.memoryMb, configOf(record)).catch(() => undefined)
  }

  /** Compiles a module that is not in the registry (the seed's inline jobs), cached the same way. */
  compile(wasm: Uint8Array, memoryMb = DEFAULT_MEMORY_MB): Promise<ValidatedFunction> {
    return this.validator.validate(wasm, { memoryPages: memoryMb * PAGES_PER_MB }).then((fn) => {
      // Seed the cache under the uploaded bytes' hash, so the first invoke does not recompile.
      void this.ready.get(`${fn.sourceSha256}:${memoryMb}`, async () => fn)
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

  /**
   * Live functions a name may mean when case is lost (a host name): the exact name if it is
   * one, else every name equal to it ignoring case.
   */
  named(name: string): string[] {
    if (this.registry.get(name) !== null) return [name]
    const lower = name.toLowerCase()
    return this.registry
      .list()
      .map((record) => record.name)
      .filter((n) => n.toLowerCase() === lower)
  }

  /** The stored code of a record, verified: module bytes, or the JS files. */
  async codeOf(record: FunctionRecord): Promise<Code> {
    const bytes = await this.registry.wasm(record.sha256)
    return record.kind === 'nodejs' ? { files: decode(codeBundle, bytes) } : { wasm: bytes }
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

  /** Settings checked against this edge's caps, defaults filled in (but those of `Settled`). */
  private settle(settings: Settings, code: Code): Settled {
    const { maxTimeoutMs, maxMemoryMb } = this.caps
    const js = 'files' in code
    const timeoutMs = settings.timeoutMs ?? Math.min(DEFAULT_TIMEOUT_MS, maxTimeoutMs)
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > maxTimeoutMs) {
      throw INVALID_PARAMETER('timeout', `must be an integer from 1 to ${maxTimeoutMs} ms here`)
    }
    const memoryMb = settings.memoryMb ?? Math.min(DEFAULT_MEMORY_MB, maxMemoryMb)
    const minMemoryMb = js ? MIN_JS_MEMORY_MB : 1
    if (!Number.isInteger(memoryMb) || memoryMb < minMemoryMb || memoryMb > maxMemoryMb) {
      throw INVALID_PARAMETER(
        'memory',
        `must be an integer from ${minMemoryMb} to ${maxMemoryMb} MB here${js ? ' (a JS engine needs 16 MB)' : ''}`
      )
    }
    const headerItems = settings.headerItems ?? 0
    if (!Number.isInteger(headerItems) || headerItems < 0 || headerItems > MAX_HEADER_ITEMS) {
      throw INVALID_PARAMETER('headerItems', `must be an integer from 0 to ${MAX_HEADER_ITEMS}`)
    }
    if (settings.reduce !== undefined && !REDUCERS.includes(settings.reduce)) {
      throw INVALID_PARAMETER('reduce', `must be one of ${REDUCERS.join(', ')}`)
    }
    const runtime = settings.runtime ?? (js ? DEFAULT_NODE_RUNTIME : 'provided.al2023')
    if (js && !(NODE_RUNTIMES as readonly string[]).includes(runtime)) {
      throw INVALID_PARAMETER('Runtime', `must be one of ${NODE_RUNTIMES.join(', ')} for JS code`)
    }
    const handler = settings.handler ?? (js ? 'index.handler' : undefined)
    if (handler !== undefined && js) parseHandler(handler)
    return {
      // Defaults that depend on what the code turns out to be are the store's (a WASI command,
      // say, is only known once validated).
      reduce: settings.reduce,
      timeoutMs,
      memoryMb,
      headerItems,
      concurrency: checkLimit('concurrency', settings.concurrency, this.caps.maxConcurrency),
      maxDatasetItems: checkLimit(
        'maxDatasetItems',
        settings.maxDatasetItems,
        this.caps.maxDatasetItems
      ),
      runtime,
      role: settings.role ?? '',
      handler,
      description: settings.description ?? '',
      environment: checkEnvironment(settings.environment ?? {})
    }
  }

  /** Validates the code under its settings (off-thread) and stores a new version. */
  private async store(name: string, code: Code, s: Settled): Promise<FunctionRecord> {
    const common = {
      name,
      timeoutMs: s.timeoutMs,
      memoryMb: s.memoryMb,
      headerItems: s.headerItems,
      concurrency: s.concurrency,
      maxDatasetItems: s.maxDatasetItems,
      runtime: s.runtime,
      role: s.role,
      description: s.description,
      environment: s.environment
    }
    if ('files' in code) {
      const source = {
        functionName: name,
        sha256: '',
        handler: s.handler as string,
        files: code.files,
        environment: s.environment,
        memoryMb: s.memoryMb,
        region: this.region,
        runtime: s.runtime
      }
      const stored = await this.validator.checkJs(source, s.timeoutMs)
      const reduce = s.reduce ?? 'none'
      const spec: FunctionSpec = {
        ...common,
        reduce,
        handler: s.handler as string,
        kind: 'nodejs',
        abi: 'json'
      }
      return this.registry.put(spec, stored.bytes, stored.sha256)
    }
    const fn = await this.compile(code.wasm, s.memoryMb)
    if (s.runtime === 'wasi' && fn.abi !== 'wasi') {
      throw INVALID_PARAMETER(
        'runtime',
        'wasi needs a WASI command (wasi_snapshot_preview1 imports, _start)'
      )
    }
    if (fn.abi === 'wasi') {
      // A WASI command: stdin to stdout, sharded like JS when it has a reducer.
      const handler = s.handler ?? WASI_HANDLER
      const runtime = s.runtime === 'wasi' ? WASI_RUNTIME : s.runtime
      const spec: FunctionSpec = {
        ...common,
        runtime,
        reduce: s.reduce ?? 'none',
        handler,
        kind: 'wasi',
        abi: 'json'
      }
      return this.registry.put(spec, code.wasm, fn.sourceSha256)
    }
    // v2 functions take one payload: they never shard, so nothing to reduce.
    const reduce = fn.abi === 'v2' ? 'none' : (s.reduce ?? 'sum')
    const spec: FunctionSpec = {
      ...common,
      reduce,
      handler: s.handler ?? 'execute',
      kind: 'wasm',
      abi: fn.abi
    }
    return this.registry.put(spec, code.wasm, fn.sourceSha256)
  }
}

/** The settings a record was stored with (what an update starts from). */
function settingsOf(record: FunctionRecord): Settings {
  const { reduce, timeoutMs, memoryMb, headerItems, concurrency, maxDatasetItems } = record
  const { runtime, role, handler, description, environment } = record
  return {
    ...{ reduce, timeoutMs, memoryMb, headerItems, concurrency, maxDatasetItems },
    ...{ runtime, role, handler, description, environment }
  }
}

/** What a member needs of a JS record besides its code (null for a Wasm module). */
export function configOf(
  record: FunctionRecord,
  invokedArn = '',
  version = '$LATEST'
): ShardConfig | null {
  if (record.kind === 'wasm') return null
  const { kind, name, runtime, handler, environment } = record
  return { kind, functionName: name, runtime, handler, environment, invokedArn, version }
}

/** An optional limit from 0 (none of its own) to the edge's cap. */
function checkLimit(name: string, value: number | undefined, cap: number): number {
  const limit = value ?? 0
  if (!Number.isInteger(limit) || limit < 0 || limit > cap) {
    throw INVALID_PARAMETER(name, `must be an integer from 0 (no limit of its own) to ${cap}`)
  }
  return limit
}

function checkName(name: string): void {
  if (!NAME.test(name)) {
    throw INVALID_PARAMETER(
      'function name',
      `"${name.slice(0, 80)}" must be 1-64 letters, digits, - or _`
    )
  }
}
