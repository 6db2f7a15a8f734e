import c from 'compact-encoding'
import type ProtomuxRPC from 'protomux-rpc'
import { nodeInfo, type NodeInfo } from '../wire/messages.js'
/** A request unanswered after this long fails (protomux-rpc has no deadline by default). */
export const REQUEST_TIMEOUT_MS = 2_000

/** What this edge answers to its members. */
export interface RpcHandlers {
  info(): NodeInfo
}

/**
 * Requests to, and answers for, one authenticated member over protomux-rpc on the connection
 * they share. Every request has a deadline; a closed connection fails requests at once.
 * Handlers run inside try/catch: a throw that is not an Error with a string code would crash
 * this process inside protomux-rpc's encoder, so any failure is re-thrown as a plain coded Error.
 */
export class PeerRpc {
  private readonly rpc: ProtomuxRPC

  /** Takes a member's RPC channel (see Member.rpc) and starts answering on it. */
  constructor(rpc: ProtomuxRPC, handlers: RpcHandlers) {
    this.rpc = rpc
    this.rpc.respond<null, NodeInfo>(
      'info',
      { requestEncoding: c.none, responseEncoding: nodeInfo },
      () => safely(() => handlers.info())
    )
  }

  /** The member's info, and how long the round trip took. */
  async info(timeoutMs = REQUEST_TIMEOUT_MS): Promise<{ info: NodeInfo; rttMs: number }> {
    const started = process.hrtime.bigint()
    const info = await this.rpc.request<NodeInfo, null>('info', null, {
      requestEncoding: c.none,
      responseEncoding: nodeInfo,
      timeout: timeoutMs
    })
    return { info, rttMs: Number(process.hrtime.bigint() - started) / 1e6 }
  }

  /** Closes the RPC channel (the connection stays). */
  close(): void {
    this.rpc.destroy()
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
