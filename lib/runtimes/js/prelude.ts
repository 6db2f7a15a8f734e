import type { HostBridge } from './bridge.js'

/**
 * What the prelude is told about the function it runs in (set once per container).
 */
export interface PreludeOptions {
  /** Package-relative paths of every file of the function ('index.js', 'lib/a.cjs'). */
  files: string[]
  /** Those of them that are ES modules (.mjs, or .js under a package.json with "type": "module"). */
  esm: string[]
  /** process.env: the function's environment plus AWS_LAMBDA_*. */
  env: Record<string, string>
  /** Columns the CommonJS wrapper adds to a file's first line (taken off in traces). */
  wrapperColumns: number
}

/** Host bridge members that hand back sandbox values (defined in container.ts, not bridge.ts). */
export interface PreludeHost extends HostBridge {
  /** Compiles CommonJS source wrapped as `(exports, require, module, __filename, __dirname)`. */
  compile(source: string, filename: string): (...args: unknown[]) => unknown
}

/** A call's result as the prelude reports it: the JSON body, or AWS's Node error shape. */
export type PreludeResult =
  | { ok: true; body: string }
  | { ok: false; errorType: string; errorMessage: string; trace: string[] }

/** The hooks the prelude hands back to the container (never reachable from the function). */
export interface PreludeHooks {
  /** Loads a CommonJS file (cached) and returns its module.exports. */
  require(path: string): unknown
  /** The package path a `require`/`import` of `request` from file `from` names (Node's rules). */
  resolve(request: string, from: string | null): string
  /** The value at a dotted export path of a loaded module, if it is a function. */
  pick(exports: unknown, path: string): unknown
  /** Calls a handler with the event text; settles with a PreludeResult, never rejects. */
  invoke(handler: unknown, event: string, context: Record<string, unknown>): Promise<PreludeResult>
  /** AWS's Node error shape for any thrown value. */
  describe(error: unknown, fallbackType?: string): PreludeResult
  /** When the next timer is due (host ms), or -1 when none is pending. */
  nextTimerAt(): number
  /** Runs the timers that are due; the first uncaught error is kept for takeUncaught(). */
  runTimers(): void
  /** An error a timer callback threw, once. */
  takeUncaught(): PreludeResult | null
}

/**
 * The JavaScript that sets up a container's globals: console, process, timers driven by the host,
 * CommonJS require over the function's own files, and the glue that calls a handler the way
 * AWS's Node runtime does. CRUCIAL: its source is taken with toString() and evaluated inside
 * QuickJS, so it must refer to nothing outside its own body.
 */
