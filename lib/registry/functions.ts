import { FUNCTION_EXISTS, FUNCTION_NOT_FOUND, INVALID_PARAMETER } from '../errors.js'
import { shapeOf, type Executable } from '../runtimes/contract.js'
import { jsFunction, type JsFunction } from '../runtimes/js/function.js'
import { pythonFunction } from '../runtimes/python/function.js'
import { WASI_HANDLER, WASI_RUNTIME, wasiFunction } from '../runtimes/wasi/function.js'
import { CompiledCache } from '../wasm/cache.js'
import { PAGES_PER_MB, type ValidatedFunction } from '../wasm/policy.js'
import type { ModuleValidator } from '../wasm/validator.js'
import { decode } from '../wire/codec.js'
import { codeBundle, type FunctionRecord } from '../wire/function-record.js'
import type { ShardConfig } from '../wire/rpc.js'
import type { FunctionSpec, Registry } from './registry.js'
import {
  checkLimit,
  checkName,
  DEFAULT_MEMORY_MB,
  NO_CAPS,
  settingsOf,
  settle,
  type Code,
  type FunctionCaps,
  type Settings,
  type Settled
} from './settings.js'

/** A deploy request, from either API, parsed but not yet checked. */
export interface DeployRequest extends Settings {
  name: string
  code: Code
  /** AWS CreateFunction refuses an existing name; the seed API replaces it with a new version. */
  replace: boolean
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
  /** $LATEST prepared, per stored record: a change to a function is a new record. */
  private readonly latest = new CompiledCache<Resolved, FunctionRecord>()

  constructor(
    private readonly registry: Registry,
    private readonly validator: ModuleValidator,
    private readonly caps: FunctionCaps = NO_CAPS,
    private readonly region = 'us-east-1'
  ) {}

  /** Checks, validates and stores a function; returns its new record. */
  async deploy(request: DeployRequest): Promise<FunctionRecord> {
    checkName(request.name)
    const settings = settle(request, request.code, this.caps)
    if (!request.replace && this.registry.get(request.name) !== null) {
      throw FUNCTION_EXISTS(request.name)
    }
    return this.store(request.name, request.code, settings)
  }

  /** UpdateFunctionCode: new code, the same configuration. */
  async updateCode(name: string, code: Code): Promise<FunctionRecord> {
    const record = await this.get(name)
    const kind = 'files' in code ? code.language : 'wasm'
    if (kind !== (record.kind === 'wasi' ? 'wasm' : record.kind)) {
      const what = { nodejs: 'JS package', python: 'Python package', wasm: 'Wasm module' }
      throw INVALID_PARAMETER(
        'ZipFile',
        `must hold a ${what[record.kind === 'wasi' ? 'wasm' : record.kind]}, as the function was created with`
      )
    }
    return this.store(name, code, settle(settingsOf(record), code, this.caps))
  }

  /** UpdateFunctionConfiguration: the same code, settings changed where given. */
  async updateConfiguration(name: string, patch: Settings): Promise<FunctionRecord> {
    const record = await this.get(name)
    const given = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined))
    const code = await this.codeOf(record)
    return this.store(name, code, settle({ ...settingsOf(record), ...given }, code, this.caps))
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
  prepare(stored: FunctionRecord, version = '$LATEST'): Promise<Resolved> {
    if (version !== '$LATEST') return this.prepareNow(stored, version)
    return this.latest.get(stored, () => this.prepareNow(stored, version)) // the hot path
  }

  private async prepareNow(stored: FunctionRecord, version: string): Promise<Resolved> {
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
      if (kind === 'python') return pythonFunction({ ...config, sha256, files, memoryMb, region })
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
    if (record.kind === 'nodejs' || record.kind === 'python') {
      return { files: decode(codeBundle, bytes), language: record.kind }
    }
    return { wasm: bytes }
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
    if ('files' in code && code.language === 'python') {
      // Stored as sent: AWS reports a Python function's import errors when it is invoked.
      const stored = await this.validator.bundle(code.files)
      const spec: FunctionSpec = {
        ...common,
        reduce: s.reduce ?? 'none',
        handler: s.handler as string,
        kind: 'python',
        abi: 'json'
      }
      return this.registry.put(spec, stored.bytes, stored.sha256)
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
