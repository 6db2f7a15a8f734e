/**
 * The one catalogue of coded errors. Every error the platform raises is a SwarmError with a
 * stable `code`; the table below makes the compiler demand an HTTP status and an AWS error type
 * for each code, so the gateway can map any error to a response in exactly one place.
 */

/** Where an error belongs when it reaches a client. */
export type ErrorKind =
  /** The request or the module was refused before anything ran. */
  | 'client'
  /** The function itself failed (trap, timeout, memory cap): AWS reports these as function errors. */
  | 'function'
  /** The platform failed; the same call may succeed elsewhere or later. */
  | 'service'

interface CodeInfo {
  status: number
  awsType: string
  kind: ErrorKind
}

const CODES = {
  // Module policy: refused at deploy, before a module ever runs.
  WASM_INVALID: { status: 400, awsType: 'InvalidParameterValueException', kind: 'client' },
  WASM_UNSUPPORTED: { status: 400, awsType: 'InvalidParameterValueException', kind: 'client' },
  WASM_FORBIDDEN_IMPORT: { status: 400, awsType: 'InvalidParameterValueException', kind: 'client' },
  WASM_IMPORTED_MEMORY: { status: 400, awsType: 'InvalidParameterValueException', kind: 'client' },
  WASM_SHARED_MEMORY: { status: 400, awsType: 'InvalidParameterValueException', kind: 'client' },
  WASM_START_SECTION: { status: 400, awsType: 'InvalidParameterValueException', kind: 'client' },
  WASM_MISSING_EXPORT: { status: 400, awsType: 'InvalidParameterValueException', kind: 'client' },
  WASM_BAD_SIGNATURE: { status: 400, awsType: 'InvalidParameterValueException', kind: 'client' },
  WASM_MEMORY_TOO_LARGE: { status: 400, awsType: 'InvalidParameterValueException', kind: 'client' },
  INVALID_LIMIT: { status: 400, awsType: 'InvalidParameterValueException', kind: 'client' },
  // A JS function whose handler does not load (syntax, missing file or export): refused at deploy.
  JS_INVALID: { status: 400, awsType: 'InvalidParameterValueException', kind: 'client' },
  INVALID_DATASET: { status: 400, awsType: 'InvalidRequestContentException', kind: 'client' },

  // Requests: refused by the gateway before anything runs.
  INVALID_PARAMETER: { status: 400, awsType: 'InvalidParameterValueException', kind: 'client' },
  /** EventBridge Scheduler's own name for a refused request (an expression, a date, a target). */
  SCHEDULE_INVALID: { status: 400, awsType: 'ValidationException', kind: 'client' },
  SCHEDULE_CONFLICT: { status: 409, awsType: 'ConflictException', kind: 'client' },
  INVALID_REQUEST: { status: 400, awsType: 'InvalidRequestContentException', kind: 'client' },
  REQUEST_TOO_LARGE: { status: 413, awsType: 'RequestTooLargeException', kind: 'client' },
  DATASET_TOO_LARGE: { status: 413, awsType: 'RequestTooLargeException', kind: 'client' },
  TOO_MANY_REQUESTS: { status: 429, awsType: 'TooManyRequestsException', kind: 'client' },
  FUNCTION_NOT_FOUND: { status: 404, awsType: 'ResourceNotFoundException', kind: 'client' },
  FUNCTION_EXISTS: { status: 409, awsType: 'ResourceConflictException', kind: 'client' },
  JOB_NOT_FOUND: { status: 404, awsType: 'ResourceNotFoundException', kind: 'client' },
  // Versions, aliases and function URLs (lib/registry/versions.ts, aliases.ts, urls.ts).
  RESOURCE_NOT_FOUND: { status: 404, awsType: 'ResourceNotFoundException', kind: 'client' },
  RESOURCE_CONFLICT: { status: 409, awsType: 'ResourceConflictException', kind: 'client' },
  PRECONDITION_FAILED: { status: 412, awsType: 'PreconditionFailedException', kind: 'client' },
  // Async work no member held in time: not accepted (and never run); the client may retry.
  ASYNC_NOT_REPLICATED: { status: 503, awsType: 'ServiceException', kind: 'service' },
  // No member could give a version number (the allocator is away): the publish may be retried.
  VERSION_UNAVAILABLE: { status: 503, awsType: 'ServiceException', kind: 'service' },
  UNKNOWN_OPERATION: { status: 404, awsType: 'UnknownOperationException', kind: 'client' },
  METHOD_NOT_ALLOWED: { status: 405, awsType: 'MethodNotAllowedException', kind: 'client' },

  // Credentials: the edge has access keys and the request did not prove one.
  MISSING_AUTHENTICATION: {
    status: 403,
    awsType: 'MissingAuthenticationTokenException',
    kind: 'client'
  },
  UNRECOGNIZED_CLIENT: { status: 403, awsType: 'UnrecognizedClientException', kind: 'client' },
  INVALID_SIGNATURE: { status: 403, awsType: 'InvalidSignatureException', kind: 'client' },
  SIGNATURE_EXPIRED: { status: 403, awsType: 'InvalidSignatureException', kind: 'client' },
  ACCESS_DENIED: { status: 403, awsType: 'AccessDeniedException', kind: 'client' },

  // Function errors: the call ran and the function failed. Never retried, never a number.
  FUNCTION_TRAP: { status: 200, awsType: 'Runtime.Trap', kind: 'function' },
  FUNCTION_TIMEOUT: { status: 200, awsType: 'Sandbox.Timedout', kind: 'function' },
  FUNCTION_MEMORY_LIMIT: { status: 200, awsType: 'Runtime.OutOfMemory', kind: 'function' },
  FUNCTION_BAD_OUTPUT: { status: 200, awsType: 'Runtime.InvalidOutput', kind: 'function' },
  // A WASI command exited with a code other than 0.
  FUNCTION_EXIT: { status: 200, awsType: 'Runtime.ExitError', kind: 'function' },
  // A JS handler threw or rejected (its own errorType, e.g. TypeError, travels in `fields`).
  FUNCTION_UNHANDLED: { status: 200, awsType: 'Error', kind: 'function' },

  // Executor failures: not the function's fault.
  EXECUTOR_CLOSED: { status: 503, awsType: 'ServiceException', kind: 'service' },
  EXECUTOR_WORKER_FAILED: { status: 500, awsType: 'ServiceException', kind: 'service' },
  MODULE_NOT_LOADED: { status: 500, awsType: 'ServiceException', kind: 'service' },

  // Members: a request to another edge did not get an answer.
  PEER_UNAVAILABLE: { status: 503, awsType: 'ServiceException', kind: 'service' },
  PEER_TIMEOUT: { status: 504, awsType: 'ServiceException', kind: 'service' },
  PEER_FAILED: { status: 502, awsType: 'ServiceException', kind: 'service' },
  MESSAGE_TOO_LARGE: { status: 500, awsType: 'ServiceException', kind: 'service' },
  // The proxy: no edge to send a request to.
  NO_HEALTHY_EDGE: { status: 503, awsType: 'ServiceException', kind: 'service' },
  EDGE_UNREACHABLE: { status: 502, awsType: 'ServiceException', kind: 'service' },
  // No shard of an invocation answered before its deadline.
  INVOCATION_TIMEOUT: { status: 504, awsType: 'ServiceException', kind: 'service' },

  // The edge itself.
  EDGE_CLOSING: { status: 503, awsType: 'ServiceException', kind: 'service' },
  WIRE_INVALID: { status: 500, awsType: 'ServiceException', kind: 'service' },
  WASM_CORRUPT: { status: 500, awsType: 'ServiceException', kind: 'service' },
  WASM_UNAVAILABLE: { status: 503, awsType: 'ServiceException', kind: 'service' },
  INTERNAL: { status: 500, awsType: 'ServiceException', kind: 'service' }
} as const satisfies Record<string, CodeInfo>

