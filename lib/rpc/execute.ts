import { INVALID_PARAMETER, INVALID_REQUEST } from '../errors.js'
import type { FunctionService } from '../registry/functions.js'
import { MAX_MEMORY_MB, MAX_TIMEOUT_MS } from '../registry/settings.js'
import { performance } from 'node:perf_hooks'
import type { Logger } from 'pino'
import { logFunction } from '../scheduler/executors.js'
import type { WasmPool } from '../executor/pool.js'
import type { ExecuteRequest } from '../wire/rpc.js'
import type { ExecuteResult } from './peer-rpc.js'

/**
 * The `execute` responder: runs a member's shard on this edge's pool. The module is named by
 * sha256 and comes from the replicated registry (verified, compiled once per hash and memory
 * cap); limits are checked as if the request came from a client. Errors propagate as coded
 * errors (PeerRpc turns them into replies, and adds the request's token to an answer).
 */
export function executeShard(
  functions: FunctionService,
  pool: WasmPool,
  log: Logger,
  caps: { maxTimeoutMs: number; maxMemoryMb: number } = {
    maxTimeoutMs: MAX_TIMEOUT_MS,
    maxMemoryMb: MAX_MEMORY_MB
  }
): (request: ExecuteRequest) => Promise<ExecuteResult> {
  return async (request) => {
    const started = performance.now()
    const line = { requestId: request.requestId, module: request.sha256.slice(0, 16) }
    try {
      const result = await run(request)
      log.info(
        { ...line, micros: result.micros, ms: elapsed(started), outcome: 'ok' },
        'member shard'
      )
      return result
    } catch (err) {
      const code = (err as { code?: unknown }).code
      log.info({ ...line, ms: elapsed(started), outcome: code ?? 'INTERNAL' }, 'member shard')
      throw err
    }
  }

  async function run(request: ExecuteRequest): Promise<ExecuteResult> {
    if (request.memoryMb < 1 || request.memoryMb > MAX_MEMORY_MB) {
      throw INVALID_PARAMETER('memory', `must be from 1 to ${MAX_MEMORY_MB} MB`)
    }
    if (request.timeoutMs < 1 || request.timeoutMs > MAX_TIMEOUT_MS) {
      throw INVALID_PARAMETER('timeout', `must be from 1 to ${MAX_TIMEOUT_MS} ms`)
    }
    // This edge's caps hold for what it runs for members too.
    const memoryMb = Math.min(request.memoryMb, caps.maxMemoryMb)
    const timeoutMs = Math.min(request.timeoutMs, caps.maxTimeoutMs)
    const js = request.config ?? null
    const fn = await functions.executable(request.sha256, memoryMb, js)
    if (fn.abi !== request.abi) {
      throw INVALID_REQUEST(
        `code ${request.sha256} has ABI ${fn.abi}, the shard says ${request.abi}`
      )
    }
    const { requestId } = request
    const context = {
      requestId,
      functionVersion: js?.version ?? '$LATEST',
      invokedFunctionArn: js?.invokedArn ?? ''
    }
    const invocation = { requestId, functionName: js?.functionName ?? request.sha256.slice(0, 16) }
    let out
    try {
      out = await pool.run(fn, { input: request.input, timeoutMs, context })
    } catch (err) {
      logFunction(log, invocation, (err as { logs?: string }).logs)
      throw err
    }
    logFunction(log, invocation, out.logs)
    return {
      result: out.result,
      micros: out.micros,
      output: out.output ?? null,
      payload: out.payload ?? null,
      ...(out.logs === undefined ? {} : { logs: out.logs })
    }
  }
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 1000) / 1000
}
