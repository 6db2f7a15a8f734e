import { INVALID_PARAMETER } from '../errors.js'
import { ENGINE_MIN_PAGES } from '../runtimes/js/engine.js'
import { DEFAULT_NODE_RUNTIME, NODE_RUNTIMES, parseHandler } from '../runtimes/js/function.js'
import {
  DEFAULT_PYTHON_HANDLER,
  DEFAULT_PYTHON_RUNTIME,
  isPythonRuntime,
  parsePythonHandler,
  PYTHON_RUNTIMES
} from '../runtimes/python/function.js'
import { PAGES_PER_MB } from '../wasm/policy.js'
import { REDUCERS, type FunctionRecord, type Reduce } from '../wire/function-record.js'
import { checkEnvironment } from './environment.js'

/**
 * A function's settings from either API, checked against an edge's caps with defaults filled
 * in: what a deploy or an update stores, and the limits every edge applies.
 */

export const DEFAULT_TIMEOUT_MS = 3_000
export const MAX_TIMEOUT_MS = 900_000 // AWS's own ceiling: 15 minutes
export const DEFAULT_MEMORY_MB = 128
export const MAX_MEMORY_MB = 4_095 // wasm32 addresses 4 GiB, less one page
/** A header is parameters, sent with every shard: it must stay small. */
export const MAX_HEADER_ITEMS = 1_024
/** The smallest memory a JS function can have: QuickJS's own floor. */
export const MIN_JS_MEMORY_MB = ENGINE_MIN_PAGES / PAGES_PER_MB
const NAME = /^[a-zA-Z0-9_-]{1,64}$/

/** The languages whose code is a package of source files. */
export type Language = 'nodejs' | 'python'

/** A function's code: a Wasm module, or the files of a JS or Python package. */
export type Code = { wasm: Uint8Array } | { files: Map<string, string>; language: Language }

/** The least memory a Python function may have: its interpreter starts at 21 MB. */
export const MIN_PYTHON_MEMORY_MB = 64

/** A function's settings, from either API, parsed but not yet checked. */
export interface Settings {
  reduce?: Reduce | undefined
  timeoutMs?: number | undefined
  memoryMb?: number | undefined
  headerItems?: number | undefined
  concurrency?: number | undefined
  maxDatasetItems?: number | undefined
  runtime?: string | undefined
  role?: string | undefined
  handler?: string | undefined
  description?: string | undefined
  environment?: Record<string, string> | undefined
}

/** Settings checked, defaults filled in, but the reducer's and the handler's: those depend on
 * what the code turns out to be (JS, one of our ABIs, a WASI command). */
export type Settled = Omit<Required<Settings>, 'reduce' | 'handler'> & {
  reduce: Reduce | undefined
  handler: string | undefined
}

/** This edge's caps on what a function may have (see Config). */
export interface FunctionCaps {
  maxTimeoutMs: number
  maxMemoryMb: number
  maxDatasetItems: number
  maxConcurrency: number
}

export const NO_CAPS: FunctionCaps = {
  maxTimeoutMs: MAX_TIMEOUT_MS,
  maxMemoryMb: MAX_MEMORY_MB,
  maxDatasetItems: Number.MAX_SAFE_INTEGER,
  maxConcurrency: Number.MAX_SAFE_INTEGER
}

/** Settings checked against an edge's caps, defaults filled in (but those of `Settled`). */
export function settle(settings: Settings, code: Code, caps: FunctionCaps): Settled {
  const { maxTimeoutMs, maxMemoryMb } = caps
  const language = 'files' in code ? code.language : null
  const js = language === 'nodejs'
  const timeoutMs = settings.timeoutMs ?? Math.min(DEFAULT_TIMEOUT_MS, maxTimeoutMs)
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > maxTimeoutMs) {
    throw INVALID_PARAMETER('timeout', `must be an integer from 1 to ${maxTimeoutMs} ms here`)
  }
  const memoryMb = settings.memoryMb ?? Math.min(DEFAULT_MEMORY_MB, maxMemoryMb)
  const minMemoryMb = js ? MIN_JS_MEMORY_MB : language === 'python' ? MIN_PYTHON_MEMORY_MB : 1
  if (!Number.isInteger(memoryMb) || memoryMb < minMemoryMb || memoryMb > maxMemoryMb) {
    const why = js
      ? ' (a JS engine needs 16 MB)'
      : language === 'python'
        ? ' (Python needs 64 MB)'
        : ''
    throw INVALID_PARAMETER(
      'memory',
      `must be an integer from ${minMemoryMb} to ${maxMemoryMb} MB here${why}`
    )
  }
  const headerItems = settings.headerItems ?? 0
  if (!Number.isInteger(headerItems) || headerItems < 0 || headerItems > MAX_HEADER_ITEMS) {
    throw INVALID_PARAMETER('headerItems', `must be an integer from 0 to ${MAX_HEADER_ITEMS}`)
  }
  if (settings.reduce !== undefined && !REDUCERS.includes(settings.reduce)) {
    throw INVALID_PARAMETER('reduce', `must be one of ${REDUCERS.join(', ')}`)
  }
  const runtime =
    settings.runtime ??
    (js ? DEFAULT_NODE_RUNTIME : language === 'python' ? DEFAULT_PYTHON_RUNTIME : 'provided.al2023')
  if (js && !(NODE_RUNTIMES as readonly string[]).includes(runtime)) {
    throw INVALID_PARAMETER('Runtime', `must be one of ${NODE_RUNTIMES.join(', ')} for JS code`)
  }
  if (language === 'python' && !isPythonRuntime(runtime)) {
    throw INVALID_PARAMETER(
      'Runtime',
      `must be one of ${PYTHON_RUNTIMES.join(', ')} for Python code`
    )
  }
  const handler =
    settings.handler ??
    (js ? 'index.handler' : language === 'python' ? DEFAULT_PYTHON_HANDLER : undefined)
  if (handler !== undefined && js) parseHandler(handler)
  if (handler !== undefined && language === 'python') parsePythonHandler(handler)
  return {
    // Defaults that depend on what the code turns out to be are the store's (a WASI command,
    // say, is only known once validated).
    reduce: settings.reduce,
    timeoutMs,
    memoryMb,
    headerItems,
    concurrency: checkLimit('concurrency', settings.concurrency, caps.maxConcurrency),
    maxDatasetItems: checkLimit('maxDatasetItems', settings.maxDatasetItems, caps.maxDatasetItems),
    runtime,
    role: settings.role ?? '',
    handler,
    description: settings.description ?? '',
    environment: checkEnvironment(settings.environment ?? {})
  }
}

/** The settings a record was stored with (what an update starts from). */
export function settingsOf(record: FunctionRecord): Settings {
  const { reduce, timeoutMs, memoryMb, headerItems, concurrency, maxDatasetItems } = record
  const { runtime, role, handler, description, environment } = record
  return {
    ...{ reduce, timeoutMs, memoryMb, headerItems, concurrency, maxDatasetItems },
    ...{ runtime, role, handler, description, environment }
  }
}

/** An optional limit from 0 (none of its own) to the edge's cap. */
export function checkLimit(name: string, value: number | undefined, cap: number): number {
  const limit = value ?? 0
  if (!Number.isInteger(limit) || limit < 0 || limit > cap) {
    throw INVALID_PARAMETER(name, `must be an integer from 0 (no limit of its own) to ${cap}`)
  }
  return limit
}
export function checkName(name: string): void {
  if (!NAME.test(name)) {
    throw INVALID_PARAMETER(
      'function name',
      `"${name.slice(0, 80)}" must be 1-64 letters, digits, - or _`
    )
  }
}
