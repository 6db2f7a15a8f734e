import c from 'compact-encoding'
import { WIRE_INVALID } from '../errors.js'

/**
 * Codecs for everything stored or sent: each record starts with its own version number, so a
 * newer edge can read what an older one wrote and an older one refuses, by name, what it can't.
 */

/** How shard results combine (see README, "Reduce"). */
export const REDUCERS = ['sum', 'min', 'max', 'concat', 'none'] as const
export type Reduce = (typeof REDUCERS)[number]

/** How a stored function takes input and gives output (see lib/runtimes/contract.ts, Shape). */
export const ABIS = ['v1', 'v2', 'json'] as const

/** The runtimes a stored function can have (see lib/runtimes/contract.ts). */
export const KINDS = ['wasm', 'nodejs', 'wasi', 'python'] as const

/** Where a function's Wasm bytes live in its writer's blob core (a Hyperblobs id). */
export interface BlobId {
  byteOffset: number
  blockOffset: number
  blockLength: number
  byteLength: number
}

/** One function as the registry stores it; a delete is the same record with `deleted: true`. */
export interface FunctionRecord {
  name: string
  /** sha256 (hex) of the module as uploaded: the AWS CodeSha256, the key of its bytes. */
  sha256: string
  /** Bytes of the module as uploaded. */
  size: number
  abi: (typeof ABIS)[number]
  /** Which runtime runs it: our Wasm ABIs, JavaScript in QuickJS, or a WASI command. */
  kind: (typeof KINDS)[number]
  reduce: Reduce
  timeoutMs: number
  memoryMb: number
  /**
   * Leading items of a v1 dataset that are parameters, not data (e.g. mandelbrot's 7): every
   * shard gets them, followed by its slice of the rest.
   */
  headerItems: number
  /** Invocations of this function running at once on an edge, at most (0: only the edge's cap). */
  concurrency: number
  /** Items a v1 dataset may have (0: only the edge's cap). */
  maxDatasetItems: number
  /** AWS fields a client sent and reads back; kept as given. */
  runtime: string
  role: string
  handler: string
  description: string
  /** The function's environment variables (AWS Environment.Variables). */
  environment: Record<string, string>
  /** Logical clock: one more than the version it replaced. */
  version: number
  /** ms since the epoch: first deploy of this name, and this version. */
  created: number
  modified: number
  deleted: boolean
  blob: BlobId
}

/**
 * Version 2 added headerItems (version 1 records read as 0); version 3 added concurrency and
 * maxDatasetItems (earlier records read as 0: no limit of their own); version 4 added the
 * runtime kind and the environment (earlier records read as wasm, with none).
 */
const RECORD_VERSION = 4

/** BlobId. */
export const blobId: c.Encoder<BlobId> = {
  preencode(state, id) {
    c.uint.preencode(state, id.byteOffset)
    c.uint.preencode(state, id.blockOffset)
    c.uint.preencode(state, id.blockLength)
    c.uint.preencode(state, id.byteLength)
  },
  encode(state, id) {
    c.uint.encode(state, id.byteOffset)
    c.uint.encode(state, id.blockOffset)
    c.uint.encode(state, id.blockLength)
    c.uint.encode(state, id.byteLength)
  },
  decode(state) {
    return {
      byteOffset: c.uint.decode(state),
      blockOffset: c.uint.decode(state),
      blockLength: c.uint.decode(state),
      byteLength: c.uint.decode(state)
    }
  }
}

export function enumIndex<T extends string>(values: readonly T[], value: T): number {
  return values.indexOf(value)
}

export function enumValue<T extends string>(values: readonly T[], index: number, what: string): T {
  const value = values[index]
  if (value === undefined) throw WIRE_INVALID(`unknown ${what} ${index}`)
  return value
}

/** Environment variables, sorted by name (the same variables always encode the same). */
export const environment: c.Encoder<Record<string, string>> = {
  preencode(state, env) {
    const names = Object.keys(env)
    c.uint.preencode(state, names.length)
    for (const name of names) {
      c.string.preencode(state, name)
      c.string.preencode(state, env[name] as string)
    }
  },
  encode(state, env) {
    const names = Object.keys(env).sort()
    c.uint.encode(state, names.length)
    for (const name of names) {
      c.string.encode(state, name)
      c.string.encode(state, env[name] as string)
    }
  },
  decode(state) {
    const env: Record<string, string> = {}
    for (let n = c.uint.decode(state); n > 0; n--)
      env[c.string.decode(state)] = c.string.decode(state)
    return env
  }
}

