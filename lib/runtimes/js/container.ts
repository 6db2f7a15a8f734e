import type { QuickJSContext, QuickJSHandle, QuickJSRuntime } from 'quickjs-emscripten-core'
import { FUNCTION_MEMORY_LIMIT, FUNCTION_TIMEOUT } from '../../errors.js'
import { MAX_OUTPUT_BYTES } from '../../wasm/runner.js'
import type { CallContext, CallOutcome } from '../contract.js'
import { hostBridge, type HostBridge } from './bridge.js'
import { ENGINE_MIN_PAGES, type Engine } from './engine.js'
import { entryOf, esmFiles, TASK_ROOT, type JsSpec } from './function.js'
import { LogBuffer } from './logs.js'
import { installPolyfills } from './polyfills.js'
import { installRuntime, type PreludeResult } from './prelude.js'

/**
 * QuickJS's own limit on the JS stack (its C stack lives in the container's memory): deep
 * recursion becomes a catchable "stack overflow" long before the worker's native stack is at risk.
 */
const MAX_STACK_BYTES = 256 * 1024
/** How long a handler's module may take to load (AWS gives init 10 s). */
export const INIT_TIMEOUT_MS = 10_000
/** Lines of a JS trace kept in an error. */
const MAX_TRACE_LINES = 30

/** The web globals the polyfills define (see polyfills.ts). */
const POLYFILLED = [
  'DOMException',
  'TextEncoder',
  'TextDecoder',
  'atob',
  'btoa',
  'URL',
  'URLSearchParams',
  'crypto',
  'structuredClone'
]

/** The polyfills' source: parsed only by a container whose function touches one of them. */
const POLYFILLS = `(${installPolyfills.toString()})`

/**
 * The prelude, evaluated once per container. Host calls cross as JSON text (QuickJS's C
 * strings would stop at a NUL and mangle lone surrogates), ArrayBuffers as themselves. The web
 * globals are accessors until first touched: parsing their 27 KB costs ~4 ms, most of a cold
 * start, and most functions never use them.
 */
const PRELUDE = `(raw, compile, polyfills, options) => {
  const host = { compile }
  for (const name of Object.keys(raw)) {
    const call = raw[name]
    host[name] = (...args) => {
      const buffers = []
      const json = JSON.stringify(args, (k, v) =>
        v instanceof ArrayBuffer ? { __buffer: buffers.push(v) - 1 } : v)
      const out = call(json, ...buffers)
      return typeof out === 'string' ? JSON.parse(out).v : out
    }
  }
  const names = ${JSON.stringify(POLYFILLED)}
  let loaded = false
  const load = () => {
    if (loaded) return
    loaded = true
    for (const name of names) delete globalThis[name]
    polyfills()(host)
  }
  for (const name of names) {
    Object.defineProperty(globalThis, name, {
      configurable: true,
      get() {
        load()
        return globalThis[name]
      },
      set(value) {
        load()
        Object.defineProperty(globalThis, name, { value, writable: true, configurable: true })
      }
    })
  }
  return (${installRuntime.toString()})(host, options)
}`

/** How the resolver names a module that is not there (see resolveModule). */
const MISSING_MODULE = 'swarm-lambda:missing:'

/** Node's CommonJS wrapper: on the file's first line, so its line numbers are the file's. */
export const CJS_WRAPPER = '(function (exports, require, module, __filename, __dirname) {'

/** Why a container must not be used again. */
type Broken = 'timeout' | 'memory' | 'host'

/** A call that ended the container: the outcome, and the container is dropped. */
export class ContainerBroken extends Error {
  constructor(
    readonly outcome: CallOutcome,
    readonly why: Broken
  ) {
    super(why)
  }
}

/**
 * One warm "container" of a JS function: a QuickJS instance whose whole heap is a memory of its
 * own (maximum: the function's cap), one runtime and one context, the prelude installed and the
 * handler loaded. It is reused across calls of that function on one worker (module scope state
 * persists, as in a Lambda container) and never serves another function. A timeout, the memory
 * cap or a host-side failure breaks it: the caller drops it (disposing after trouble can abort).
 */