export function installRuntime(host: PreludeHost, options: PreludeOptions): PreludeHooks {
  const g = globalThis as unknown as Record<string, unknown>
  const TASK = '/var/task/'
  const define = (target: object, name: string, value: unknown) =>
    Object.defineProperty(target, name, { value, writable: true, configurable: true })

  // --- console: util.format-like lines, kept as the invocation's log -----------------------
  const inspect = (value: unknown, depth: number, seen: unknown[]): string => {
    if (typeof value === 'string') return depth === 0 ? value : `'${value.replace(/'/g, "\\'")}'`
    if (typeof value === 'bigint') return `${value}n`
    if (typeof value === 'function') return `[Function: ${value.name || '(anonymous)'}]`
    if (typeof value === 'symbol') return value.toString()
    if (value === null || typeof value !== 'object') return String(value)
    if (value instanceof Error)
      return value.stack ? `${describe(value).trace.join('\n')}` : String(value)
    if (seen.includes(value)) return '[Circular *1]'
    if (depth > 2) return Array.isArray(value) ? '[Array]' : '[Object]'
    const next = [...seen, value]
    if (Array.isArray(value)) {
      const items = value.slice(0, 100).map((v) => inspect(v, depth + 1, next))
      if (value.length > 100) items.push(`... ${value.length - 100} more items`)
      return items.length === 0 ? '[]' : `[ ${items.join(', ')} ]`
    }
    if (value instanceof Date) return value.toISOString()
    if (value instanceof RegExp) return String(value)
    if (value instanceof Map) {
      const items = [...value].map(
        ([k, v]) => `${inspect(k, depth + 1, next)} => ${inspect(v, depth + 1, next)}`
      )
      return `Map(${value.size}) {${items.length ? ` ${items.join(', ')} ` : ''}}`
    }
    if (value instanceof Set) {
      const items = [...value].map((v) => inspect(v, depth + 1, next))
      return `Set(${value.size}) {${items.length ? ` ${items.join(', ')} ` : ''}}`
    }
    const entries = Object.keys(value).map((k) => {
      const key = /^[A-Za-z_$][\w$]*$/.test(k) ? k : `'${k}'`
      return `${key}: ${inspect((value as Record<string, unknown>)[k], depth + 1, next)}`
    })
    return entries.length === 0 ? '{}' : `{ ${entries.join(', ')} }`
  }
  const format = (args: unknown[]): string => {
    let rest = args
    let head = ''
    if (typeof args[0] === 'string' && args[0].includes('%')) {
      let i = 1
      head = args[0].replace(/%([sdifjoOc%])/g, (match, k: string) => {
        if (k === '%') return '%'
        if (i >= args.length) return match
        const v = args[i++]
        if (k === 's') return typeof v === 'string' ? v : inspect(v, 1, [])
        if (k === 'd' || k === 'i') return String(k === 'i' ? Math.trunc(Number(v)) : Number(v))
        if (k === 'f') return String(Number(v))
        if (k === 'j') return JSON.stringify(v)
        if (k === 'c') return ''
        return inspect(v, 1, [])
      })
      rest = args.slice(i)
      return [head, ...rest.map((a) => inspect(a, 0, []))].join(' ')
    }
    return rest.map((a) => inspect(a, 0, [])).join(' ')
  }
  const levels: Record<string, string> = {
    log: 'INFO',
    info: 'INFO',
    warn: 'WARN',
    error: 'ERROR',
    debug: 'DEBUG',
    trace: 'TRACE'
  }
  const console: Record<string, unknown> = {}
  for (const name of Object.keys(levels)) {
    define(console, name, (...args: unknown[]) => host.log(levels[name] as string, format(args)))
  }
  define(console, 'dir', (value: unknown) => host.log('INFO', inspect(value, 1, [])))
  define(g, 'console', console)

  // --- process: the environment and a few harmless facts; no exit, no host objects ----------
  const started = host.now()
  const env: Record<string, string> = {}
  for (const k of Object.keys(options.env)) env[k] = String(options.env[k])
  define(g, 'process', {
    env,
    argv: ['/var/lang/bin/node', '/var/runtime/index.mjs'],
    version: 'v20.0.0',
    versions: { node: '20.0.0' },
    platform: 'linux',
    arch: 'wasm32',
    cwd: () => '/var/task',
    uptime: () => (host.now() - started) / 1000,
    hrtime: Object.assign(
      (prev?: [number, number]) => {
        const ms = host.now()
        const t: [number, number] = [Math.floor(ms / 1000), Math.round((ms % 1000) * 1e6)]
        return prev ? [t[0] - prev[0], t[1] - prev[1]] : t
      },
      { bigint: () => BigInt(Math.round(host.now() * 1e6)) }
    ),
    nextTick: (fn: (...a: unknown[]) => void, ...args: unknown[]) =>
      void Promise.resolve().then(() => fn(...args))
  })

  // --- timers: kept here, fired by the host's loop within the call's deadline ---------------
  interface Timer {
    id: number
    at: number
    every: number | null
    fn: (...a: unknown[]) => void
    args: unknown[]
  }
  const timers = new Map<number, Timer>()
  let nextTimerId = 1
  let uncaught: PreludeResult | null = null
  class Timeout {
    constructor(readonly id: number) {}
    ref() {
      return this
    }
    unref() {
      return this
    }
    hasRef() {
      return true
    }
    refresh() {
      const t = timers.get(this.id)
      if (t) t.at = host.now() + (t.every ?? 0)
      return this
    }
    [Symbol.toPrimitive]() {
      return this.id
    }
  }
  const schedule = (fn: unknown, ms: unknown, args: unknown[], repeat: boolean) => {
    if (typeof fn !== 'function')
      throw new TypeError('The "callback" argument must be of type function')
    const delay = Math.max(repeat ? 1 : 0, Number(ms) || 0)
    const id = nextTimerId++
    timers.set(id, {
      id,
      at: host.now() + delay,
      every: repeat ? delay : null,
      fn: fn as Timer['fn'],
      args
    })
    return new Timeout(id)
  }
  const cancel = (t: unknown) => {
    timers.delete(t instanceof Timeout ? t.id : Number(t))
  }
  define(g, 'setTimeout', (fn: unknown, ms?: unknown, ...args: unknown[]) =>
    schedule(fn, ms, args, false)
  )
  define(g, 'setInterval', (fn: unknown, ms?: unknown, ...args: unknown[]) =>
    schedule(fn, ms, args, true)
  )
  define(g, 'setImmediate', (fn: unknown, ...args: unknown[]) => schedule(fn, 0, args, false))
  define(g, 'clearTimeout', cancel)
  define(g, 'clearInterval', cancel)
  define(g, 'clearImmediate', cancel)
  if (typeof g.queueMicrotask !== 'function') {
    define(g, 'queueMicrotask', (fn: () => void) => void Promise.resolve().then(fn))
  }

  // --- errors in AWS's Node shape ------------------------------------------------------------
  function describe(error: unknown, fallbackType?: string): PreludeResult & { ok: false } {
    if (error instanceof Error) {
      const name = error.name || 'Error'
      const message = String(error.message)
      // The function's own frames, as Node numbers them: the platform's are not its business.
      const stack = String(error.stack ?? '')
        .split('\n')
        .filter((line) => line.trim() !== '' && !line.includes('(swarm-lambda:'))
        .map((line) =>
          line.replace(
            /(\/var\/task\/([^:()]+)):1:(\d+)/,
            (all, file: string, path: string, col: string) =>
              esm.has(path) || path.endsWith('.json')
                ? all
                : `${file}:1:${Math.max(1, Number(col) - options.wrapperColumns)}`
          )
        )
        .slice(0, 50)
      return {
        ok: false,
        errorType: fallbackType ?? name,
        errorMessage: fallbackType === undefined ? message : `${name}: ${message}`,
        trace: [`${name}: ${message}`, ...stack]
      }
    }
    let text: string
    try {
      text = typeof error === 'string' ? error : (JSON.stringify(error) ?? String(error))
    } catch {
      text = String(error) // a value JSON cannot write (cyclic, bigint): its string form will do
    }
    return { ok: false, errorType: fallbackType ?? typeof error, errorMessage: text, trace: [] }
  }

  // --- CommonJS over the function's own files --------------------------------------------------
  const files = new Set(options.files)
  const esm = new Set(options.esm)
  const cache = new Map<string, { exports: unknown }>()
  const dirOf = (path: string) => path.slice(0, Math.max(0, path.lastIndexOf('/')))
  const join = (dir: string, request: string) => {
    const out: string[] = []
    for (const part of `${dir}/${request}`.split('/')) {
      if (part === '' || part === '.') continue
      if (part === '..') out.pop()
      else out.push(part)
    }
    return out.join('/')
  }
  const asFile = (p: string) =>
    [p, `${p}.js`, `${p}.cjs`, `${p}.mjs`, `${p}.json`].find((f) => files.has(f))
  const asDir = (p: string): string | undefined => {
    const manifest = host.readFile(p === '' ? 'package.json' : `${p}/package.json`)
    if (manifest !== undefined) {
      try {
        const main = (JSON.parse(manifest) as { main?: unknown }).main
        if (typeof main === 'string') {
          const found = asFile(join(p, main)) ?? asIndex(join(p, main))
          if (found !== undefined) return found
        }
      } catch {
        // a package.json that is not JSON has no main: fall back to index, as Node does
      }
    }
    return asIndex(p)
  }
  const asIndex = (p: string) =>
    ['index.js', 'index.cjs', 'index.json']
      .map((f) => (p === '' ? f : `${p}/${f}`))
      .find((f) => files.has(f))
  const notFound = (request: string, from: string | null) =>
    Object.assign(
      new Error(
        `Cannot find module '${request}'${from === null ? '' : `\nRequire stack:\n- ${TASK}${from}`}`
      ),
      { code: 'MODULE_NOT_FOUND' }
    )
  const resolve = (request: string, from: string | null): string => {
    const dir = from === null ? '' : dirOf(from)
    if (request.startsWith('./') || request.startsWith('../') || request.startsWith('/')) {
      const base = request.startsWith(TASK)
        ? request.slice(TASK.length)
        : join(request.startsWith('/') ? '' : dir, request)
      const found = asFile(base) ?? asDir(base)
      if (found !== undefined) return found
      throw notFound(request, from)
    }
    if (request.startsWith('node:') || request === '') throw notFound(request, from)
    for (let d = dir; ; d = dirOf(d)) {
      const base = join(d, `node_modules/${request}`)
      const found = asFile(base) ?? asDir(base)
      if (found !== undefined) return found
      if (d === '') break
    }
    throw notFound(request, from)
  }
  const load = (path: string): unknown => {
    const cached = cache.get(path)
    if (cached !== undefined) return cached.exports
    const source = host.readFile(path)
    if (source === undefined) throw notFound(path, null)
    const module = { exports: {} as unknown, id: TASK + path, filename: TASK + path, loaded: false }
    cache.set(path, module)
    try {
      if (path.endsWith('.json')) {
        module.exports = JSON.parse(source)
      } else if (esm.has(path)) {
        throw Object.assign(new Error(`require() of ES Module ${TASK}${path} not supported.`), {
          code: 'ERR_REQUIRE_ESM'
        })
      } else {
        const localRequire = Object.assign(
          (request: string) => load(resolve(String(request), path)),
          {
            resolve: (request: string) => TASK + resolve(String(request), path),
            cache: {}
          }
        )
        const wrapper = host.compile(source, TASK + path)
        wrapper.call(
          module.exports,
          module.exports,
          localRequire,
          module,
          TASK + path,
          TASK + dirOf(path)
        )
      }
    } catch (err) {
      cache.delete(path)
      throw err
    }
    module.loaded = true
    return module.exports
  }

  // --- the call -------------------------------------------------------------------------------
  const stringify = (value: unknown): PreludeResult => {
    try {
      return { ok: true, body: JSON.stringify(value === undefined ? null : value) ?? 'null' }
    } catch (err) {
      return describe(err)
    }
  }
  return {
    require: load,
    resolve,
    pick(exports, path) {
      let value: unknown = exports
      for (const part of path.split('.')) {
        if (value === null || value === undefined) return undefined
        value = (value as Record<string, unknown>)[part]
      }
      return value
    },
    invoke(handler, event, fields) {
      return new Promise<PreludeResult>((settle) => {
        let done = false
        const finish = (result: PreludeResult) => {
          if (!done) settle(result)
          done = true
        }
        const fail = (err: unknown) => finish(describe(err))
        const deadline = Number(fields.deadline)
        const context: Record<string, unknown> = {
          ...fields,
          callbackWaitsForEmptyEventLoop: true,
          getRemainingTimeInMillis: () => Math.max(0, Math.round(deadline - host.now())),
          done: (err: unknown, value: unknown) => (err ? fail(err) : finish(stringify(value))),
          succeed: (value: unknown) => finish(stringify(value)),
          fail
        }
        delete context.deadline
        let parsed: unknown
        try {
          parsed = JSON.parse(event === '' ? '{}' : event)
        } catch (err) {
          // Not the function's fault: the container reports it as the request's (a 400).
          const why = err instanceof Error ? err.message : String(err)
          finish({ ok: false, errorType: 'InvalidRequestContent', errorMessage: why, trace: [] })
          return
        }
        try {
          const fn = handler as (e: unknown, c: unknown, cb: unknown) => unknown
          const callback = (err: unknown, value: unknown) =>
            err ? fail(err) : finish(stringify(value))
          const returned = fn(parsed, context, callback)
          const thenable =
            returned !== null &&
            typeof returned === 'object' &&
            typeof (returned as { then?: unknown }).then === 'function'
          // A callback-style handler (three parameters, no promise back) answers through the callback.
          if (thenable || fn.length < 3) {
            Promise.resolve(returned).then((value) => finish(stringify(value)), fail)
          }
        } catch (err) {
          fail(err)
        }
      })
    },
    describe,
    nextTimerAt() {
      let at = -1
      for (const t of timers.values()) if (at === -1 || t.at < at) at = t.at
      return at
    },
    runTimers() {
      const now = host.now()
      const due = [...timers.values()]
        .filter((t) => t.at <= now)
        .sort((a, b) => a.at - b.at || a.id - b.id)
      for (const t of due) {
        if (!timers.has(t.id)) continue // cleared by an earlier callback
        if (t.every === null) timers.delete(t.id)
        else t.at = now + t.every
        try {
          t.fn(...t.args)
        } catch (err) {
          uncaught ??= describe(err)
        }
      }
    },
    takeUncaught() {
      const error = uncaught
      uncaught = null
      return error
    }
  }
}
