import { Worker } from 'node:worker_threads'
import { EXECUTOR_CLOSED, EXECUTOR_WORKER_FAILED, fromCode, type ErrorCode } from '../errors.js'
import type { JsSource } from '../runtimes/js/function.js'
import type { PolicyOptions, ValidatedFunction } from './policy.js'

/**
 * Main thread → validator worker: a module to validate, a JS function to check, or a package's
 * files to encode for the registry (a Python function: AWS reports its import errors at invoke).
 */
export type ValidateRequest =
  | { id: number; kind: 'wasm'; bytes: Uint8Array; options: PolicyOptions }
  | { id: number; kind: 'nodejs'; source: JsSource; timeoutMs: number }
  | { id: number; kind: 'bundle'; files: Map<string, string> }

/** Validator worker → main thread. */
export type ValidateReply =
  | { id: number; ok: true; fn: ValidatedFunction | null; bundle?: StoredCode }
  | { id: number; ok: false; code: ErrorCode; message: string }

/** A package's code as the registry stores it: the encoded bundle and its sha256. */
export interface StoredCode {
  bytes: Uint8Array
  sha256: string
}

interface Waiting {
  resolve: (reply: Extract<ValidateReply, { ok: true }>) => void
  reject: (err: Error) => void
}

/**
 * Runs validate() (lib/wasm/policy.ts) on a worker thread, so a large or hostile upload never
 * stalls the event loop. The worker starts on first use; the result, compiled module included,
 * comes back ready for the executor. A crashed worker fails its requests and is started again.
 */
export class ModuleValidator {
  private worker: Worker | null = null
  private readonly waiting = new Map<number, Waiting>()
  private nextId = 1
  private closed = false

  /** Validates and compiles a module; rejects with the policy's coded error. */
  async validate(bytes: Uint8Array, options: PolicyOptions): Promise<ValidatedFunction> {
    // A copy of its own is moved to the worker: cloning 50 MB would stall this thread ~80 ms.
    // Uint8Array.from copies (a Buffer's slice() would be a view on the caller's bytes).
    const own = Uint8Array.from(bytes)
    const reply = await this.request(
      (id) => ({ id, kind: 'wasm', bytes: own, options }),
      [own.buffer as ArrayBuffer]
    )
    return reply.fn as ValidatedFunction
  }

  /**
   * Loads a JS function's handler in a container of its own, then encodes and hashes its code
   * for the registry (all on the worker); rejects with JS_INVALID.
   */
  async checkJs(source: JsSource, timeoutMs: number): Promise<StoredCode> {
    const reply = await this.request((id) => ({ id, kind: 'nodejs', source, timeoutMs }), [])
    return reply.bundle as StoredCode
  }

  /** Encodes and hashes a package's files for the registry (on the worker). */
  async bundle(files: Map<string, string>): Promise<StoredCode> {
    const reply = await this.request((id) => ({ id, kind: 'bundle', files }), [])
    return reply.bundle as StoredCode
  }

  private request(
    make: (id: number) => ValidateRequest,
    transfer: ArrayBuffer[]
  ): Promise<Extract<ValidateReply, { ok: true }>> {
    if (this.closed) return Promise.reject(EXECUTOR_CLOSED())
    const worker = (this.worker ??= this.start())
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject })
      worker.postMessage(make(id), transfer)
      worker.ref()
    })
  }

  /** Starts the worker now, so the first validation does not pay its start-up. */
  warm(): void {
    if (!this.closed) this.worker ??= this.start()
  }

  /** Stops the worker; pending validations fail. Idempotent. */
  async close(): Promise<void> {
    this.closed = true
    const worker = this.worker
    this.worker = null
    this.failAll('the validator closed')
    await worker?.terminate()
  }

  private start(): Worker {
    // Its stack is big enough for QuickJS recursing up to its own limit (a JS deploy's check).
    const worker = new Worker(new URL('./validator-worker.js', import.meta.url), {
      resourceLimits: { stackSizeMb: 8 }
    })
    worker.unref() // idle, it must not keep the process alive
    worker.on('message', (reply: ValidateReply) => {
      const waiting = this.waiting.get(reply.id)
      this.waiting.delete(reply.id)
      if (this.waiting.size === 0) worker.unref()
      if (waiting === undefined) return
      if (reply.ok) waiting.resolve(reply)
      else waiting.reject(fromCode(reply.code, reply.message))
    })
    worker.on('error', (err) => this.failAll(err.message))
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = null
      this.failAll('the validator exited')
    })
    return worker
  }

  private failAll(why: string): void {
    for (const { reject } of this.waiting.values()) reject(EXECUTOR_WORKER_FAILED(why))
    this.waiting.clear()
  }
}