export class Container {
  readonly memory: WebAssembly.Memory
  private readonly runtime: QuickJSRuntime
  private readonly ctx: QuickJSContext
  private readonly hooks: QuickJSHandle
  private handler: QuickJSHandle | null = null
  private deadline = Infinity
  /** The running call's timeout (for its error message). */
  private timeoutMs = 0
  private logs: LogBuffer | null = null
  private readonly sleeper = new Int32Array(new SharedArrayBuffer(4))

  private constructor(
    readonly spec: JsSpec,
    memory: WebAssembly.Memory,
    runtime: QuickJSRuntime,
    ctx: QuickJSContext
  ) {
    this.memory = memory
    this.runtime = runtime
    this.ctx = ctx
    runtime.setMaxStackSize(MAX_STACK_BYTES)
    runtime.setInterruptHandler(() => Date.now() > this.deadline)
    this.hooks = this.installPrelude()
    runtime.setModuleLoader(
      (name) => this.loadModule(name),
      (base, requested) => this.resolveModule(base, requested)
    )
  }

  /** A cold container: a new engine instance with the prelude installed (handler not loaded). */
  static async create(engine: Engine, spec: JsSpec): Promise<Container> {
    const memory = new WebAssembly.Memory({
      initial: ENGINE_MIN_PAGES,
      maximum: Math.max(ENGINE_MIN_PAGES, spec.memoryMb * 16)
    })
    const vm = await engine.instance(memory)
    const runtime = vm.newRuntime()
    return new Container(spec, memory, runtime, runtime.newContext())
  }

  /** Bytes this container holds (its memory as grown so far): what the worker's budget counts. */
  get bytes(): number {
    return this.memory.buffer.byteLength
  }

  /**
   * Runs one invocation: loads the handler first if this is the container's first call, then
   * calls it with the event and drives its promise jobs and timers until it settles or the
   * deadline passes. Throws ContainerBroken when the container must be dropped.
   */
  invoke(
    event: Uint8Array,
    context: CallContext,
    timeoutMs: number,
    started = Date.now()
  ): CallOutcome {
    const logs = new LogBuffer(context.requestId)
    this.logs = logs
    this.timeoutMs = timeoutMs
    try {
      if (this.handler === null) {
        this.deadline = started + Math.min(INIT_TIMEOUT_MS, timeoutMs)
        const loaded = this.loadHandler()
        if (!loaded.ok) return this.failure(loaded, logs)
      }
      this.deadline = started + timeoutMs
      const result = this.call(event, context, started + timeoutMs, logs)
      return result.ok ? this.success(result.body, logs) : this.failure(result, logs)
    } catch (err) {
      if (err instanceof ContainerBroken) throw err
      throw new ContainerBroken(this.hostFailure(err, logs), 'host')
    } finally {
      this.deadline = Infinity
      this.logs = null
    }
  }

  /**
   * Loads the handler alone, as a deploy's check does: AWS's init error shape when it fails;
   * throws ContainerBroken past `timeoutMs` or at the memory cap.
   */
  init(timeoutMs: number): PreludeResult {
    this.timeoutMs = timeoutMs
    this.deadline = Date.now() + timeoutMs
    try {
      return this.loadHandler()
    } finally {
      this.deadline = Infinity
    }
  }

  /** Loads the handler (module init); a failure is AWS's init error shape, not a throw. */
  private loadHandler(): PreludeResult {
    const entry = entryOf(this.spec)
    if (entry.file === null) {
      return initError('Runtime.ImportModuleError', `Error: Cannot find module '${entry.module}'`)
    }
    const exports = entry.esm ? this.importModule(entry.file) : this.requireFile(entry.file)
    if (!exports.ok) return exports.error
    const handler = this.hook('pick', [exports.value], [this.ctx.newString(entry.exportPath)])
    exports.value.dispose()
    if (this.ctx.typeof(handler) !== 'function') {
      handler.dispose()
      return initError(
        'Runtime.HandlerNotFound',
        `${entry.module}.${entry.exportPath} is undefined or not exported`
      )
    }
    this.handler = handler
    return { ok: true, body: '' }
  }

