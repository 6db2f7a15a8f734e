import type { QuickJSHandle, QuickJSRuntime } from 'quickjs-emscripten-core'
import { FUNCTION_MEMORY_LIMIT, FUNCTION_TIMEOUT } from '../../errors.js'
import type { CallContext, CallOutcome } from '../contract.js'
import { answerOf } from '../output.js'
import { ContainerBroken } from '../warm.js'
import { ENGINE_MIN_PAGES, type Engine } from './engine.js'
import { entryOf, esmFiles, TASK_ROOT, type JsSpec } from './function.js'
import { LogBuffer, logStream } from './logs.js'
import { initErrorOf, useModules } from './modules.js'
import type { PreludeResult } from './prelude/index.js'
import { Sandbox } from './sandbox.js'

/**
 * QuickJS's own limit on the JS stack (its C stack lives in the container's memory): deep
 * recursion becomes a catchable "stack overflow" long before the worker's native stack is at risk.
 */
const MAX_STACK_BYTES = 256 * 1024
/** How long a handler's module may take to load (AWS gives init 10 s). */
export const INIT_TIMEOUT_MS = 10_000
/** Lines of a JS trace kept in an error. */
const MAX_TRACE_LINES = 30

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
  private readonly sandbox: Sandbox
  private handler: QuickJSHandle | null = null
  private deadline = Infinity
  /** The running call's timeout (for its error message). */
  private timeoutMs = 0
  private logs: LogBuffer | null = null
  /** The container's log stream name (AWS names one per execution environment). */
  private stream: string | null = null
  private readonly sleeper = new Int32Array(new SharedArrayBuffer(4))

  private constructor(
    readonly spec: JsSpec,
    memory: WebAssembly.Memory,
    runtime: QuickJSRuntime,
    private readonly esm: ReadonlySet<string>,
    sandboxOf: (log: (level: string, text: string) => void) => Sandbox
  ) {
    this.memory = memory
    this.runtime = runtime
    runtime.setMaxStackSize(MAX_STACK_BYTES)
    runtime.setInterruptHandler(() => Date.now() > this.deadline)
    this.sandbox = sandboxOf((level, text) => this.logs?.line(level, text))
    useModules(runtime, this.sandbox, spec.files, this.esm)
  }

  /** A cold container: a new engine instance with the prelude installed (handler not loaded). */
  static async create(engine: Engine, spec: JsSpec): Promise<Container> {
    const memory = new WebAssembly.Memory({
      initial: ENGINE_MIN_PAGES,
      maximum: Math.max(ENGINE_MIN_PAGES, spec.memoryMb * 16)
    })
    const vm = await engine.instance(memory)
    const runtime = vm.newRuntime()
    const ctx = runtime.newContext()
    const esm = new Set(esmFiles(spec.files))
    const sandbox = (log: (level: string, text: string) => void) => new Sandbox(ctx, spec, esm, log)
    return new Container(spec, memory, runtime, esm, sandbox)
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
      const result = this.call(event, context, started + timeoutMs)
      return result.ok ? this.success(result.body, logs) : this.failure(result, logs)
    } catch (err) {
      if (err instanceof ContainerBroken) throw err
      // Past the deadline the engine interrupts everything, the prelude's own hooks too.
      if (Date.now() > this.deadline) throw this.timeout()
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
    const { sandbox } = this
    const handler = sandbox.hook('pick', [exports.value], [sandbox.handle(entry.exportPath)])
    exports.value.dispose()
    if (sandbox.ctx.typeof(handler) !== 'function') {
      handler.dispose()
      return initError(
        'Runtime.HandlerNotFound',
        `${entry.module}.${entry.exportPath} is undefined or not exported`
      )
    }
    this.handler = handler
    return { ok: true, body: '' }
  }

  private call(event: Uint8Array, context: CallContext, deadline: number): PreludeResult {
    const { sandbox } = this
    this.stream ??= logStream(context.requestId, context.functionVersion)
    const fields = sandbox.handle(
      JSON.stringify({
        functionName: this.spec.functionName,
        functionVersion: context.functionVersion,
        invokedFunctionArn: context.invokedFunctionArn,
        memoryLimitInMB: String(this.spec.memoryMb),
        awsRequestId: context.requestId,
        logGroupName: `/aws/lambda/${this.spec.functionName}`,
        logStreamName: this.stream,
        deadline
      })
    )
    const text = sandbox.handle(Buffer.from(event).toString('utf8'))
    const promise = sandbox.hook('invoke', [this.handler as QuickJSHandle], [text, fields])
    try {
      return this.settle(promise, deadline)
    } finally {
      promise.dispose()
    }
  }

  /** Drives jobs and timers until `promise` settles (it resolves to a PreludeResult). */
  private settle(promise: QuickJSHandle, deadline: number): PreludeResult {
    const { ctx } = this.sandbox
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
      const uncaught = this.sandbox.hookValue('takeUncaught') as PreludeResult | null
      if (uncaught !== null) return uncaught
      const next = this.sandbox.hookValue('nextTimerAt') as number
      if (next === -1) {
        return initError(
          'Runtime.NoResult',
          "Error: the handler's promise never settled and nothing was left to run (no timer, no pending job)"
        )
      }
      const wait = Math.min(next, deadline) - Date.now()
      if (wait > 0) Atomics.wait(this.sleeper, 0, 0, wait)
      if (Date.now() > deadline) throw this.timeout()
      this.sandbox.hookValue('runTimers')
    }
  }

  /**
   * The prelude's answer: the body's JSON text, or `!` and an error's (see PreludeHooks.invoke).
   * JSON.stringify escapes NULs and lone surrogates, so a C string carries it whole.
   */
  private result(handle: QuickJSHandle): PreludeResult {
    const text = this.sandbox.ctx.getString(handle)
    return text.startsWith('!')
      ? (JSON.parse(text.slice(1)) as PreludeResult)
      : { ok: true, body: text }
  }

  /** An exception the engine raised outside the prelude's own catch: timeout or memory. */
  private thrown(error: QuickJSHandle): PreludeResult | null {
    const value = this.sandbox.value(error) as { name?: string; message?: string } | null
    if (Date.now() > this.deadline) throw this.timeout()
    if (value === null || value?.message === 'out of memory') throw this.outOfMemory()
    return initError(value?.name ?? 'Error', `${value?.name}: ${value?.message}`)
  }

  private success(body: string, logs: LogBuffer): CallOutcome {
    return answerOf(body, logs.outcome())
  }

  private failure(result: PreludeResult, logs: LogBuffer): CallOutcome {
    if (result.ok) throw new Error('not a failure')
    if (result.errorMessage === 'out of memory' || result.errorType === 'null') {
      throw this.outOfMemory()
    }
    // Past the deadline, whatever the engine threw is the interrupt's doing (it may surface as
    // another error when it lands inside a native call): the call timed out.
    if (Date.now() > this.deadline) throw this.timeout()
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

  // --- loading the handler --------------------------------------------------------------------

  private requireFile(
    path: string
  ): { ok: true; value: QuickJSHandle } | { ok: false; error: PreludeResult } {
    const loaded = this.sandbox.tryHook('require', [this.sandbox.handle(path)])
    return loaded.ok ? loaded : { ok: false, error: this.initFailure(loaded.error) }
  }

  private importModule(
    path: string
  ): { ok: true; value: QuickJSHandle } | { ok: false; error: PreludeResult } {
    const source = this.spec.files.get(path) ?? ''
    const result = this.sandbox.ctx.evalCode(source, TASK_ROOT + path, { type: 'module' })
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
      const state = this.sandbox.ctx.getPromiseState(promise)
      if (state.type === 'fulfilled') {
        // Not a promise at all: the namespace itself (older builds).
        return { ok: true, value: state.notAPromise === true ? promise.dup() : state.value }
      }
      if (state.type === 'rejected') return { ok: false, error: this.initFailure(state.error) }
      if (Date.now() > this.deadline) throw this.timeout()
      const next = this.sandbox.hookValue('nextTimerAt') as number
      if (next === -1) {
        return {
          ok: false,
          error: initError('Runtime.NoResult', 'Error: top-level await never settled')
        }
      }
      const wait = Math.min(next, this.deadline) - Date.now()
      if (wait > 0) Atomics.wait(this.sleeper, 0, 0, wait)
      if (Date.now() > this.deadline) throw this.timeout()
      this.sandbox.hookValue('runTimers')
    }
  }

  /** An error thrown while loading the handler, in AWS's init-error names. */
  private initFailure(error: QuickJSHandle): PreludeResult {
    const result = this.sandbox.hookValue('describe', [error]) as PreludeResult & { ok: false }
    if (result.errorMessage === 'out of memory') throw this.outOfMemory()
    // Past the deadline, whatever the engine threw is the interrupt's doing (it may surface as
    // another error when it lands inside a native call): the call timed out.
    if (Date.now() > this.deadline) throw this.timeout()
    return initErrorOf(result)
  }
}

function initError(errorType: string, errorMessage: string): PreludeResult & { ok: false } {
  return { ok: false, errorType, errorMessage, trace: [] }
}