/** Every error code the platform knows. */
export type ErrorCode = keyof typeof CODES

/** A coded platform error; `status`, `awsType` and `kind` come from the catalogue. */
export class SwarmError extends Error {
  readonly code: ErrorCode
  readonly status: number
  readonly awsType: string
  readonly kind: ErrorKind
  /**
   * Fields AWS puts in this error's body beyond the message (e.g. a throttle's `Reason`; a JS
   * function error's `errorType` and `trace`, the trace as a JSON array of lines).
   */
  readonly fields: Readonly<Record<string, string>>
  /** The log lines the failed call wrote, when it wrote any (for X-Amz-Log-Type: Tail). */
  readonly logs: string | undefined

  constructor(
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; fields?: Record<string, string>; logs?: string | undefined }
  ) {
    super(message, options)
    this.fields = options?.fields ?? {}
    this.logs = options?.logs
    this.name = 'SwarmError'
    this.code = code
    const info: CodeInfo = CODES[code]
    this.status = info.status
    this.awsType = info.awsType
    this.kind = info.kind
  }
}

/** True when an error is the function's own fault (trap, timeout, memory cap, bad output). */
export function isFunctionError(err: unknown): err is SwarmError {
  return err instanceof SwarmError && err.kind === 'function'
}

/** True for a code in the catalogue (e.g. one received from a member). */
export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(CODES, code)
}

