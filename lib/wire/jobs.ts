import c from 'compact-encoding'
import { WIRE_INVALID } from '../errors.js'
import { enumIndex, enumValue, versioned } from './codec.js'

/**
 * Codecs of the job log (lib/jobs/): what an edge appends when it accepts async work, and what
 * any edge appends as it runs it. One block of an edge's job log is one JobEntry.
 */

/** Where the work came from: an AWS `Event` invocation, the seed's jobs API, or a schedule. */
export const JOB_SOURCES = ['event', 'job', 'schedule'] as const
export type JobSource = (typeof JOB_SOURCES)[number]

/** Async work as accepted: everything another edge needs to run it, or to answer for it. */
export interface JobAccepted {
  /** 32 hex characters. */
  id: string
  source: JobSource
  /** '' for an inline job (its module is in `module`). */
  functionName: string
  /** '' for none (`$LATEST`), else a version or an alias. */
  qualifier: string
  /** The Event's body; a job's dataset as little-endian i32. */
  payload: Uint8Array
  /** An inline job's module (ABI v1), else null. */
  module: Uint8Array | null
  acceptedAt: number
  /** The accepting edge: its id (swarm public key, hex) and name. */
  edge: string
  edgeName: string
  requestId: string
  /** A schedule's firing: which schedule (`group/name`) and which tick (ms since the epoch). */
  firing?: { schedule: string; tick: number }
}

/** What happened to a job, appended by the edge it happened on. */
export const JOB_EVENTS = [
  /** An attempt started (attempt 1, 2, …). */
  'started',
  /** An attempt failed and another is due at `retryAt`. */
  'retrying',
  /** Done: `status` 200 (or 206 partial), `body` the job's answer. */
  'completed',
  /** Done with an error: `body` the error, as GET answers it. */
  'failed',
  /** This edge took the job over from `from`, gone past its lease. */
  'takeover',
  /** Never to run: the accepting edge could not get it replicated in time (the client got 503). */
  'cancelled'
] as const
export type JobEventType = (typeof JOB_EVENTS)[number]

export interface JobEvent {
  id: string
  type: JobEventType
  at: number
  edge: string
  edgeName: string
  attempt: number
  /** completed: 200 or 206; failed: the status GET answers with. */
  status: number
  /** completed/failed: the answer's JSON; retrying: the error that caused it; else empty. */
  body: Uint8Array
  /** retrying: when the next attempt is due (ms since the epoch); takeover: 0. */
  retryAt: number
  /** takeover: the edge it was taken from. */
  from: string
}

export type JobEntry =
  { kind: 'accepted'; accepted: JobAccepted } | { kind: 'event'; event: JobEvent }

const id = {
  preencode(state: c.State, _id: string) {
    state.end += 16 // fixed size: 16 bytes, whatever the id
  },
  encode(state: c.State, value: string) {
    if (!/^[0-9a-f]{32}$/.test(value)) throw WIRE_INVALID(`job id ${value.slice(0, 40)}`)
    c.fixed(16).encode(state, Buffer.from(value, 'hex'))
  },
  decode(state: c.State) {
    return Buffer.from(c.fixed(16).decode(state)).toString('hex')
  }
} satisfies c.Encoder<string>

const accepted: c.Encoder<JobAccepted> = {
  preencode(state, a) {
    id.preencode(state, a.id)
    c.uint.preencode(state, enumIndex(JOB_SOURCES, a.source))
    c.string.preencode(state, a.functionName)
    c.string.preencode(state, a.qualifier)
    c.uint8array.preencode(state, a.payload)
    c.bool.preencode(state, a.module !== null)
    if (a.module !== null) c.uint8array.preencode(state, a.module)
    c.uint.preencode(state, a.acceptedAt)
    c.string.preencode(state, a.edge)
    c.string.preencode(state, a.edgeName)
    c.string.preencode(state, a.requestId)
  },
  encode(state, a) {
    id.encode(state, a.id)
    c.uint.encode(state, enumIndex(JOB_SOURCES, a.source))
    c.string.encode(state, a.functionName)
    c.string.encode(state, a.qualifier)
    c.uint8array.encode(state, a.payload)
    c.bool.encode(state, a.module !== null)
    if (a.module !== null) c.uint8array.encode(state, a.module)
    c.uint.encode(state, a.acceptedAt)
    c.string.encode(state, a.edge)
    c.string.encode(state, a.edgeName)
    c.string.encode(state, a.requestId)
  },
  decode(state) {
    return {
      id: id.decode(state),
      source: enumValue(JOB_SOURCES, c.uint.decode(state), 'job source'),
      functionName: c.string.decode(state),
      qualifier: c.string.decode(state),
      payload: c.uint8array.decode(state),
      module: c.bool.decode(state) ? c.uint8array.decode(state) : null,
      acceptedAt: c.uint.decode(state),
      edge: c.string.decode(state),
      edgeName: c.string.decode(state),
      requestId: c.string.decode(state)
    }
  }
}

