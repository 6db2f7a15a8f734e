import { randomBytes } from 'node:crypto'
import c from 'compact-encoding'
import type ProtomuxRPC from 'protomux-rpc'
import {
  fromCode,
  INTERNAL,
  isErrorCode,
  MESSAGE_TOO_LARGE,
  PEER_FAILED,
  PEER_TIMEOUT,
  PEER_UNAVAILABLE,
  SwarmError
} from '../errors.js'
import { encodedLength } from '../wire/codec.js'
import {
  executeReply,
  executeRequest,
  nodeInfo,
  writerKeys,
  type ExecuteReply,
  type ExecuteRequest,
  type NodeInfo
} from '../wire/rpc.js'
import { memberList, type GossipedMember } from '../wire/members.js'
import {
  allocateReply,
  allocateRequest,
  type AllocateReply,
  type AllocateRequest
} from '../wire/addressing.js'

/** A request unanswered after this long fails (protomux-rpc has no deadline by default). */
export const REQUEST_TIMEOUT_MS = 2_000
/**
 * The largest message either side sends: bulk messages delay everything else on the connection
 * (replication too) and one over 16 MiB destroys it. Shards are cut to fit.
 */
export const MAX_MESSAGE_BYTES = 1 << 20
/** An allocator refreshes its mirrors for up to 1 s before it answers (lib/registry/versions.ts). */
const ALLOCATE_TIMEOUT_MS = 3_000

/** What this edge answers to its members. */
export interface RpcHandlers {
  info(): NodeInfo
  /** Registry writer keys this edge knows, its own first. */
  writers(): Uint8Array[]
  /** Every member this edge knows (itself first), with how long ago each was heard. */
  members(): GossipedMember[]
  /** Runs a shard; rejects with a coded error (sent back as a reply with the code). */
  execute(request: ExecuteRequest): Promise<ExecuteResult>
  /** Gives the next version number of a function (this edge allocates them; see versions.ts). */
  allocate(name: string, floor: number): Promise<number>
}

/** A shard's successful outcome (what the reply carries besides the token). */
export type ExecuteResult = Omit<Extract<ExecuteReply, { ok: true }>, 'ok' | 'token'>

/**
 * Requests to, and answers for, one authenticated member over protomux-rpc on the connection
 * they share. Every request has a deadline and fails with a coded error: PEER_TIMEOUT past it,
 * PEER_UNAVAILABLE at once when the connection closes, the remote's own code when it answered
 * with one. Responders never throw into protomux-rpc (a throw that is not an Error with a
 * string code would crash this process in its encoder).
 */
export class PeerRpc {
  readonly peer: string
  private readonly rpc: ProtomuxRPC
  private readonly delayMs: number

  /**
   * Takes a member's RPC channel (see Member.rpc) and starts answering on it. `delayMs` is a
   * test hook: every answer sent or received waits that long, as if the member were far away.
   */
  constructor(peer: string, rpc: ProtomuxRPC, handlers: RpcHandlers, delayMs = 0) {
    this.peer = peer
    this.rpc = rpc
    this.delayMs = delayMs
    rpc.respond<null, NodeInfo>(
      'info',
      { requestEncoding: c.none, responseEncoding: nodeInfo },
      () => this.answer(safely(() => handlers.info()))
    )
    rpc.respond<null, Uint8Array[]>(
      'writers',
      { requestEncoding: c.none, responseEncoding: writerKeys },
      () => this.answer(safely(() => handlers.writers()))
    )
    rpc.respond<null, GossipedMember[]>(
      'members',
      { requestEncoding: c.none, responseEncoding: memberList },
      () => this.answer(safely(() => handlers.members()))
    )
    rpc.respond<ExecuteRequest, ExecuteReply>(
      'execute',
      { requestEncoding: executeRequest, responseEncoding: executeReply },
      async (request) => {
        const reply: ExecuteReply = await handlers
          .execute(request)
          .then((result) => ({ ok: true, token: request.token, ...result }), failure)
        const bytes = encodedLength(executeReply, reply)
        return this.answer(
          bytes <= MAX_MESSAGE_BYTES
            ? reply
            : failure(MESSAGE_TOO_LARGE('the shard output', bytes, MAX_MESSAGE_BYTES))
        )
      }
    )
    rpc.respond<AllocateRequest, AllocateReply>(
      'allocate',
      { requestEncoding: allocateRequest, responseEncoding: allocateReply },
      (request) =>
        handlers
          .allocate(request.name, request.floor)
          .then(this.answer.bind(this))
          .then(
            (number): AllocateReply => ({ ok: true, number }),
            (err: unknown): AllocateReply => {
              const { code, message } = failure(err) as { code: string; message: string }
              return { ok: false, code, message }
            }
          )
    )
  }