/** FunctionRecord, version 4 (reads versions 1 to 3). */
export const functionRecord: c.Encoder<FunctionRecord> = {
  preencode(state, r) {
    c.uint.preencode(state, RECORD_VERSION)
    c.string.preencode(state, r.name)
    c.fixed32.preencode(state, Buffer.from(r.sha256, 'hex'))
    c.uint.preencode(state, r.size)
    c.uint.preencode(state, enumIndex(ABIS, r.abi))
    c.uint.preencode(state, enumIndex(REDUCERS, r.reduce))
    c.uint.preencode(state, r.timeoutMs)
    c.uint.preencode(state, r.memoryMb)
    c.uint.preencode(state, r.headerItems)
    c.uint.preencode(state, r.concurrency)
    c.uint.preencode(state, r.maxDatasetItems)
    c.string.preencode(state, r.runtime)
    c.string.preencode(state, r.role)
    c.string.preencode(state, r.handler)
    c.string.preencode(state, r.description)
    c.uint.preencode(state, enumIndex(KINDS, r.kind))
    environment.preencode(state, r.environment)
    c.uint.preencode(state, r.version)
    c.uint.preencode(state, r.created)
    c.uint.preencode(state, r.modified)
    c.bool.preencode(state, r.deleted)
    blobId.preencode(state, r.blob)
  },
  encode(state, r) {
    c.uint.encode(state, RECORD_VERSION)
    c.string.encode(state, r.name)
    c.fixed32.encode(state, Buffer.from(r.sha256, 'hex'))
    c.uint.encode(state, r.size)
    c.uint.encode(state, enumIndex(ABIS, r.abi))
    c.uint.encode(state, enumIndex(REDUCERS, r.reduce))
    c.uint.encode(state, r.timeoutMs)
    c.uint.encode(state, r.memoryMb)
    c.uint.encode(state, r.headerItems)
    c.uint.encode(state, r.concurrency)
    c.uint.encode(state, r.maxDatasetItems)
    c.string.encode(state, r.runtime)
    c.string.encode(state, r.role)
    c.string.encode(state, r.handler)
    c.string.encode(state, r.description)
    c.uint.encode(state, enumIndex(KINDS, r.kind))
    environment.encode(state, r.environment)
    c.uint.encode(state, r.version)
    c.uint.encode(state, r.created)
    c.uint.encode(state, r.modified)
    c.bool.encode(state, r.deleted)
    blobId.encode(state, r.blob)
  },
  decode(state) {
    const version = c.uint.decode(state)
    if (version < 1 || version > RECORD_VERSION) {
      throw WIRE_INVALID(`function record version ${version}`)
    }
    const name = c.string.decode(state)
    const sha256 = Buffer.from(c.fixed32.decode(state)).toString('hex')
    const size = c.uint.decode(state)
    const abi = enumValue(ABIS, c.uint.decode(state), 'ABI')
    return {
      name,
      sha256,
      size,
      abi,
      reduce: enumValue(REDUCERS, c.uint.decode(state), 'reducer'),
      timeoutMs: c.uint.decode(state),
      memoryMb: c.uint.decode(state),
      headerItems: version === 1 ? 0 : c.uint.decode(state),
      concurrency: version < 3 ? 0 : c.uint.decode(state),
      maxDatasetItems: version < 3 ? 0 : c.uint.decode(state),
      runtime: c.string.decode(state),
      role: c.string.decode(state),
      handler: c.string.decode(state),
      description: c.string.decode(state),
      kind: version < 4 ? 'wasm' : enumValue(KINDS, c.uint.decode(state), 'runtime'),
      environment: version < 4 ? {} : environment.decode(state),
      version: c.uint.decode(state),
      created: c.uint.decode(state),
      modified: c.uint.decode(state),
      deleted: c.bool.decode(state),
      blob: blobId.decode(state)
    }
  }
}

/** Encodes a value with a codec. */
export function encode<T>(codec: c.Encoder<T>, value: T): Buffer {
  return Buffer.from(c.encode(codec, value))
}

/** Decodes a value, turning any malformed input into a WIRE_INVALID error. */
export function decode<T>(codec: c.Encoder<T>, bytes: Uint8Array): T {
  try {
    return c.decode(codec, bytes)
  } catch (err) {
    if ((err as { code?: string }).code === 'WIRE_INVALID') throw err
    throw WIRE_INVALID((err as Error).message)
  }
}

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

/**
 * A JS function's code as stored (one blob, addressed by its sha256 like a module): its files by
 * package-relative path, sorted, so the same files always give the same bytes and hash.
 */
export const codeBundle: c.Encoder<Map<string, string>> = versioned(1, 'code bundle', {
  preencode(state, files) {
    c.uint.preencode(state, files.size)
    for (const [path, text] of files) {
      c.string.preencode(state, path)
      c.string.preencode(state, text)
    }
  },
  encode(state, files) {
    c.uint.encode(state, files.size)
    for (const path of [...files.keys()].sort()) {
      c.string.encode(state, path)
      c.string.encode(state, files.get(path) as string)
    }
  },
  decode(state) {
    const files = new Map<string, string>()
    for (let n = c.uint.decode(state); n > 0; n--)
      files.set(c.string.decode(state), c.string.decode(state))
    return files
  }
})

/** Bytes a value takes on the wire (without encoding it). */
export function encodedLength<T>(codec: c.Encoder<T>, value: T): number {
  const state = c.state()
  codec.preencode(state, value)
  return state.end
}

/** Prefixes a codec with a version number; a decoder refuses other versions by name. */
export function versioned<T>(version: number, what: string, codec: c.Encoder<T>): c.Encoder<T> {
  return {
    preencode(state, value) {
      c.uint.preencode(state, version)
      codec.preencode(state, value)
    },
    encode(state, value) {
      c.uint.encode(state, version)
      codec.encode(state, value)
    },
    decode(state) {
      const got = c.uint.decode(state)
      if (got !== version) throw WIRE_INVALID(`${what} version ${got}`)
      return codec.decode(state)
    }
  }
}