/** Rebuilds a SwarmError from its code and message, e.g. after a worker or RPC hop. */
export function fromCode(
  code: ErrorCode,
  message: string,
  extra?: { fields?: Record<string, string> | undefined; logs?: string | undefined }
): SwarmError {
  return new SwarmError(code, message, {
    ...(extra?.fields === undefined ? {} : { fields: extra.fields }),
    logs: extra?.logs
  })
}

// Factories: one per code, so call sites read as what went wrong.

export const WASM_INVALID = (why: string, cause?: unknown) =>
  new SwarmError('WASM_INVALID', `Not a valid WebAssembly module: ${why}`, { cause })
export const WASM_UNSUPPORTED = (what: string) =>
  new SwarmError('WASM_UNSUPPORTED', `Unsupported WebAssembly feature: ${what}`)
export const WASM_FORBIDDEN_IMPORT = (module: string, name: string, kind: string) =>
  new SwarmError(
    'WASM_FORBIDDEN_IMPORT',
    `Import "${module}"."${name}" (${kind}) is not allowed: functions may import nothing that is not allow-listed`
  )
export const WASM_IMPORTED_MEMORY = (module: string, name: string) =>
  new SwarmError(
    'WASM_IMPORTED_MEMORY',
    `Memory import "${module}"."${name}" is not allowed: a function must define its own memory`
  )
export const WASM_SHARED_MEMORY = () =>
  new SwarmError('WASM_SHARED_MEMORY', 'Shared memory is not allowed')
export const WASM_START_SECTION = () =>
  new SwarmError(
    'WASM_START_SECTION',
    'A start section is not allowed: export an "_initialize" function instead'
  )
export const WASM_MISSING_EXPORT = (name: string, abi: string) =>
  new SwarmError('WASM_MISSING_EXPORT', `ABI ${abi} requires an export named "${name}"`)
export const WASM_BAD_SIGNATURE = (name: string, expected: string, actual: string) =>
  new SwarmError(
    'WASM_BAD_SIGNATURE',
    `Export "${name}" must be ${expected}, but the module declares ${actual}`
  )
export const WASM_MEMORY_TOO_LARGE = (initialPages: number, capPages: number) =>
  new SwarmError(
    'WASM_MEMORY_TOO_LARGE',
    `The module's initial memory (${initialPages} pages) exceeds the function's memory limit (${capPages} pages)`
  )
export const JS_INVALID = (why: string) =>
  new SwarmError('JS_INVALID', `The function's code does not load: ${why}`)
export const INVALID_LIMIT = (name: string, why: string) =>
  new SwarmError('INVALID_LIMIT', `Invalid ${name}: ${why}`)

export const INVALID_DATASET = (why: string) =>
  new SwarmError('INVALID_DATASET', `Invalid dataset: ${why}`)