  /** An answer as it goes out: at once, or after the test hook's delay. */
  private answer<T>(value: T): T | Promise<T> {
    return this.delayMs > 0 ? sleep(this.delayMs).then(() => value) : value
  }

  /** The next version number of a function, from this member (its allocator). */
  async allocate(name: string, floor: number): Promise<number> {
    const reply = await this.request(
      'allocate',
      { name, floor },
      allocateRequest,
      allocateReply,
      ALLOCATE_TIMEOUT_MS
    )
    if (reply.ok) return reply.number
    throw fromCode(isErrorCode(reply.code) ? reply.code : 'INTERNAL', reply.message)
  }

  /** True once the channel is closed (the member left or was replaced). */
  get closed(): boolean {
    return this.rpc.closed
  }

  /** The member's info, and how long the round trip took. */
  async info(timeoutMs = REQUEST_TIMEOUT_MS): Promise<{ info: NodeInfo; rttMs: number }> {
    const started = process.hrtime.bigint()
    const info = await this.request<null, NodeInfo>('info', null, c.none, nodeInfo, timeoutMs)
    return { info, rttMs: Number(process.hrtime.bigint() - started) / 1e6 }
  }

  /** Every member the member knows, itself first. */
  members(timeoutMs = REQUEST_TIMEOUT_MS): Promise<GossipedMember[]> {
    return this.request('members', null, c.none, memberList, timeoutMs)
  }

  /** The registry writers the member knows. */
  async writers(timeoutMs = REQUEST_TIMEOUT_MS): Promise<Buffer[]> {
    const keys = await this.request('writers', null, c.none, writerKeys, timeoutMs)
    return keys.map((key) => Buffer.from(key))
  }

  /**
   * Runs a shard on the member; resolves with its result, rejects with the coded error that
   * stopped it (a function error keeps its code across the hop).
   */
  async execute(shard: Omit<ExecuteRequest, 'token'>, deadlineMs: number): Promise<ExecuteResult> {
    const request: ExecuteRequest = { token: randomBytes(16), ...shard }
    const bytes = encodedLength(executeRequest, request)
    if (bytes > MAX_MESSAGE_BYTES) throw MESSAGE_TOO_LARGE('the shard', bytes, MAX_MESSAGE_BYTES)
    const reply = await this.request('execute', request, executeRequest, executeReply, deadlineMs)
    if (reply.ok) {
      // Only the answer to this request counts: a reply that does not carry its token is forged.
      if (!Buffer.from(reply.token).equals(request.token as Buffer)) {
        throw PEER_FAILED(this.peer, 'execute', new Error('the reply carries another token'))
      }
      const { result, micros, output, payload, logs } = reply
      return { result, micros, output, payload, ...(logs ? { logs } : {}) }
    }
    const code = isErrorCode(reply.code) ? reply.code : 'INTERNAL'
    throw fromCode(code, reply.message, {
      fields: reply.fields,
      ...(reply.logs ? { logs: reply.logs } : {})
    })
  }

  /** Closes the RPC channel (the connection stays); pending requests fail PEER_UNAVAILABLE. */
  close(): void {
    this.rpc.destroy()
  }

  private async request<Req, Res>(
    method: string,
    value: Req,
    requestEncoding: c.Encoder<Req>,
    responseEncoding: c.Encoder<Res>,
    timeoutMs: number
  ): Promise<Res> {
    try {
      const answer = await this.rpc.request<Res, Req>(method, value, {
        requestEncoding,
        responseEncoding,
        timeout: timeoutMs
      })
      if (this.delayMs > 0) await sleep(this.delayMs)
      return answer
    } catch (err) {
      const code = (err as { code?: unknown }).code
      if (code === 'TIMEOUT_EXCEEDED') throw PEER_TIMEOUT(this.peer, method, timeoutMs)
      if (code === 'CHANNEL_CLOSED' || code === 'CHANNEL_DESTROYED' || this.rpc.closed) {
        throw PEER_UNAVAILABLE(this.peer, err)
      }
      throw PEER_FAILED(this.peer, method, err)
    }
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A failure as a reply: its code if it has one from the catalogue, INTERNAL otherwise. */
function failure(err: unknown): ExecuteReply {
  const error = err instanceof SwarmError ? err : INTERNAL(err)
  return {
    ok: false,
    code: error.code,
    message: error.message,
    fields: { ...error.fields },
    logs: error.logs ?? ''
  }
}

function safely<T>(work: () => T): T {
  try {
    return work()
  } catch (err) {
    const code =
      typeof (err as { code?: unknown }).code === 'string'
        ? (err as { code: string }).code
        : 'INTERNAL'
    throw Object.assign(new Error(err instanceof Error ? err.message : String(err)), { code })
  }
}
