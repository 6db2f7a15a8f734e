import c from 'compact-encoding'
import { WIRE_INVALID } from '../errors.js'
import { enumIndex, enumValue, versioned } from './codec.js'
import { ABIS, environment } from './function-record.js'

/** What members tell each other over RPC: who they are, their writers, and shards to run. */

/** What a member says about itself over RPC (`info`), and again on every heartbeat. */
export interface NodeInfo {
  name: string
  region: string
  /** Base URL of its HTTP gateway. */
  httpUrl: string
  /** Calls queued or running on its executor: a load figure for placement. */
  load: number
  /** Executor workers: how many shards it runs at once. */
  workers: number
  /** ms since the epoch when it started. */
  startedAt: number
  /** Its DHT node's address, `host:port` ('' for none): what others bootstrap from to rejoin. */
  dht: string
}

const NODE_INFO_VERSION = 3

/** NodeInfo, version 3 (2 added workers, 3 the DHT address; version 2 still reads, dht ''). */
export const nodeInfo: c.Encoder<NodeInfo> = {
  preencode(state, i) {
    c.uint.preencode(state, NODE_INFO_VERSION)
    c.string.preencode(state, i.name)
    c.string.preencode(state, i.region)
    c.string.preencode(state, i.httpUrl)
    c.uint.preencode(state, i.load)
    c.uint.preencode(state, i.workers)
    c.uint.preencode(state, i.startedAt)
    c.string.preencode(state, i.dht)
  },
  encode(state, i) {
    c.uint.encode(state, NODE_INFO_VERSION)
    c.string.encode(state, i.name)
    c.string.encode(state, i.region)
    c.string.encode(state, i.httpUrl)
    c.uint.encode(state, i.load)
    c.uint.encode(state, i.workers)
    c.uint.encode(state, i.startedAt)
    c.string.encode(state, i.dht)
  },
  decode(state) {
    const version = c.uint.decode(state)
    if (version !== 2 && version !== NODE_INFO_VERSION) {
      throw WIRE_INVALID(`node info version ${version}`)
    }
    return {
      name: c.string.decode(state),
      region: c.string.decode(state),
      httpUrl: c.string.decode(state),
      load: c.uint.decode(state),
      workers: c.uint.decode(state),
      startedAt: c.uint.decode(state),
      dht: version === 2 ? '' : c.string.decode(state)
    }
  }
}

/** The registry writers a member knows (bee keys), its own first. */
export const writerKeys: c.Encoder<Uint8Array[]> = versioned(1, 'writer list', c.array(c.fixed32))

/** A shard sent to a member: the module by hash (never its bytes), limits and the input. */
export interface ExecuteRequest {
  /** Random per attempt; the reply must carry it back (a reply without it is not this shard's). */
  token: Uint8Array
  /** sha256 (hex) of the module as uploaded. */
  sha256: string
  abi: (typeof ABIS)[number]
  memoryMb: number
  /** How long the call may run once started (the function's timeout, capped by the deadline). */
  timeoutMs: number
  /** v1: the shard's integers; v2: the payload bytes. */
  input: Int32Array | Uint8Array
  /** The invocation's request id, for the member's log line. */
  requestId: string
  /**
   * A configured function's settings (JS or WASI: its code is `sha256`); null or absent for a
   * module of our own ABIs.
   */
  config?: ShardConfig | null
}

/** What a member needs to run a shard of a JS or WASI function besides the code's hash. */
export interface ShardConfig {
  /** Which runtime runs the code. */
  kind: 'nodejs' | 'wasi' | 'python'
  functionName: string
  /** The AWS runtime name (nodejs20.x, ...). */
  runtime: string
  handler: string
  environment: Record<string, string>
  /** The ARN the client invoked (the handler's context.invokedFunctionArn). */
  invokedArn: string
  /** The version that runs: `$LATEST` or a published number (AWS_LAMBDA_FUNCTION_VERSION). */
  version: string
}

const CONFIG_KINDS = ['nodejs', 'wasi', 'python'] as const

/** ShardConfig; `version` is absent from what a version 3 request carries. */
const shardConfig = (requestVersion: number): c.Encoder<ShardConfig> => ({
  preencode(state, js) {
    c.uint.preencode(state, enumIndex(CONFIG_KINDS, js.kind))
    c.string.preencode(state, js.functionName)
    c.string.preencode(state, js.runtime)
    c.string.preencode(state, js.handler)
    environment.preencode(state, js.environment)
    c.string.preencode(state, js.invokedArn)
    c.string.preencode(state, js.version)
  },
  encode(state, js) {
    c.uint.encode(state, enumIndex(CONFIG_KINDS, js.kind))
    c.string.encode(state, js.functionName)
    c.string.encode(state, js.runtime)
    c.string.encode(state, js.handler)
    environment.encode(state, js.environment)
    c.string.encode(state, js.invokedArn)
    c.string.encode(state, js.version)
  },
  decode(state) {
    return {
      kind: enumValue(CONFIG_KINDS, c.uint.decode(state), 'runtime'),
      functionName: c.string.decode(state),
      runtime: c.string.decode(state),
      handler: c.string.decode(state),
      environment: environment.decode(state),
      invokedArn: c.string.decode(state),
      version: requestVersion < 4 ? '$LATEST' : c.string.decode(state)
    }
  }
})
const SHARD_CONFIG = shardConfig(4)

