import type { HostBridge } from '../bridge.js'

/**
 * Installs crypto (getRandomValues, randomUUID) and structuredClone on globalThis. Its source runs
 * inside the sandbox (see index.ts), so everything it uses is defined in its own body: no imports
 * at run time, no module-level helpers, no Node globals. DOMException is the one the encoding
 * installer put on globalThis just before this runs.
 */
export function installClone(host: HostBridge): void {
  'use strict'
  const DOMException = (
    globalThis as unknown as { DOMException: new (message: string, name: string) => Error }
  ).DOMException
  // Node's errors carry a code that handlers match on.
  const nodeError = (Type: ErrorConstructor, code: string, message: string) =>
    Object.assign(new Type(message), { code })
  // Web globals and error fields are writable and configurable but not enumerable.
  const hidden = { writable: true, enumerable: false, configurable: true }
  const hide = (target: object, key: string, value: unknown) =>
    Object.defineProperty(target, key, { ...hidden, value })
  const tagOf = (v: unknown) => Object.prototype.toString.call(v).slice(8, -1)
  // Brand-checked, unlike a Symbol.toStringTag lookup: a typed array's type name, else undefined.
  const typedArrayName = Object.getOwnPropertyDescriptor(
    Object.getPrototypeOf(Uint8Array.prototype),
    Symbol.toStringTag
  )!.get as (this: unknown) => string | undefined

  const integerArray = /^(Big(Int|Uint)64|(Int|Uint)(8|16|32)|Uint8Clamped)Array$/

  /** Web Crypto's synchronous part on the host CSPRNG; no `subtle` (that needs a real engine). */
  class Crypto {
    getRandomValues<T extends ArrayBufferView>(array: T): T {
      if (arguments.length === 0) {
        const message =
          "Failed to execute 'getRandomValues' on 'Crypto': 1 argument required, but only 0 present."
        throw nodeError(TypeError, 'ERR_MISSING_ARGS', message)
      }
      if (!integerArray.test(typedArrayName.call(array) ?? '')) {
        throw new DOMException(
          'The data argument must be an integer-type TypedArray',
          'TypeMismatchError'
        )
      }
      if (array.byteLength > 65_536) {
        throw new DOMException('The requested length exceeds 65,536 bytes', 'QuotaExceededError')
      }
      const random = new Uint8Array(host.randomBytes(array.byteLength))
      new Uint8Array(array.buffer, array.byteOffset, array.byteLength).set(random)
      return array
    }
    randomUUID() {
      return host.randomUUID()
    }
    get [Symbol.toStringTag]() {
      return 'Crypto'
    }
  }

  // The error types structuredClone keeps; an error with any other name comes back as an Error.
  const errorTypes = [EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError]
  const uncloneable =
    /^(Symbol|Promise|Weak(Map|Set|Ref)|FinalizationRegistry|(Async)?Generator|Arguments)$/

  /**
   * The HTML structured clone, in pure JS, of the types a sandbox can build; shared references and
   * cycles are kept. Types are told apart by their tags, so plain objects clone without any throw.
   * A `transfer` option is not supported: everything is copied.
   */
  function structuredClone(value: unknown) {
    if (arguments.length === 0) {
      throw nodeError(TypeError, 'ERR_MISSING_ARGS', 'The value argument must be specified')
    }
    const memo = new Map<object, unknown>()
    const fail = (v: unknown) => {
      const what =
        typeof v === 'function'
          ? Function.prototype.toString.call(v)
          : typeof v === 'symbol'
            ? v.toString()
            : `#<${Object.getPrototypeOf(v)?.constructor?.name ?? 'Object'}>`
      return new DOMException(`${what} could not be cloned.`, 'DataCloneError')
    }
    const fill = <T extends object>(out: T, from: object) => {
      for (const key of Object.keys(from)) {
        const item = clone((from as Record<string, unknown>)[key])
        // An assignment to '__proto__' would set the prototype instead of a property.
        if (key !== '__proto__') (out as Record<string, unknown>)[key] = item
        else Object.defineProperty(out, key, { ...hidden, enumerable: true, value: item })
      }
      return out
    }
    const clone = (v: unknown): unknown => {
      if (typeof v === 'function' || typeof v === 'symbol') throw fail(v)
      if (typeof v !== 'object' || v === null) return v
      if (memo.has(v)) return memo.get(v)
      const keep = <T>(out: T) => (memo.set(v, out), out)
      const typed = typedArrayName.call(v)
      if (typed !== undefined) {
        const view = v as Uint8Array
        const Type = (globalThis as unknown as Record<string, Uint8ArrayConstructor>)[typed]!
        return keep(new Type(clone(view.buffer) as ArrayBuffer, view.byteOffset, view.length))
      }
      if (Array.isArray(v)) return fill(keep(new Array(v.length)), v)
      const tag = tagOf(v)
      if (tag === 'Date') return keep(new Date(Date.prototype.getTime.call(v)))
      if (tag === 'RegExp') return keep(new RegExp((v as RegExp).source, (v as RegExp).flags))
      if (tag === 'Boolean') return keep(Object(Boolean.prototype.valueOf.call(v)))
      if (tag === 'Number') return keep(Object(Number.prototype.valueOf.call(v)))
      if (tag === 'String') return keep(Object(String.prototype.valueOf.call(v)))
      if (tag === 'BigInt') return keep(Object(BigInt.prototype.valueOf.call(v)))
      if (tag === 'ArrayBuffer') return keep(new Uint8Array(v as ArrayBuffer).slice().buffer)
      if (tag === 'SharedArrayBuffer') return keep(v) // shared memory stays shared
      if (tag === 'DataView') {
        const view = v as DataView
        return keep(
          new DataView(clone(view.buffer) as ArrayBuffer, view.byteOffset, view.byteLength)
        )
      }
      if (tag === 'Map') {
        const out = keep(new Map())
        for (const [k, x] of Map.prototype.entries.call(v)) out.set(clone(k), clone(x))
        return out
      }
      if (tag === 'Set') {
        const out = keep(new Set())
        for (const x of Set.prototype.values.call(v)) out.add(clone(x))
        return out
      }
      if (tag === 'Error') {
        const error = v as Error
        const name = `${error.name}`
        const out = keep(new (errorTypes.find((type) => type.name === name) ?? Error)())
        if (Object.hasOwn(error, 'message')) hide(out, 'message', `${error.message}`)
        if (typeof error.stack === 'string') hide(out, 'stack', error.stack)
        if (Object.hasOwn(error, 'cause')) hide(out, 'cause', clone(error.cause))
        return out
      }
      if (uncloneable.test(tag)) throw fail(v)
      return fill(keep({}), v) // any other object clones as a plain one, as in V8
    }
    return clone(value)
  }

  hide(globalThis, 'crypto', new Crypto())
  hide(globalThis, 'structuredClone', structuredClone)
}