export const FUNCTION_TRAP = (message: string) =>
  new SwarmError('FUNCTION_TRAP', `The function trapped: ${message}`)
export const FUNCTION_TIMEOUT = (timeoutMs: number) =>
  new SwarmError('FUNCTION_TIMEOUT', `The function timed out after ${timeoutMs} ms`)
export const FUNCTION_MEMORY_LIMIT = (capPages: number, detail: string) =>
  new SwarmError(
    'FUNCTION_MEMORY_LIMIT',
    `The function hit its memory limit of ${capPages} pages (${capPages * 64} KiB): ${detail}`
  )
export const FUNCTION_EXIT = (code: number, stderr: string) =>
  new SwarmError(
    'FUNCTION_EXIT',
    `Runtime exited with error: exit status ${code}${stderr === '' ? '' : `\n${stderr}`}`
  )
export const FUNCTION_BAD_OUTPUT = (why: string) =>
  new SwarmError('FUNCTION_BAD_OUTPUT', `The function's output is invalid: ${why}`)

export const EXECUTOR_CLOSED = () => new SwarmError('EXECUTOR_CLOSED', 'The executor is closed')
export const EXECUTOR_WORKER_FAILED = (why: string, cause?: unknown) =>
  new SwarmError('EXECUTOR_WORKER_FAILED', `An executor worker failed: ${why}`, { cause })
export const MODULE_NOT_LOADED = (sha256: string) =>
  new SwarmError('MODULE_NOT_LOADED', `Module ${sha256} is not loaded in this worker`)

export const INVALID_PARAMETER = (name: string, why: string) =>
  new SwarmError('INVALID_PARAMETER', `Invalid ${name}: ${why}`)
export const INVALID_REQUEST = (why: string, cause?: unknown) =>
  new SwarmError('INVALID_REQUEST', `Invalid request: ${why}`, { cause })
export const REQUEST_TOO_LARGE = (limit: number) =>
  new SwarmError('REQUEST_TOO_LARGE', `The request body is over the ${limit}-byte limit`)
export const DATASET_TOO_LARGE = (items: number, limit: number, whose: string) =>
  new SwarmError(
    'DATASET_TOO_LARGE',
    `The dataset has ${items} items, over ${whose} limit of ${limit}`
  )
/** Seconds a throttled client is told to wait (Retry-After). */
export const RETRY_AFTER_SECONDS = 1
export const TOO_MANY_REQUESTS = (scope: 'function' | 'edge', name: string, limit: number) =>
  new SwarmError(
    'TOO_MANY_REQUESTS',
    scope === 'function'
      ? `Rate exceeded: ${name} already runs ${limit} invocations at once here (its reserved concurrency)`
      : `Rate exceeded: this edge already runs ${limit} invocations at once`,
    {
      fields: {
        Reason:
          scope === 'function'
            ? 'ReservedFunctionConcurrentInvocationLimitExceeded'
            : 'ConcurrentInvocationLimitExceeded'
      }
    }
  )
export const FUNCTION_NOT_FOUND = (name: string) =>
  new SwarmError('FUNCTION_NOT_FOUND', `Function not found: ${name}`)
export const FUNCTION_EXISTS = (name: string) =>
  new SwarmError('FUNCTION_EXISTS', `Function already exist: ${name}`)
export const RESOURCE_NOT_FOUND = (what: string) =>
  new SwarmError('RESOURCE_NOT_FOUND', `${what} not found`)
export const RESOURCE_CONFLICT = (why: string) => new SwarmError('RESOURCE_CONFLICT', why)
export const PRECONDITION_FAILED = (why: string) => new SwarmError('PRECONDITION_FAILED', why)
export const VERSION_UNAVAILABLE = (name: string, cause: unknown) =>
  new SwarmError(
    'VERSION_UNAVAILABLE',
    `No version number could be allocated for ${name} now (the member that allocates them did not answer); retry`,
    { cause }
  )
export const ASYNC_NOT_REPLICATED = (ms: number) =>
  new SwarmError(
    'ASYNC_NOT_REPLICATED',
    `The invocation was not accepted: no member held it within ${ms} ms; retry`
  )
