import { MODULE_NOT_LOADED } from '../errors.js'
import type { CallContext, CallOutcome } from './contract.js'

/**
 * Warm containers' memory per worker by default, JS and Python together (a JS container starts
 * at QuickJS's 16 MiB floor, a Python one near 40 MiB).
 */
export const DEFAULT_CONTAINER_BUDGET_BYTES = 256 * 1024 * 1024

/** Warm containers of one worker, for metrics. */
export interface WarmStats {
  containers: number
  bytes: number
  /** Containers dropped to stay within the budget (not counting broken ones). */
  evictions: number
  /** Containers created (cold starts). */
  colds: number
}

/** Why a container must not be used again. */
export type Broken = 'timeout' | 'memory' | 'host' | 'exit'

/** A call that ended the container: the outcome, and the container is dropped. */
export class ContainerBroken extends Error {
  constructor(
    readonly outcome: CallOutcome,
    readonly why: Broken
  ) {
    super(why)
  }
}

/** What the warm runner needs of a runtime's function spec. */
export interface WarmSpec {
  key: string
  functionName: string
  /** `$LATEST` or a published number. */
  version: string
}

/** A runtime's container: one function version's warm interpreter on one worker. */
export interface WarmContainer<S extends WarmSpec> {
  readonly spec: S
  /** Bytes it holds now: what the worker's budget counts. */
  readonly bytes: number
  /** One call; throws ContainerBroken when the container must be dropped. */
  invoke(input: Uint8Array, context: CallContext, timeoutMs: number, started: number): CallOutcome
}

/** A call to a containerised function, as the worker hands it over. */
export interface WarmCall {
  key: string
  input: Uint8Array
  timeoutMs: number
  context: CallContext
}

/**
 * The warm containers of one worker, whatever their runtime (JS and Python share the budget):
 * the specs it was sent, and warm containers by key, least recently used first. A function version ($LATEST, or a published one) has at most one
 * container here: loading a newer spec of it (code or configuration changed) drops the old one,
 * so no call runs old code once the new spec has arrived; two versions (an alias's weighted
 * split) keep a container each, as AWS keeps an environment per version. Containers beyond the
 * memory budget are dropped, oldest first.
 */
export class WarmRunner<S extends WarmSpec, C extends WarmContainer<S>> {
  private readonly specs = new Map<string, S>()
  private readonly containers = new Map<string, C>()
  /** The key each function version (`slotOf`) runs now. */
  private readonly byFunction = new Map<string, string>()
  private evictions = 0
  private colds = 0

  constructor(
    /** A cold container for a spec (its runtime's start-up: the only asynchronous step). */
    private readonly create: (spec: S) => Promise<C>,
    private readonly budgetBytes = DEFAULT_CONTAINER_BUDGET_BYTES
  ) {}

  /** Takes a spec (the first time this worker runs that key). */
  load(spec: S): void {
    this.specs.set(spec.key, spec)
    const previous = this.byFunction.get(slotOf(spec))
    if (previous !== undefined && previous !== spec.key) this.containers.delete(previous)
    this.byFunction.set(slotOf(spec), spec.key)
  }

  /** Forgets a spec and its container (the pool keeps each worker's specs bounded). */
  forget(key: string): void {
    const spec = this.specs.get(key)
    this.specs.delete(key)
    this.containers.delete(key)
    if (spec !== undefined && this.byFunction.get(slotOf(spec)) === key) {
      this.byFunction.delete(slotOf(spec))
    }
  }

  /** Runs one call; a cold container is created first (the only asynchronous step). */
  call(call: WarmCall): CallOutcome | Promise<CallOutcome> {
    const spec = this.specs.get(call.key)
    if (spec === undefined) {
      const error = MODULE_NOT_LOADED(call.key)
      return { ok: false, code: error.code, message: error.message }
    }
    const warm = this.containers.get(call.key)
    if (warm !== undefined) {
      this.containers.delete(call.key) // re-inserted after the call: most recently used last
      return this.run(warm, call)
    }
    // The creation counts against the call's time, as a cold start does in Lambda.
    const started = Date.now()
    return this.create(spec).then(
      (container) => {
        this.colds++
        return this.run(container, call, started)
      },
      (err: unknown): CallOutcome => ({
        ok: false,
        code: 'EXECUTOR_WORKER_FAILED',
        message: `A container did not start: ${err instanceof Error ? err.message : String(err)}`
      })
    )
  }

  /** Warm containers held now. */
  stats(): WarmStats {
    let bytes = 0
    for (const container of this.containers.values()) bytes += container.bytes
    return { containers: this.containers.size, bytes, evictions: this.evictions, colds: this.colds }
  }

  private run(container: C, call: WarmCall, started = Date.now()): CallOutcome {
    let outcome: CallOutcome
    try {
      outcome = container.invoke(call.input, call.context, call.timeoutMs, started)
    } catch (err) {
      // A broken container is dropped, never reused; anything else is the same, unexplained.
      if (err instanceof ContainerBroken) return err.outcome
      return {
        ok: false,
        code: 'EXECUTOR_WORKER_FAILED',
        message: `An executor worker failed: ${err instanceof Error ? err.message : String(err)}`
      }
    }
    if (this.specs.has(call.key) && this.byFunction.get(slotOf(container.spec)) === call.key) {
      this.containers.set(call.key, container)
      this.trim(call.key)
    }
    return outcome
  }

  /** Drops the least recently used containers beyond the budget (never the one just used). */
  private trim(keep: string): void {
    let bytes = 0
    for (const container of this.containers.values()) bytes += container.bytes
    for (const [key, container] of this.containers) {
      if (bytes <= this.budgetBytes) break
      if (key === keep) continue
      this.containers.delete(key)
      bytes -= container.bytes
      this.evictions++
    }
  }
}

/** A function version: what has one container at most. */
function slotOf(spec: WarmSpec): string {
  return `${spec.functionName}\0${spec.version}`
}
