import c from 'compact-encoding'
import { WIRE_INVALID } from '../errors.js'

/**
 * Codecs for everything stored or sent: each record starts with its own version number, so a
 * newer edge can read what an older one wrote and an older one refuses, by name, what it can't.
 */

/** How shard results combine (see README, "Reduce"). */
export const REDUCERS = ['sum', 'min', 'max', 'concat', 'none'] as const
export type Reduce = (typeof REDUCERS)[number]

/** The ABIs a stored function can have. */
export const ABIS = ['v1', 'v2'] as const

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
  reduce: Reduce
  timeoutMs: number
  memoryMb: number
  /** AWS fields a client sent and reads back; kept as given. */
  runtime: string
  role: string
  handler: string
  description: string
  /** Logical clock: one more than the version it replaced. */
  version: number
  /** ms since the epoch: first deploy of this name, and this version. */
  created: number
  modified: number
  deleted: boolean
  blob: BlobId
}

const RECORD_VERSION = 1

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

function enumIndex<T extends string>(values: readonly T[], value: T): number {
  return values.indexOf(value)
}

function enumValue<T extends string>(values: readonly T[], index: number, what: string): T {
  const value = values[index]
  if (value === undefined) throw WIRE_INVALID(`unknown ${what} ${index}`)
  return value
}

/** FunctionRecord, version 1. */
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
    c.string.preencode(state, r.runtime)
    c.string.preencode(state, r.role)
    c.string.preencode(state, r.handler)
    c.string.preencode(state, r.description)
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
    c.string.encode(state, r.runtime)
    c.string.encode(state, r.role)
    c.string.encode(state, r.handler)
    c.string.encode(state, r.description)
    c.uint.encode(state, r.version)
    c.uint.encode(state, r.created)
    c.uint.encode(state, r.modified)
    c.bool.encode(state, r.deleted)
    blobId.encode(state, r.blob)
  },
  decode(state) {
    const version = c.uint.decode(state)
    if (version !== RECORD_VERSION) throw WIRE_INVALID(`function record version ${version}`)
    return {
      name: c.string.decode(state),
      sha256: Buffer.from(c.fixed32.decode(state)).toString('hex'),
      size: c.uint.decode(state),
      abi: enumValue(ABIS, c.uint.decode(state), 'ABI'),
      reduce: enumValue(REDUCERS, c.uint.decode(state), 'reducer'),
      timeoutMs: c.uint.decode(state),
      memoryMb: c.uint.decode(state),
      runtime: c.string.decode(state),
      role: c.string.decode(state),
      handler: c.string.decode(state),
      description: c.string.decode(state),
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
  /** ms since the epoch when it started. */
  startedAt: number
}

const NODE_INFO_VERSION = 1

/** NodeInfo, version 1. */
export const nodeInfo: c.Encoder<NodeInfo> = {
  preencode(state, i) {
    c.uint.preencode(state, NODE_INFO_VERSION)
    c.string.preencode(state, i.name)
    c.string.preencode(state, i.region)
    c.string.preencode(state, i.httpUrl)
    c.uint.preencode(state, i.load)
    c.uint.preencode(state, i.startedAt)
  },
  encode(state, i) {
    c.uint.encode(state, NODE_INFO_VERSION)
    c.string.encode(state, i.name)
    c.string.encode(state, i.region)
    c.string.encode(state, i.httpUrl)
    c.uint.encode(state, i.load)
    c.uint.encode(state, i.startedAt)
  },
  decode(state) {
    const version = c.uint.decode(state)
    if (version !== NODE_INFO_VERSION) throw WIRE_INVALID(`node info version ${version}`)
    return {
      name: c.string.decode(state),
      region: c.string.decode(state),
      httpUrl: c.string.decode(state),
      load: c.uint.decode(state),
      startedAt: c.uint.decode(state)
    }
  }
}