  private call(
    event: Uint8Array,
    context: CallContext,
    deadline: number,
    logs: LogBuffer
  ): PreludeResult {
    const ctx = this.ctx
    const fields = toVm(ctx, {
      functionName: this.spec.functionName,
      functionVersion: context.functionVersion,
      invokedFunctionArn: context.invokedFunctionArn,
      memoryLimitInMB: String(this.spec.memoryMb),
      awsRequestId: context.requestId,
      logGroupName: `/aws/lambda/${this.spec.functionName}`,
      logStreamName: logs.stream,
      deadline
    })
    const text = ctx.newString(Buffer.from(event).toString('utf8'))
    const promise = this.hook('invoke', [this.handler as QuickJSHandle], [text, fields])
    try {
      return this.settle(promise, deadline)
    } finally {
      promise.dispose()
    }
  }

  /** Drives jobs and timers until `promise` settles (it resolves to a PreludeResult). */
  private settle(promise: QuickJSHandle, deadline: number): PreludeResult {
    const ctx = this.ctx
    for (;;) {
      const jobs = this.runtime.executePendingJobs()
      if ('error' in jobs && jobs.error !== undefined) {
        const thrown = this.thrown(jobs.error)
        if (thrown !== null) return thrown
      }
      const state = ctx.getPromiseState(promise)
      if (state.type === 'fulfilled') {
        const result = this.result(state.value)
        state.value.dispose()
        return result
      }
      // The prelude never rejects: an uncatchable interrupt or out-of-memory got through.
      if (state.type === 'rejected') {
        const thrown = this.thrown(state.error)
        if (thrown !== null) return thrown
      }
      // Past the deadline every job is interrupted, the prelude's own too: nothing will settle.
      if (Date.now() > deadline) throw this.timeout()
      const uncaught = this.hookValue('takeUncaught') as PreludeResult | null
      if (uncaught !== null) return uncaught
      const next = this.hookValue('nextTimerAt') as number
      if (next === -1) {
        return initError(
          'Runtime.NoResult',
          "Error: the handler's promise never settled and nothing was left to run (no timer, no pending job)"
        )
      }
      const wait = Math.min(next, deadline) - Date.now()
      if (wait > 0) Atomics.wait(this.sleeper, 0, 0, wait)
      if (Date.now() > deadline) throw this.timeout()
      this.hookValue('runTimers')
    }
  }

  /**
   * The prelude's result, read field by field: the body may be megabytes, and dumping the whole
   * record would JSON-encode it again inside the capped heap.
   */
  private result(handle: QuickJSHandle): PreludeResult {
    const ok = this.ctx.getProp(handle, 'ok')
    const success = this.ctx.dump(ok) === true
    ok.dispose()
    if (!success) return fromVm(this.ctx, handle) as PreludeResult
    const body = this.ctx.getProp(handle, 'body')
    // JSON.stringify escapes NULs and lone surrogates, so a C string carries the body whole.
    const text = this.ctx.getString(body)
    body.dispose()
    return { ok: true, body: text }
  }

  /** An exception the engine raised outside the prelude's own catch: timeout or memory. */
  private thrown(error: QuickJSHandle): PreludeResult | null {
    const value = fromVm(this.ctx, error) as { name?: string; message?: string } | null
    error.dispose()
    if (Date.now() > this.deadline) throw this.timeout()
    if (value === null || value?.message === 'out of memory') throw this.outOfMemory()
    return initError(value?.name ?? 'Error', `${value?.name}: ${value?.message}`)
  }

