import type { HostBridge } from '../bridge.js'

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
  /**
   * Calls a handler with the event text and the context's fields (JSON); settles with the
   * answer's JSON text, or `!` and the JSON of the error's PreludeResult; never rejects. One
   * string crosses back to the host in one step (each step is a call into the engine).
   */
  invoke(handler: unknown, event: string, context: string): Promise<string>
  /** AWS's Node error shape for any thrown value. */
  describe(error: unknown, fallbackType?: string): PreludeResult
  /** When the next timer is due (host ms), or -1 when none is pending. */
  nextTimerAt(): number
  /** Runs the timers that are due; the first uncaught error is kept for takeUncaught(). */
  runTimers(): void
  /** An error a timer callback threw, once. */
  takeUncaught(): PreludeResult | null
}

/** The prelude's describe as its parts get it: always the error shape, so its trace is there. */
export type Describe = (error: unknown, fallbackType?: string) => PreludeResult & { ok: false }
