import c from 'compact-encoding'
import { WIRE_INVALID } from '../errors.js'
import { enumIndex, enumValue, versioned } from './codec.js'
import { functionRecord, type FunctionRecord } from './function-record.js'

/**
 * Codecs for how a function is addressed besides its name: published versions, aliases and
 * function URL configurations, as the registry stores them (each versioned like every record).
 */

/** A published version: an immutable snapshot of a function's code and configuration. */
export interface VersionRecord {
  name: string
  /** 1, 2, …: per function, cluster-wide, never reused. */
  number: number
  /** The function as it was published ($LATEST at that moment). */
  function: FunctionRecord
  /** PublishVersion's Description (the version's own, not $LATEST's). */
  description: string
  /** ms since the epoch. */
  published: number
  /** A deleted version keeps its tombstone, so its number is never given again. */
  deleted: boolean
}

/** A version's share of an alias's traffic (AWS RoutingConfig.AdditionalVersionWeights). */
export interface VersionWeight {
  version: string
  /** 0 to 1. */
  weight: number
}

/** An alias: a name for a version, with an optional weighted second version. */
export interface AliasRecord {
  name: string
  alias: string
  /** `$LATEST` or a published version's number. */
  functionVersion: string
  weights: VersionWeight[]
  description: string
  /** Logical clock: one more than the revision it replaced (the highest wins everywhere). */
  revision: number
  /** AWS's RevisionId: a fresh id per change, for UpdateAlias's optimistic check. */
  revisionId: string
  created: number
  modified: number
  deleted: boolean
}

/** A function URL's CORS settings, as AWS's Cors object (absent members: not set). */
export interface CorsConfig {
  AllowCredentials?: boolean
  AllowHeaders?: string[]
  AllowMethods?: string[]
  AllowOrigins?: string[]
  ExposeHeaders?: string[]
  MaxAge?: number
}

export const AUTH_TYPES = ['NONE', 'AWS_IAM'] as const
export type AuthType = (typeof AUTH_TYPES)[number]
export const INVOKE_MODES = ['BUFFERED', 'RESPONSE_STREAM'] as const
export type InvokeMode = (typeof INVOKE_MODES)[number]

/** A function URL's configuration, for the function itself ('' qualifier) or one alias. */
export interface UrlRecord {
  name: string
  /** '' for the unqualified function, else an alias name. */
  qualifier: string
  authType: AuthType
  cors: CorsConfig | null
  invokeMode: InvokeMode
  revision: number
  created: number
  modified: number
  deleted: boolean
}

const strings = c.array(c.string)
const LISTS = ['AllowHeaders', 'AllowMethods', 'AllowOrigins', 'ExposeHeaders'] as const

/** CorsConfig: a bit per member present, then the members present in order. */
const cors: c.Encoder<CorsConfig> = {
  preencode(state, v) {
    c.uint.preencode(state, presence(v))
    if (v.AllowCredentials !== undefined) c.bool.preencode(state, v.AllowCredentials)
    for (const list of LISTS) if (v[list] !== undefined) strings.preencode(state, v[list])
    if (v.MaxAge !== undefined) c.uint.preencode(state, v.MaxAge)
  },
  encode(state, v) {
    c.uint.encode(state, presence(v))
    if (v.AllowCredentials !== undefined) c.bool.encode(state, v.AllowCredentials)
    for (const list of LISTS) if (v[list] !== undefined) strings.encode(state, v[list])
    if (v.MaxAge !== undefined) c.uint.encode(state, v.MaxAge)
  },
  decode(state) {
    const bits = c.uint.decode(state)
    const v: CorsConfig = {}
    if (bits & 1) v.AllowCredentials = c.bool.decode(state)
    LISTS.forEach((list, i) => {
      if (bits & (2 << i)) v[list] = strings.decode(state)
    })
    if (bits & 32) v.MaxAge = c.uint.decode(state)
    return v
  }
}

function presence(v: CorsConfig): number {
  let bits = v.AllowCredentials === undefined ? 0 : 1
  LISTS.forEach((list, i) => {
    if (v[list] !== undefined) bits |= 2 << i
  })
  return bits | (v.MaxAge === undefined ? 0 : 32)
}

/** VersionRecord, version 1. */
export const versionRecord: c.Encoder<VersionRecord> = versioned(1, 'version record', {
  preencode(state, v) {
    c.string.preencode(state, v.name)
    c.uint.preencode(state, v.number)
    functionRecord.preencode(state, v.function)
    c.string.preencode(state, v.description)
    c.uint.preencode(state, v.published)
    c.bool.preencode(state, v.deleted)
  },
  encode(state, v) {
    c.string.encode(state, v.name)
    c.uint.encode(state, v.number)
    functionRecord.encode(state, v.function)
    c.string.encode(state, v.description)
    c.uint.encode(state, v.published)
    c.bool.encode(state, v.deleted)
  },
  decode(state) {
    const v: VersionRecord = {
      name: c.string.decode(state),
      number: c.uint.decode(state),
      function: functionRecord.decode(state),
      description: c.string.decode(state),
      published: c.uint.decode(state),
      deleted: c.bool.decode(state)
    }
    if (v.function.name !== v.name) throw WIRE_INVALID('a version of another function')
    return v
  }
})

