import { FUNCTION_MEMORY_LIMIT, FUNCTION_TIMEOUT } from '../../errors.js'
import type { CallContext, CallOutcome } from '../contract.js'
import { logStream, MAX_LOG_BYTES } from '../js/logs.js'
import { answerOf } from '../output.js'
import { ContainerBroken, type Broken } from '../warm.js'
import { BOOTSTRAP } from './bootstrap.js'
import { parsePythonHandler, type PySpec } from './function.js'
import { Realm } from './realm.js'

/** How long a handler's module may take to import (AWS gives init 10 s). */
export const INIT_TIMEOUT_MS = 10_000
/**
 * What a container weighs beyond its interpreter's memory: Pyodide's JS, its context and code
 * (a warm container grew the process's resident set by ~72 MB here, its memory being ~20 MB).
 */
const JS_OVERHEAD_BYTES = 40 * 1024 * 1024
/** Lines of a Python stack trace kept in an error. */
const MAX_TRACE_LINES = 30

/** AWS's Python error payload, as the bootstrap gives it. */
interface PythonError {
  errorMessage: string
  errorType: string
  stackTrace: string[]
}

/**
 * One warm "container" of a Python function: a Pyodide interpreter in a realm of its own (see
 * realm.ts), the function's files under /var/task, the handler imported at its first call. It
 * is reused across calls of that function version on one worker (module state persists, as in
 * a Lambda container) and never serves another. A timeout, the memory cap, sys.exit or a host
 * failure breaks it: the caller drops it.
 */
export class PyContainer {
  private ready = false
  private stream = ''

  private constructor(
    readonly spec: PySpec,
    private readonly realm: Realm,
    private readonly init_: unknown,
    private readonly invoke_: unknown
  ) {}

  /** A cold container: an interpreter from the snapshot, the files written, the bootstrap run. */
  static async create(spec: PySpec, snapshot: Uint8Array | null): Promise<PyContainer> {
    const realm = await Realm.create({ memoryMb: spec.memoryMb, snapshot })
    const { pyodide } = realm
    for (const [path, source] of spec.files) {
      const full = `/var/task/${path}`
      pyodide.FS.mkdirTree(full.slice(0, full.lastIndexOf('/')))
      pyodide.FS.writeFile(full, source)
    }
    pyodide.FS.mkdirTree('/var/task')
    pyodide.runPython(BOOTSTRAP)
    realm.output() // whatever the bootstrap printed is not the function's
    const init = pyodide.globals.get('_swarm_init_json')
    const invoke = pyodide.globals.get('_swarm_invoke')
    return new PyContainer(spec, realm, init, invoke)
  }

  /** Bytes this container holds: what the worker's budget counts. */
  get bytes(): number {
    return this.realm.memoryBytes + JS_OVERHEAD_BYTES
  }

  /**
   * Runs one invocation: imports the handler first if this is the container's first call (the
   * import counts against the call's time, as Lambda's init does), then calls it. Throws
   * ContainerBroken when the container must be dropped.
   */
  invoke(event: Uint8Array, context: CallContext, timeoutMs: number, started: number): CallOutcome {
    if (this.stream === '') this.stream = logStream(context.requestId, this.spec.version)
    if (!this.ready) {
      const loaded = this.init(Math.min(timeoutMs, INIT_TIMEOUT_MS), started, timeoutMs)
      if (loaded !== null) return this.failure(loaded, this.realm.output(), context.requestId)
    }
    const deadline = started + timeoutMs
    const envelope = `${context.requestId}\t${context.invokedFunctionArn}\t${context.functionVersion}\t${deadline}\n${Buffer.from(event).toString('utf8')}`
    const answer = this.run(this.invoke_, envelope, deadline)
    const logs = this.realm.output()
    switch (answer[0]) {
      case 'R':
        return answerOf(answer.slice(1), logsOf(logs))
      case 'E':
        return this.failure(parseError(answer.slice(1)), logs, context.requestId)
      case 'B':
        return {
          ok: false,
          code: 'INVALID_REQUEST',
          message: `Could not parse request body into json: ${answer.slice(1)}`
        }
      default:
        throw this.broken(answer, logs, timeoutMs)
    }
  }