export const JOB_NOT_FOUND = (id: string) => new SwarmError('JOB_NOT_FOUND', `Job not found: ${id}`)
export const UNKNOWN_OPERATION = (method: string, path: string) =>
  new SwarmError('UNKNOWN_OPERATION', `No operation at ${method} ${path}`)
export const METHOD_NOT_ALLOWED = (method: string, path: string, allowed: readonly string[]) =>
  new SwarmError(
    'METHOD_NOT_ALLOWED',
    `${method} is not allowed on ${path} (allowed: ${allowed.join(', ')})`
  )

export const SCHEDULE_INVALID = (field: string, why: string) =>
  new SwarmError('SCHEDULE_INVALID', `Invalid ${field}: ${why}`)
export const SCHEDULE_CONFLICT = (why: string) => new SwarmError('SCHEDULE_CONFLICT', why)

export const MISSING_AUTHENTICATION = () =>
  new SwarmError(
    'MISSING_AUTHENTICATION',
    'Missing authentication: sign the request with AWS SigV4 or send Authorization: Bearer ID:SECRET'
  )
export const UNRECOGNIZED_CLIENT = () =>
  new SwarmError('UNRECOGNIZED_CLIENT', 'The security token included in the request is invalid.')
export const INVALID_SIGNATURE = (why: string) =>
  new SwarmError('INVALID_SIGNATURE', `The request signature is not valid: ${why}`)
export const SIGNATURE_EXPIRED = (amzDate: string) =>
  new SwarmError(
    'SIGNATURE_EXPIRED',
    `Signature expired: ${amzDate} is more than 5 minutes away from the edge's clock`
  )
export const ACCESS_DENIED = (why: string) =>
  new SwarmError('ACCESS_DENIED', `Access denied: ${why}`)

export const PEER_UNAVAILABLE = (peer: string, cause?: unknown) =>
  new SwarmError('PEER_UNAVAILABLE', `Member ${peer} is not connected`, { cause })
export const PEER_TIMEOUT = (peer: string, method: string, ms: number) =>
  new SwarmError('PEER_TIMEOUT', `Member ${peer} did not answer ${method} within ${ms} ms`)
export const PEER_FAILED = (peer: string, method: string, cause: unknown) =>
  new SwarmError('PEER_FAILED', `Member ${peer} failed ${method}: ${String(cause)}`, { cause })
export const MESSAGE_TOO_LARGE = (what: string, bytes: number, limit: number) =>
  new SwarmError(
    'MESSAGE_TOO_LARGE',
    `${what} takes ${bytes} bytes; a message carries ${limit} at most`
  )
export const INVOCATION_TIMEOUT = (name: string, failures: readonly string[]) =>
  new SwarmError(
    'INVOCATION_TIMEOUT',
    `No shard of ${name} answered before the deadline` +
      (failures.length > 0 ? ` (failures: ${failures.join(', ')})` : '')
  )
export const NO_HEALTHY_EDGE = () =>
  new SwarmError('NO_HEALTHY_EDGE', 'No edge of the mesh is healthy; try again shortly')
export const EDGE_UNREACHABLE = (tried: number) =>
  new SwarmError('EDGE_UNREACHABLE', `The request reached no edge (${tried} tried)`)
export const EDGE_CLOSING = () => new SwarmError('EDGE_CLOSING', 'The edge is shutting down')
export const WIRE_INVALID = (why: string) =>
  new SwarmError('WIRE_INVALID', `A stored or received record is malformed: ${why}`)
export const WASM_CORRUPT = (sha256: string) =>
  new SwarmError('WASM_CORRUPT', `Stored module bytes do not match their sha256 ${sha256}`)
export const WASM_UNAVAILABLE = (sha256: string) =>
  new SwarmError(
    'WASM_UNAVAILABLE',
    `Module ${sha256} is not stored here and no member in reach has it`
  )
export const INTERNAL = (cause: unknown) => new SwarmError('INTERNAL', 'Internal error', { cause })