const event: c.Encoder<JobEvent> = {
  preencode(state, e) {
    id.preencode(state, e.id)
    c.uint.preencode(state, enumIndex(JOB_EVENTS, e.type))
    c.uint.preencode(state, e.at)
    c.string.preencode(state, e.edge)
    c.string.preencode(state, e.edgeName)
    c.uint.preencode(state, e.attempt)
    c.uint.preencode(state, e.status)
    c.uint8array.preencode(state, e.body)
    c.uint.preencode(state, e.retryAt)
    c.string.preencode(state, e.from)
  },
  encode(state, e) {
    id.encode(state, e.id)
    c.uint.encode(state, enumIndex(JOB_EVENTS, e.type))
    c.uint.encode(state, e.at)
    c.string.encode(state, e.edge)
    c.string.encode(state, e.edgeName)
    c.uint.encode(state, e.attempt)
    c.uint.encode(state, e.status)
    c.uint8array.encode(state, e.body)
    c.uint.encode(state, e.retryAt)
    c.string.encode(state, e.from)
  },
  decode(state) {
    return {
      id: id.decode(state),
      type: enumValue(JOB_EVENTS, c.uint.decode(state), 'job event'),
      at: c.uint.decode(state),
      edge: c.string.decode(state),
      edgeName: c.string.decode(state),
      attempt: c.uint.decode(state),
      status: c.uint.decode(state),
      body: c.uint8array.decode(state),
      retryAt: c.uint.decode(state),
      from: c.string.decode(state)
    }
  }
}

/**
 * JobEntry, version 1: a kind (0 accepted work, 1 an event, 2 accepted work that a schedule's
 * firing queued, its schedule and tick after it), then what it is.
 */
export const jobEntry: c.Encoder<JobEntry> = versioned(1, 'job entry', {
  preencode(state, entry) {
    c.uint.preencode(state, 0)
    if (entry.kind === 'event') return event.preencode(state, entry.event)
    accepted.preencode(state, entry.accepted)
    const firing = entry.accepted.firing
    if (firing !== undefined) {
      c.string.preencode(state, firing.schedule)
      c.uint.preencode(state, firing.tick)
    }
  },
  encode(state, entry) {
    if (entry.kind === 'event') {
      c.uint.encode(state, 1)
      return event.encode(state, entry.event)
    }
    const firing = entry.accepted.firing
    c.uint.encode(state, firing === undefined ? 0 : 2)
    accepted.encode(state, entry.accepted)
    if (firing !== undefined) {
      c.string.encode(state, firing.schedule)
      c.uint.encode(state, firing.tick)
    }
  },
  decode(state) {
    const kind = c.uint.decode(state)
    if (kind === 1) return { kind: 'event', event: event.decode(state) }
    if (kind !== 0 && kind !== 2) throw WIRE_INVALID(`job entry kind ${kind}`)
    const work = accepted.decode(state)
    if (kind === 2) work.firing = { schedule: c.string.decode(state), tick: c.uint.decode(state) }
    return { kind: 'accepted', accepted: work }
  }
})

/** A function's (or a qualifier's) async settings: AWS's FunctionEventInvokeConfig. */
export interface EventInvokeRecord {
  name: string
  /** '' for the unqualified function ($LATEST), else a version or an alias. */
  qualifier: string
  /** 0 to 2; null: not set (AWS's default, 2). */
  maxRetryAttempts: number | null
  /** 60 to 21,600 s; null: not set (AWS's default, 6 hours). */
  maxEventAgeSeconds: number | null
  /** Destination function ARNs ('' for none). */
  onSuccess: string
  onFailure: string
  revision: number
  modified: number
  deleted: boolean
}

const optionalUint = {
  preencode(state: c.State, value: number | null) {
    c.uint.preencode(state, value === null ? 0 : value + 1)
  },
  encode(state: c.State, value: number | null) {
    c.uint.encode(state, value === null ? 0 : value + 1)
  },
  decode(state: c.State) {
    const raw = c.uint.decode(state)
    return raw === 0 ? null : raw - 1
  }
} satisfies c.Encoder<number | null>

/** EventInvokeRecord, version 1. */
export const eventInvokeRecord: c.Encoder<EventInvokeRecord> = versioned(1, 'event invoke config', {
  preencode(state, r) {
    c.string.preencode(state, r.name)
    c.string.preencode(state, r.qualifier)
    optionalUint.preencode(state, r.maxRetryAttempts)
    optionalUint.preencode(state, r.maxEventAgeSeconds)
    c.string.preencode(state, r.onSuccess)
    c.string.preencode(state, r.onFailure)
    c.uint.preencode(state, r.revision)
    c.uint.preencode(state, r.modified)
    c.bool.preencode(state, r.deleted)
  },
  encode(state, r) {
    c.string.encode(state, r.name)
    c.string.encode(state, r.qualifier)
    optionalUint.encode(state, r.maxRetryAttempts)
    optionalUint.encode(state, r.maxEventAgeSeconds)
    c.string.encode(state, r.onSuccess)
    c.string.encode(state, r.onFailure)
    c.uint.encode(state, r.revision)
    c.uint.encode(state, r.modified)
    c.bool.encode(state, r.deleted)
  },
  decode(state) {
    return {
      name: c.string.decode(state),
      qualifier: c.string.decode(state),
      maxRetryAttempts: optionalUint.decode(state),
      maxEventAgeSeconds: optionalUint.decode(state),
      onSuccess: c.string.decode(state),
      onFailure: c.string.decode(state),
      revision: c.uint.decode(state),
      modified: c.uint.decode(state),
      deleted: c.bool.decode(state)
    }
  }
})

/** A job log segment as the registry announces it (lib/jobs/log.ts): its core, and whether its edge retired it. */
export interface SegmentAnnouncement {
  key: Uint8Array
  retired: boolean
}

export const segmentAnnouncement: c.Encoder<SegmentAnnouncement> = versioned(1, 'job segment', {
  preencode(state, a) {
    c.fixed32.preencode(state, a.key)
    c.bool.preencode(state, a.retired)
  },
  encode(state, a) {
    c.fixed32.encode(state, a.key)
    c.bool.encode(state, a.retired)
  },
  decode(state) {
    return { key: c.fixed32.decode(state), retired: c.bool.decode(state) }
  }
})
