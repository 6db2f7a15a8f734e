import { performance } from 'node:perf_hooks'
import { FUNCTION_BAD_OUTPUT, FUNCTION_EXIT, MODULE_NOT_LOADED, SwarmError } from '../../errors.js'
import type { CallMessage, ReplyMessage } from '../../executor/protocol.js'
import type { CallOutcome } from '../contract.js'
import { MEMORY_IMPORT } from '../../wasm/rewrite.js'
import { classify, MAX_OUTPUT_BYTES, RECYCLE_MAX_BYTES } from '../../wasm/runner.js'
import type { WasiSpec } from './function.js'
import { WasiHost, WasiOutputTooLarge } from './host.js'
import { WASI_MODULE } from './preview1.js'

/** AWS keeps a function's log lines, not megabytes of them: stderr beyond this is dropped. */
const MAX_STDERR_BYTES = 256 * 1024
/** A stdout buffer up to this size is kept for the next call to write into. */
const SCRATCH_MAX_BYTES = 64 * 1024
/** The last stderr lines an exit error quotes. */
const EXIT_STDERR_LINES = 10

/**
 * The WASI runtime of one worker: a fresh instance per call (as for our own ABIs) with a
 * preview1 host of its own: stdin is the payload, stdout the answer, stderr the log. Memories of
 * small modules are zeroed and reused, as lib/wasm/runner.ts does.
 */
export class WasiRunner {
  private readonly specs = new Map<string, WasiSpec>()
  /** Stdout's buffer, reused from call to call (see StdoutBuffer). */
  private scratch: Uint8Array = new Uint8Array(0)
  private readonly spareMemory = new Map<string, WebAssembly.Memory>()

  /** Takes a spec (the first time this worker runs that key). */
  load(spec: WasiSpec): void {
    this.specs.set(spec.key, spec)
  }

  /** Forgets a spec (the pool keeps each worker's specs bounded). */
  forget(key: string): void {
    this.specs.delete(key)
    this.spareMemory.delete(key)
  }

  /** Runs one call message and returns its reply; never throws. */
  handle(msg: CallMessage): ReplyMessage {
    const started = performance.now()
    const micros = () => Math.round((performance.now() - started) * 1000)
    const spec = this.specs.get(msg.key)
    if (spec === undefined) {
      const error = MODULE_NOT_LOADED(msg.key)
      return { id: msg.id, ok: false, code: error.code, message: error.message, micros: 0 }
    }
    const memory =
      this.spareMemory.get(spec.key) ??
      new WebAssembly.Memory({ initial: spec.memory.min, maximum: spec.memory.max })
    this.spareMemory.delete(spec.key)
    const host = new WasiHost({
      stdin: msg.input as Uint8Array,
      args: [spec.functionName],
      env: spec.environment,
      deadline: Date.now() + msg.timeoutMs,
      stdoutLimit: MAX_OUTPUT_BYTES,
      stderrLimit: MAX_STDERR_BYTES,
      stdoutScratch: this.scratch
    })
    let outcome: CallOutcome
    try {
      const instance = new WebAssembly.Instance(spec.module, {
        [WASI_MODULE]: host.imports(() => memory),
        [MEMORY_IMPORT.module]: { [MEMORY_IMPORT.name]: memory }
      })
      const start = instance.exports._start as () => void
      const out = host.run(() => start())
      outcome =
        out.exitCode !== null && out.exitCode !== 0
          ? failed(FUNCTION_EXIT(out.exitCode, lastLines(out.stderr)))
          : { ok: true, result: out.stdout.length, output: out.stdout.buffer as ArrayBuffer }
    } catch (err) {
      outcome = failed(
        err instanceof WasiOutputTooLarge
          ? FUNCTION_BAD_OUTPUT(`stdout is over the ${MAX_OUTPUT_BYTES}-byte response limit`)
          : err instanceof SwarmError
            ? err
            : classify(err, spec)
      )
    }
    // Kept for the next call unless a large answer grew it.
    if (host.stdoutScratch.byteLength <= SCRATCH_MAX_BYTES) this.scratch = host.stdoutScratch
    // What the call wrote to stderr is its log, a trap's (a Rust panic's message) included.
    const stderr = host.logs()
    const reply: ReplyMessage = { ...outcome, id: msg.id, micros: micros() }
    if (stderr !== '') reply.logs = withNewline(stderr)
    if (memory.buffer.byteLength <= RECYCLE_MAX_BYTES && this.specs.has(spec.key)) {
      new Uint8Array(memory.buffer).fill(0)
      this.spareMemory.set(spec.key, memory)
    }
    return reply
  }
}

function failed(error: SwarmError): CallOutcome {
  return { ok: false, code: error.code, message: error.message }
}

function withNewline(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`
}

function lastLines(stderr: string): string {
  return stderr.trimEnd().split('\n').slice(-EXIT_STDERR_LINES).join('\n')
}