/** AliasRecord, version 1. */
export const aliasRecord: c.Encoder<AliasRecord> = versioned(1, 'alias record', {
  preencode(state, a) {
    c.string.preencode(state, a.name)
    c.string.preencode(state, a.alias)
    c.string.preencode(state, a.functionVersion)
    c.uint.preencode(state, a.weights.length)
    for (const w of a.weights) {
      c.string.preencode(state, w.version)
      c.float64.preencode(state, w.weight)
    }
    c.string.preencode(state, a.description)
    c.uint.preencode(state, a.revision)
    c.string.preencode(state, a.revisionId)
    c.uint.preencode(state, a.created)
    c.uint.preencode(state, a.modified)
    c.bool.preencode(state, a.deleted)
  },
  encode(state, a) {
    c.string.encode(state, a.name)
    c.string.encode(state, a.alias)
    c.string.encode(state, a.functionVersion)
    c.uint.encode(state, a.weights.length)
    for (const w of a.weights) {
      c.string.encode(state, w.version)
      c.float64.encode(state, w.weight)
    }
    c.string.encode(state, a.description)
    c.uint.encode(state, a.revision)
    c.string.encode(state, a.revisionId)
    c.uint.encode(state, a.created)
    c.uint.encode(state, a.modified)
    c.bool.encode(state, a.deleted)
  },
  decode(state) {
    const name = c.string.decode(state)
    const alias = c.string.decode(state)
    const functionVersion = c.string.decode(state)
    const weights: VersionWeight[] = []
    for (let n = c.uint.decode(state); n > 0; n--) {
      weights.push({ version: c.string.decode(state), weight: c.float64.decode(state) })
    }
    return {
      name,
      alias,
      functionVersion,
      weights,
      description: c.string.decode(state),
      revision: c.uint.decode(state),
      revisionId: c.string.decode(state),
      created: c.uint.decode(state),
      modified: c.uint.decode(state),
      deleted: c.bool.decode(state)
    }
  }
})

/** UrlRecord, version 1. */
export const urlRecord: c.Encoder<UrlRecord> = versioned(1, 'url record', {
  preencode(state, u) {
    c.string.preencode(state, u.name)
    c.string.preencode(state, u.qualifier)
    c.uint.preencode(state, enumIndex(AUTH_TYPES, u.authType))
    c.bool.preencode(state, u.cors !== null)
    if (u.cors !== null) cors.preencode(state, u.cors)
    c.uint.preencode(state, enumIndex(INVOKE_MODES, u.invokeMode))
    c.uint.preencode(state, u.revision)
    c.uint.preencode(state, u.created)
    c.uint.preencode(state, u.modified)
    c.bool.preencode(state, u.deleted)
  },
  encode(state, u) {
    c.string.encode(state, u.name)
    c.string.encode(state, u.qualifier)
    c.uint.encode(state, enumIndex(AUTH_TYPES, u.authType))
    c.bool.encode(state, u.cors !== null)
    if (u.cors !== null) cors.encode(state, u.cors)
    c.uint.encode(state, enumIndex(INVOKE_MODES, u.invokeMode))
    c.uint.encode(state, u.revision)
    c.uint.encode(state, u.created)
    c.uint.encode(state, u.modified)
    c.bool.encode(state, u.deleted)
  },
  decode(state) {
    return {
      name: c.string.decode(state),
      qualifier: c.string.decode(state),
      authType: enumValue(AUTH_TYPES, c.uint.decode(state), 'auth type'),
      cors: c.bool.decode(state) ? cors.decode(state) : null,
      invokeMode: enumValue(INVOKE_MODES, c.uint.decode(state), 'invoke mode'),
      revision: c.uint.decode(state),
      created: c.uint.decode(state),
      modified: c.uint.decode(state),
      deleted: c.bool.decode(state)
    }
  }
})

/** The highest version number an allocator gave for a function (see lib/registry/versions.ts). */
export const versionCounter: c.Encoder<number> = versioned(1, 'version counter', c.uint)

/** A request for the next version number of a function (RPC `allocate`). */
export interface AllocateRequest {
  name: string
  /** The highest number the asking edge knows: the answer is above it. */
  floor: number
}

export const allocateRequest: c.Encoder<AllocateRequest> = versioned(1, 'allocate request', {
  preencode(state, r) {
    c.string.preencode(state, r.name)
    c.uint.preencode(state, r.floor)
  },
  encode(state, r) {
    c.string.encode(state, r.name)
    c.uint.encode(state, r.floor)
  },
  decode(state) {
    return { name: c.string.decode(state), floor: c.uint.decode(state) }
  }
})

/** The number given, or the coded error that stopped it. */
export type AllocateReply =
  { ok: true; number: number } | { ok: false; code: string; message: string }

export const allocateReply: c.Encoder<AllocateReply> = versioned(1, 'allocate reply', {
  preencode(state, r) {
    c.bool.preencode(state, r.ok)
    if (r.ok) c.uint.preencode(state, r.number)
    else {
      c.string.preencode(state, r.code)
      c.string.preencode(state, r.message)
    }
  },
  encode(state, r) {
    c.bool.encode(state, r.ok)
    if (r.ok) c.uint.encode(state, r.number)
    else {
      c.string.encode(state, r.code)
      c.string.encode(state, r.message)
    }
  },
  decode(state) {
    if (c.bool.decode(state)) return { ok: true, number: c.uint.decode(state) }
    return { ok: false, code: c.string.decode(state), message: c.string.decode(state) }
  }
})