  private success(body: string, logs: LogBuffer): CallOutcome {
    const bytes = Buffer.from(body, 'utf8')
    if (bytes.length > MAX_OUTPUT_BYTES) {
      return {
        ok: false,
        code: 'FUNCTION_BAD_OUTPUT',
        message: `The function's output is invalid: the response is ${bytes.length} bytes, over the ${MAX_OUTPUT_BYTES}-byte limit`,
        ...logs.outcome()
      }
    }
    const output = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)
    return { ok: true, result: bytes.length, output: output as ArrayBuffer, ...logs.outcome() }
  }

  private failure(result: PreludeResult, logs: LogBuffer): CallOutcome {
    if (result.ok) throw new Error('not a failure')
    if (result.errorMessage === 'out of memory' || result.errorType === 'null') {
      throw this.outOfMemory()
    }
    if (result.errorMessage === 'interrupted' && Date.now() > this.deadline) {
      throw this.timeout()
    }
    if (result.errorType === 'InvalidRequestContent') {
      return {
        ok: false,
        code: 'INVALID_REQUEST',
        message: `Could not parse request body into json: ${result.errorMessage}`
      }
    }
    logs.error(result)
    return {
      ok: false,
      code: 'FUNCTION_UNHANDLED',
      message: result.errorMessage,
      fields: {
        errorType: result.errorType,
        trace: JSON.stringify(result.trace.slice(0, MAX_TRACE_LINES))
      },
      ...logs.outcome()
    }
  }

  private timeout(): ContainerBroken {
    const error = FUNCTION_TIMEOUT(this.timeoutMs)
    return new ContainerBroken(
      { ok: false, code: error.code, message: error.message, ...this.logs?.outcome() },
      'timeout'
    )
  }

  private outOfMemory(): ContainerBroken {
    const error = FUNCTION_MEMORY_LIMIT(this.spec.memoryMb * 16, 'the JS heap is full')
    return new ContainerBroken(
      { ok: false, code: error.code, message: error.message, ...this.logs?.outcome() },
      'memory'
    )
  }

  private hostFailure(err: unknown, logs: LogBuffer): CallOutcome {
    const atCap = this.memory.buffer.byteLength >= this.spec.memoryMb * 16 * 65_536
    if (atCap) return this.outOfMemory().outcome
    return {
      ok: false,
      code: 'FUNCTION_TRAP',
      message: `The function trapped: the JS engine failed (${err instanceof Error ? err.message : String(err)})`,
      ...logs.outcome()
    }
  }

  // --- modules -------------------------------------------------------------------------------

  private requireFile(
    path: string
  ): { ok: true; value: QuickJSHandle } | { ok: false; error: PreludeResult } {
    const require = this.ctx.getProp(this.hooks, 'require')
    const result = this.ctx.callFunction(require, this.ctx.undefined, this.ctx.newString(path))
    require.dispose()
    if ('error' in result && result.error !== undefined) {
      return { ok: false, error: this.initFailure(result.error) }
    }
    return { ok: true, value: result.value }
  }

  private importModule(
    path: string
  ): { ok: true; value: QuickJSHandle } | { ok: false; error: PreludeResult } {
    const source = this.spec.files.get(path) ?? ''
    const result = this.ctx.evalCode(source, TASK_ROOT + path, { type: 'module' })
    if (result.error !== undefined) return { ok: false, error: this.initFailure(result.error) }
    // A module evaluates to a promise of its namespace (top-level await may be pending).
    const settled = this.settleModule(result.value)
    result.value.dispose()
    return settled
  }

  private settleModule(
    promise: QuickJSHandle
  ): { ok: true; value: QuickJSHandle } | { ok: false; error: PreludeResult } {
    for (;;) {
      const jobs = this.runtime.executePendingJobs()
      if ('error' in jobs && jobs.error !== undefined) {
        return { ok: false, error: this.initFailure(jobs.error) }
      }
      const state = this.ctx.getPromiseState(promise)
      if (state.type === 'fulfilled') {
        // Not a promise at all: the namespace itself (older builds).
        return { ok: true, value: state.notAPromise === true ? promise.dup() : state.value }
      }
      if (state.type === 'rejected') return { ok: false, error: this.initFailure(state.error) }
      const next = this.hookValue('nextTimerAt') as number
      if (next === -1) {
        return {
          ok: false,
          error: initError('Runtime.NoResult', 'Error: top-level await never settled')
        }
      }
      const wait = Math.min(next, this.deadline) - Date.now()
      if (wait > 0) Atomics.wait(this.sleeper, 0, 0, wait)
      if (Date.now() > this.deadline) throw this.timeout()
      this.hookValue('runTimers')
    }
  }

  /** An error thrown while loading the handler, in AWS's init-error names. */
  private initFailure(error: QuickJSHandle): PreludeResult {
    const described = this.hook('describe', [], [error])
    const result = fromVm(this.ctx, described) as PreludeResult & { ok: false }
    described.dispose()
    if (result.errorMessage === 'out of memory') throw this.outOfMemory()
    if (result.errorMessage === 'interrupted' && Date.now() > this.deadline) {
      throw this.timeout()
    }
    const missing = result.errorMessage.indexOf(MISSING_MODULE)
    if (missing !== -1) {
      // A static import of a file that is not there fails to link, naming our marker.
      const marker = result.errorMessage.slice(missing + MISSING_MODULE.length).replace(/'$/, '')
      const [requested, base] = JSON.parse(marker) as [string, string]
      const message = `Error: Cannot find module '${requested}' imported from ${base}`
      return {
        ok: false,
        errorType: 'Runtime.ImportModuleError',
        errorMessage: message,
        trace: [message]
      }
    }
    const type =
      result.errorType === 'SyntaxError'
        ? 'Runtime.UserCodeSyntaxError'
        : /^Cannot find module|^Could not find module|^could not load module/.test(
              result.errorMessage
            )
          ? 'Runtime.ImportModuleError'
          : result.errorType
    return {
      ok: false,
      errorType: type,
      errorMessage: type === result.errorType ? result.errorMessage : (result.trace[0] ?? ''),
      trace: result.trace
    }
  }

  private resolveModule(base: string, requested: string): string | { error: Error } {
    const from = base.startsWith(TASK_ROOT) ? base.slice(TASK_ROOT.length) : null
    const args = [
      this.ctx.newString(requested),
      from === null ? this.ctx.null : this.ctx.newString(from)
    ]
    try {
      const path = this.hook('resolve', [], args)
      const resolved = this.ctx.getString(path)
      path.dispose()
      return TASK_ROOT + resolved
    } catch {
      // QuickJS drops a resolver's error message: the name carries it to the loader instead.
      return MISSING_MODULE + JSON.stringify([requested, base])
    }
  }

  private loadModule(name: string): string | { error: Error } {
    if (name.startsWith(MISSING_MODULE)) {
      const [requested, base] = JSON.parse(name.slice(MISSING_MODULE.length)) as [string, string]
      const message = `Cannot find module '${requested}' imported from ${base}`
      // A module that throws as it evaluates: the one way its message reaches the importer.
      return `throw Object.assign(new Error(${JSON.stringify(message)}), { code: 'ERR_MODULE_NOT_FOUND' })`
    }
    const path = name.startsWith(TASK_ROOT) ? name.slice(TASK_ROOT.length) : name
    const source = this.spec.files.get(path)
    if (source === undefined) return { error: new Error(`Cannot find module '${name}'`) }
    if (path.endsWith('.json')) return `export default ${source}`
    if (this.esm.has(path)) return source
    // CommonJS imported from an ES module: its module.exports is the default export.
    return `export default globalThis.__swarmlambda_require(${JSON.stringify(path)})`
  }

  private readonly esm = new Set<string>()

  // --- the prelude and the host bridge -------------------------------------------------------

  private installPrelude(): QuickJSHandle {
    const ctx = this.ctx
    for (const path of esmFiles(this.spec.files)) this.esm.add(path)
    const bridge = hostBridge(this.spec.files, (level, text) => this.logs?.line(level, text))
    const raw = ctx.newObject()
    for (const name of Object.keys(bridge) as (keyof HostBridge)[]) {
      const fn = bridge[name] as (...args: unknown[]) => unknown
      const handle = ctx.newFunction(name, (json, ...buffers) => {
        const copies = buffers.map((b) => copyBuffer(ctx, b))
        const args = JSON.parse(ctx.getString(json), (_, v: unknown) =>
          isBufferRef(v) ? copies[v.__buffer] : v
        ) as unknown[]
        const out = fn(...args)
        return out instanceof ArrayBuffer
          ? ctx.newArrayBuffer(out)
          : ctx.newString(JSON.stringify({ v: out }))
      })
      ctx.setProp(raw, name, handle)
      handle.dispose()
    }
    // CommonJS: the file's source wrapped as Node wraps it, compiled under its /var/task name.
    const compile = ctx.newFunction('compile', (source, filename) => {
      const wrapped = `${CJS_WRAPPER}${ctx.getString(source)}\n})`
      return ctx.evalCode(wrapped, ctx.getString(filename), { type: 'global' })
    })
    const polyfills = ctx.newFunction('polyfills', () =>
      ctx.evalCode(POLYFILLS, 'swarm-lambda:polyfills', { type: 'global' })
    )
    const installer = ctx.unwrapResult(
      ctx.evalCode(PRELUDE, 'swarm-lambda:prelude', { type: 'global' })
    )
    const options = toVm(ctx, {
      files: [...this.spec.files.keys()],
      esm: [...this.esm],
      env: this.spec.environment,
      wrapperColumns: CJS_WRAPPER.length
    })
    const hooks = ctx.unwrapResult(
      ctx.callFunction(installer, ctx.undefined, raw, compile, polyfills, options)
    )
    for (const handle of [installer, raw, compile, polyfills, options]) handle.dispose()
    // ES modules that import CommonJS reach require through this one global.
    const require = ctx.getProp(hooks, 'require')
    ctx.defineProp(ctx.global, '__swarmlambda_require', { value: require, configurable: false })
    require.dispose()
    return hooks
  }

  /**
   * Calls a prelude hook with `args` (borrowed) and `owned` handles (disposed after the call),
   * returning the raw result handle (the caller's to dispose).
   */
  private hook(
    name: string,
    args: QuickJSHandle[] = [],
    owned: QuickJSHandle[] = []
  ): QuickJSHandle {
    const fn = this.ctx.getProp(this.hooks, name)
    const result = this.ctx.callFunction(fn, this.ctx.undefined, ...args, ...owned)
    fn.dispose()
    for (const h of owned) if (h.alive) h.dispose()
    if ('error' in result && result.error !== undefined) {
      const value = fromVm(this.ctx, result.error)
      result.error.dispose()
      if (Date.now() > this.deadline) throw this.timeout()
      throw new Error(`prelude hook ${name} threw: ${JSON.stringify(value)}`)
    }
    return result.value
  }

  private hookValue(name: string): unknown {
    const handle = this.hook(name)
    const value = fromVm(this.ctx, handle)
    handle.dispose()
    return value
  }
}

