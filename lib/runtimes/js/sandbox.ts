import type { QuickJSContext, QuickJSHandle } from 'quickjs-emscripten-core'
import { hostBridge, type HostBridge } from './bridge.js'
import type { JsSpec } from './function.js'
import { POLYFILLED, POLYFILLS_SOURCE } from './polyfills/index.js'
import { RUNTIME_SOURCE } from './prelude/index.js'

/** The symbol (Symbol.for) under which ES modules find the CommonJS loader (see modules.ts). */
export const REQUIRE_SYMBOL = 'swarm-lambda.require'

/** Node's CommonJS wrapper: on the file's first line, so its line numbers are the file's. */
const CJS_WRAPPER = '(function (exports, require, module, __filename, __dirname) {'

/**
 * The prelude, evaluated once per container. Host calls cross as JSON text (QuickJS's C
 * strings would stop at a NUL and mangle lone surrogates), ArrayBuffers as themselves. The web
 * globals are accessors until first touched: parsing their 27 KB costs ~4 ms, most of a cold
 * start, and most functions never use them. The runtime is named before it is called, not called
 * as `(<source>)(...)`: QuickJS scans a parenthesized expression to its end first (to see whether
 * it is an arrow's parameters), one more pass over its 16 KB.
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
  const installRuntime = ${RUNTIME_SOURCE}
  const hooks = installRuntime(host, options)
  // ES modules that import CommonJS reach require by a symbol: no global name for a function's
  // own code to trip over (getOwnPropertyNames does not list it).
  Object.defineProperty(globalThis, Symbol.for(${JSON.stringify(REQUIRE_SYMBOL)}), { value: hooks.require })
  return hooks
}`

/** A prelude hook threw (outside the function's own code: an interrupt or the memory cap). */
export class HookError extends Error {}

/**
 * A container's context once the prelude is in: the host bridge (bridge.ts, the one seam with
 * the host) and the prelude's hooks, called by name. Marshalling between host and sandbox
 * values lives here too.
 */
export class Sandbox {
  private readonly hooks: QuickJSHandle
  /** The hooks' functions, looked up once (each lookup is a call into the engine). */
  private readonly fns = new Map<string, QuickJSHandle>()

  constructor(
    readonly ctx: QuickJSContext,
    spec: JsSpec,
    esm: ReadonlySet<string>,
    log: (level: string, text: string) => void
  ) {
    const bridge = hostBridge(spec.files, log)
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
      ctx.evalCode(POLYFILLS_SOURCE, 'swarm-lambda:polyfills', { type: 'global' })
    )
    const installer = ctx.unwrapResult(
      ctx.evalCode(PRELUDE, 'swarm-lambda:prelude', { type: 'global' })
    )
    const options = toVm(ctx, {
      files: [...spec.files.keys()],
      esm: [...esm],
      env: spec.environment,
      wrapperColumns: CJS_WRAPPER.length
    })
    this.hooks = ctx.unwrapResult(
      ctx.callFunction(installer, ctx.undefined, raw, compile, polyfills, options)
    )
    for (const handle of [installer, raw, compile, polyfills, options]) handle.dispose()
  }

  /**
   * Calls a prelude hook with `args` (borrowed) and `owned` handles (disposed after the call),
   * returning the raw result handle (the caller's to dispose). Throws HookError when it threw.
   */
  hook(name: string, args: QuickJSHandle[] = [], owned: QuickJSHandle[] = []): QuickJSHandle {
    const result = this.ctx.callFunction(this.fn(name), this.ctx.undefined, ...args, ...owned)
    for (const h of owned) if (h.alive) h.dispose()
    if ('error' in result && result.error !== undefined) {
      const value = this.value(result.error)
      throw new HookError(`prelude hook ${name} threw: ${JSON.stringify(value)}`)
    }
    return result.value
  }

  /** Calls a hook and copies its answer to the host. */
  hookValue(name: string, owned: QuickJSHandle[] = []): unknown {
    return this.value(this.hook(name, [], owned))
  }

  /** Calls a hook that may throw the function's own error: its value, or the error's. */
  tryHook(
    name: string,
    owned: QuickJSHandle[]
  ): { ok: true; value: QuickJSHandle } | { ok: false; error: QuickJSHandle } {
    const result = this.ctx.callFunction(this.fn(name), this.ctx.undefined, ...owned)
    for (const h of owned) if (h.alive) h.dispose()
    if ('error' in result && result.error !== undefined) return { ok: false, error: result.error }
    return { ok: true, value: result.value }
  }

  private fn(name: string): QuickJSHandle {
    let fn = this.fns.get(name)
    if (fn === undefined) {
      fn = this.ctx.getProp(this.hooks, name)
      this.fns.set(name, fn)
    }
    return fn
  }

  /** A sandbox value copied to the host (the handle is disposed). */
  value(handle: QuickJSHandle): unknown {
    const value = fromVm(this.ctx, handle)
    handle.dispose()
    return value
  }

  /** A host value (JSON-shaped, strings without NULs) as a new sandbox handle. */
  handle(value: unknown): QuickJSHandle {
    return toVm(this.ctx, value)
  }
}

/** A host value as a new sandbox handle (the caller owns it). */
function toVm(ctx: QuickJSContext, value: unknown): QuickJSHandle {
  if (value === undefined) return ctx.undefined
  if (value === null) return ctx.null
  if (typeof value === 'string') return ctx.newString(value)
  if (typeof value === 'number') return ctx.newNumber(value)
  if (typeof value === 'boolean') return value ? ctx.true : ctx.false
  const target = Array.isArray(value) ? ctx.newArray() : ctx.newObject()
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const h = toVm(ctx, v)
    ctx.setProp(target, Array.isArray(value) ? Number(k) : k, h)
    h.dispose()
  }
  return target
}

/** A sandbox value copied to the host: primitives and JSON-shaped data. */
function fromVm(ctx: QuickJSContext, handle: QuickJSHandle): unknown {
  const type = ctx.typeof(handle)
  if (type === 'string') return ctx.getString(handle)
  if (type === 'number') return ctx.getNumber(handle)
  return ctx.dump(handle)
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