  /**
   * Imports the handler at a container's first call (the module's top level runs): null when
   * it is ready, else AWS's init error. Throws ContainerBroken past the deadline or at the
   * memory cap. (A Python deploy is not import-checked: AWS reports these at invoke.)
   */
  private init(initMs: number, started: number, timeoutMs: number): PythonError | null {
    const { module, name } = parsePythonHandler(this.spec.handler)
    const environment = JSON.stringify({
      ...this.spec.environment,
      AWS_LAMBDA_LOG_STREAM_NAME: this.stream
    })
    const args = JSON.stringify([environment, module, name])
    const answer = this.run(this.init_, args, started + initMs)
    if (answer === '') {
      this.ready = true
      return null
    }
    if (answer[0] === 'E') return parseError(answer.slice(1))
    throw this.broken(answer, this.realm.output(), timeoutMs)
  }

  /** Calls one of the bootstrap's functions within a deadline; its answer, never a throw. */
  private run(fn: unknown, arg: string, deadline: number): string {
    this.realm.deadline(deadline)
    try {
      return this.realm.call(fn, arg) ?? 'H'
    } catch {
      // The bootstrap catches everything Python raises: a throw is the interpreter's own failure
      // (or the deadline landing outside Python code).
      return Date.now() > deadline ? 'T' : 'H'
    } finally {
      this.realm.deadline(Infinity)
    }
  }

  private failure(error: PythonError, logs: string, requestId: string): CallOutcome {
    const trace = error.stackTrace.slice(0, MAX_TRACE_LINES)
    // AWS's Python runtime logs the failure as one [ERROR] line with the traceback after it.
    const line = `[ERROR] ${error.errorType}: ${error.errorMessage}\nTraceback (most recent call last):\n${trace.join('')}`
    return {
      ok: false,
      code: 'FUNCTION_UNHANDLED',
      message: error.errorMessage,
      fields: { errorType: error.errorType, stackTrace: JSON.stringify(trace), requestId },
      ...logsOf(logs + (line.endsWith('\n') ? line : `${line}\n`))
    }
  }

  /** T, M, X or H: the container ends with this call. */
  private broken(answer: string, logs: string, timeoutMs: number): ContainerBroken {
    const why: Broken =
      answer[0] === 'T'
        ? 'timeout'
        : answer[0] === 'M'
          ? 'memory'
          : answer[0] === 'X'
            ? 'exit'
            : 'host'
    if (why === 'exit') {
      const error = parseError(answer.slice(1))
      return new ContainerBroken(
        {
          ok: false,
          code: 'FUNCTION_UNHANDLED',
          message: error.errorMessage,
          fields: { errorType: error.errorType, stackTrace: '[]', requestId: '' },
          ...logsOf(logs)
        },
        'exit'
      )
    }
    const error =
      why === 'timeout'
        ? FUNCTION_TIMEOUT(timeoutMs)
        : why === 'memory'
          ? FUNCTION_MEMORY_LIMIT(this.spec.memoryMb * 16, 'the Python heap is full')
          : null
    const outcome: CallOutcome =
      error === null
        ? {
            ok: false,
            code: 'FUNCTION_TRAP',
            message: 'The function trapped: the Python interpreter failed',
            ...logsOf(logs)
          }
        : { ok: false, code: error.code, message: error.message, ...logsOf(logs) }
    return new ContainerBroken(outcome, why)
  }
}

/** The bootstrap's error JSON (it made it: a parse failure is a host failure). */
function parseError(text: string): PythonError {
  const value = JSON.parse(text) as Partial<PythonError>
  return {
    errorMessage: String(value.errorMessage ?? ''),
    errorType: String(value.errorType ?? 'Exception'),
    stackTrace: Array.isArray(value.stackTrace) ? value.stackTrace.map(String) : []
  }
}

/** A call's log, capped as AWS caps it (the newest bytes kept). */
function logsOf(text: string): { logs?: string } {
  if (text === '') return {}
  return { logs: text.length > MAX_LOG_BYTES ? text.slice(text.length - MAX_LOG_BYTES) : text }
}