function initError(errorType: string, errorMessage: string): PreludeResult & { ok: false } {
  return { ok: false, errorType, errorMessage, trace: [] }
}

/** A host value as a new sandbox handle (the caller owns it). */
function toVm(ctx: QuickJSContext, value: unknown): QuickJSHandle {
  if (value === undefined) return ctx.undefined
  if (value === null) return ctx.null
  if (typeof value === 'string') return ctx.newString(value)
  if (typeof value === 'number') return ctx.newNumber(value)
  if (typeof value === 'boolean') return value ? ctx.true : ctx.false
  if (Array.isArray(value)) {
    const array = ctx.newArray()
    value.forEach((item, i) => {
      const h = toVm(ctx, item)
      ctx.setProp(array, i, h)
      h.dispose()
    })
    return array
  }
  const object = ctx.newObject()
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const h = toVm(ctx, v)
    ctx.setProp(object, k, h)
    h.dispose()
  }
  return object
}

/** An ArrayBuffer argument of a host call, by its place after the JSON text. */
function isBufferRef(value: unknown): value is { __buffer: number } {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { __buffer?: unknown }).__buffer === 'number'
  )
}

/** A copy of a sandbox ArrayBuffer (its memory may move as the engine's heap grows). */
function copyBuffer(ctx: QuickJSContext, handle: QuickJSHandle): ArrayBuffer {
  const view = ctx.getArrayBuffer(handle)
  const copy = view.value.slice().buffer
  view.dispose()
  return copy
}

/** A sandbox value copied to the host: primitives and JSON-shaped data. */
function fromVm(ctx: QuickJSContext, handle: QuickJSHandle): unknown {
  const type = ctx.typeof(handle)
  if (type === 'string') return ctx.getString(handle)
  if (type === 'number') return ctx.getNumber(handle)
  return ctx.dump(handle)
}