/** A shard's outcome: the call's result, or the coded error that stopped it. */
export type ExecuteReply =
  | {
      ok: true
      /** The request's token. */
      token: Uint8Array
      /** v1: execute's i32; v2: the output's byte length. */
      result: number
      micros: number
      output: Int32Array | null
      payload: Uint8Array | null
      /** The function's log lines (absent or '' when none). */
      logs?: string
    }
  | {
      ok: false
      code: string
      message: string
      fields?: Record<string, string>
      logs?: string
    }

/**
 * ExecuteRequest, version 4 (version 2 added requestId, 3 a JS or WASI function's settings, 4
 * the function version that runs); reads version 3.
 */
const EXECUTE_REQUEST_VERSION = 4
export const executeRequest: c.Encoder<ExecuteRequest> = {
  preencode(state, r) {
    c.uint.preencode(state, EXECUTE_REQUEST_VERSION)
    c.fixed(16).preencode(state, r.token)
    c.string.preencode(state, r.requestId)
    c.fixed32.preencode(state, Buffer.from(r.sha256, 'hex'))
    c.uint.preencode(state, enumIndex(ABIS, r.abi))
    c.uint.preencode(state, r.memoryMb)
    c.uint.preencode(state, r.timeoutMs)
    if (r.input instanceof Int32Array !== (r.abi === 'v1')) {
      throw WIRE_INVALID(`a ${r.abi} shard takes ${r.abi === 'v1' ? 'integers' : 'bytes'}`)
    }
    if (r.input instanceof Int32Array) c.int32array.preencode(state, r.input)
    else c.uint8array.preencode(state, r.input)
    c.bool.preencode(state, r.config != null)
    if (r.config != null) SHARD_CONFIG.preencode(state, r.config)
  },
  encode(state, r) {
    c.uint.encode(state, EXECUTE_REQUEST_VERSION)
    c.fixed(16).encode(state, r.token)
    c.string.encode(state, r.requestId)
    c.fixed32.encode(state, Buffer.from(r.sha256, 'hex'))
    c.uint.encode(state, enumIndex(ABIS, r.abi))
    c.uint.encode(state, r.memoryMb)
    c.uint.encode(state, r.timeoutMs)
    if (r.input instanceof Int32Array) c.int32array.encode(state, r.input)
    else c.uint8array.encode(state, r.input)
    c.bool.encode(state, r.config != null)
    if (r.config != null) SHARD_CONFIG.encode(state, r.config)
  },
  decode(state) {
    const version = c.uint.decode(state)
    if (version < 3 || version > EXECUTE_REQUEST_VERSION) {
      throw WIRE_INVALID(`execute request version ${version}`)
    }
    const token = c.fixed(16).decode(state)
    const requestId = c.string.decode(state)
    const sha256 = Buffer.from(c.fixed32.decode(state)).toString('hex')
    const abi = enumValue(ABIS, c.uint.decode(state), 'ABI')
    const memoryMb = c.uint.decode(state)
    const timeoutMs = c.uint.decode(state)
    const input = abi === 'v1' ? c.int32array.decode(state) : c.uint8array.decode(state)
    const config = c.bool.decode(state) ? shardConfig(version).decode(state) : null
    return { token, requestId, sha256, abi, memoryMb, timeoutMs, input, config }
  }
}

/** ExecuteReply, version 2 (added the log and an error's fields). */
export const executeReply: c.Encoder<ExecuteReply> = versioned(2, 'execute reply', {
  preencode(state, r) {
    c.bool.preencode(state, r.ok)
    c.string.preencode(state, r.logs ?? '')
    if (!r.ok) {
      c.string.preencode(state, r.code)
      c.string.preencode(state, r.message)
      environment.preencode(state, r.fields ?? {})
      return
    }
    c.fixed(16).preencode(state, r.token)
    c.int.preencode(state, r.result)
    c.uint.preencode(state, r.micros)
    c.uint.preencode(state, (r.output === null ? 0 : 1) | (r.payload === null ? 0 : 2))
    if (r.output !== null) c.int32array.preencode(state, r.output)
    if (r.payload !== null) c.uint8array.preencode(state, r.payload)
  },
  encode(state, r) {
    c.bool.encode(state, r.ok)
    c.string.encode(state, r.logs ?? '')
    if (!r.ok) {
      c.string.encode(state, r.code)
      c.string.encode(state, r.message)
      environment.encode(state, r.fields ?? {})
      return
    }
    c.fixed(16).encode(state, r.token)
    c.int.encode(state, r.result)
    c.uint.encode(state, r.micros)
    c.uint.encode(state, (r.output === null ? 0 : 1) | (r.payload === null ? 0 : 2))
    if (r.output !== null) c.int32array.encode(state, r.output)
    if (r.payload !== null) c.uint8array.encode(state, r.payload)
  },
  decode(state) {
    const ok = c.bool.decode(state)
    const logs = c.string.decode(state)
    if (!ok) {
      const code = c.string.decode(state)
      const message = c.string.decode(state)
      return { ok: false, code, message, fields: environment.decode(state), logs }
    }
    const token = c.fixed(16).decode(state)
    const result = c.int.decode(state)
    const micros = c.uint.decode(state)
    const flags = c.uint.decode(state)
    const output = (flags & 1) !== 0 ? c.int32array.decode(state) : null
    const payload = (flags & 2) !== 0 ? c.uint8array.decode(state) : null
    return { ok: true, token, result, micros, output, payload, logs }
  }
})
