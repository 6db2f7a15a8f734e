import c from 'compact-encoding'
import { WIRE_INVALID } from '../errors.js'
import { enumIndex, enumValue, versioned } from './codec.js'

/** A function as the registry stores it, and the code bundle of a JS or Python function. */

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
