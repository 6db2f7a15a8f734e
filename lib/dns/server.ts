/**
 * The mesh's authoritative DNS server, on UDP and TCP. Answers come from `Zone`; dns2 supplies
 * the wire codec and the UDP transport (with its EDNS-sized truncation).
 *
 * Why not dns2's `createServer()`: with port 0 it binds TCP to every interface whatever address
 * it is given; a bind error is an unhandled 'error' (the process dies) and its `listen()` never
 * settles; its `close()` throws the second time and waits on idle TCP clients it gives no handle
 * to. Worse, its parser loops over the header's record counts, throwing and catching once per
 * missing record: a 12-byte datagram claiming 65535 of each blocks the event loop for seconds.
 * So every message is screened here first (`screen()`: one uncompressed question, at most an
 * OPT record, a bounded size), and TCP framing is done here.
 */
import type { RemoteInfo } from 'node:dgram'
import { createServer as createTcpServer, isIPv6, type Server, type Socket } from 'node:net'
import { Packet, createUDPServer, type UDPServer } from 'dns2'
import type { Logger } from 'pino'
import { EDGE_CLOSING } from '../errors.js'
import { RCODE, Zone, type ZoneDescription } from './zone.js'

export { ZONE } from './zone.js'

/** The port the server listens on by default (the mDNS port, free of privileges). */
export const DEFAULT_DNS_PORT = 5353
/** Loopback by default: the zone is for this host's resolver, not the internet. */
export const DEFAULT_DNS_HOST = '127.0.0.1'

/** A TCP client silent this long is disconnected (RFC 7766 §6.2.3 suggests seconds). */
const TCP_IDLE_TIMEOUT_MS = 10_000
/** TCP connections held at once; beyond it a new one is closed as soon as it is accepted. */
const MAX_TCP_CONNECTIONS = 256
/** The largest query read: the DNS flag day's EDNS size; real queries are under 300 bytes. */
const MAX_QUERY_BYTES = 1_232
const OPCODE_QUERY = 0
// Wire sizes (RFC 1035 §2.3.4, §4.1): the header; a question's type and class; an OPT record
// with the root name, up to and including its RDLENGTH; the limits on labels and names.
const HEADER_BYTES = 12
const QUESTION_FIXED_BYTES = 4
const OPT_FIXED_BYTES = 11
const MAX_LABEL_BYTES = 63
const MAX_NAME_BYTES = 255

/** Options for the DNS server. */
export interface DnsServerOptions {
  /** Address to bind, UDP and TCP alike. */
  host: string
  /** Port for both transports; 0 picks a free one for each. */
  port: number
  zone: ZoneDescription
  log: Logger
}

/** The ports the server listens on. */
export interface DnsPorts {
  udp: number
  tcp: number
}

/** What to do with a message, judged before dns2 parses it (null: let it). */
type Screening = { kind: 'drop'; reason: string } | { kind: 'reply'; rcode: number } | null

/**
 * Serves a `Zone` over UDP and TCP. Malformed input is dropped (logged at debug level) and never
 * escapes as an exception; a query the zone cannot take gets FORMERR, NOTIMP or REFUSED.
 */
export class DnsServer {
  private readonly options: DnsServerOptions
  private readonly zone: Zone
  private readonly log: Logger
  private readonly udp: UDPServer
  private readonly tcp: Server
  private readonly sockets = new Set<Socket>()
  private listening: Promise<DnsPorts> | null = null
  private closing: Promise<void> | null = null

  /** Validates the zone (INVALID_PARAMETER); nothing is bound until `listen()`. */
  constructor(options: DnsServerOptions) {
    this.options = options
    this.zone = new Zone(options.zone)
    this.log = options.log
    this.udp = createUDPServer({ type: isIPv6(options.host) ? 'udp6' : 'udp4' })
    // dns2 parses every datagram it receives; its listener is replaced by one that screens first.
    this.udp.removeAllListeners('message')
    this.udp.on('message', (message: Buffer, rinfo: RemoteInfo) => this.onDatagram(message, rinfo))
    this.udp.on('request', (request, send) => this.onUdpRequest(request, send))
    this.udp.on('requestError', (err) =>
      this.log.debug({ err }, 'dns: dropped unparsable datagram')
    )
    this.udp.on('error', (err) => this.log.warn({ err }, 'dns: udp socket error'))
    this.tcp = createTcpServer((socket) => this.onConnection(socket))
    this.tcp.maxConnections = MAX_TCP_CONNECTIONS
    this.tcp.on('error', (err) => this.log.warn({ err }, 'dns: tcp server error'))
  }

  /** Binds UDP then TCP; resolves with the actual ports, rejects on a bind error. */
  listen(): Promise<DnsPorts> {
    if (this.closing !== null) return Promise.reject(EDGE_CLOSING())
    this.listening ??= this.bind()
    return this.listening
  }

  /** Stops both transports and drops open TCP connections; idempotent. */
  close(): Promise<void> {
    this.closing ??= this.shutdown()
    return this.closing
  }

  private async bind(): Promise<DnsPorts> {
    const { host, port } = this.options
    const udp = await new Promise<number>((resolve, reject) => {
      this.udp.once('error', reject)
      this.udp.bind(port, host, () => {
        this.udp.off('error', reject)
        resolve(this.udp.address().port)
      })
    })
    const tcp = await new Promise<number>((resolve, reject) => {
      this.tcp.once('error', reject)
      this.tcp.listen(port, host, () => {
        this.tcp.off('error', reject)
        const address = this.tcp.address()
        // Only a pipe listener has a string address; this one listens on a port.
        resolve(typeof address === 'object' && address !== null ? address.port : port)
      })
    })
    this.log.debug({ host, udp, tcp }, 'dns: listening')
    return { udp, tcp }
  }

  private async shutdown(): Promise<void> {
    // A bind in flight settles first; its failure is reported to whoever called listen().
    await this.listening?.catch(() => undefined)
    const tcpClosed = new Promise<void>((resolve) => this.tcp.close(() => resolve()))
    for (const socket of this.sockets) socket.destroy()
    await tcpClosed
    await new Promise<void>((resolve) => {
      try {
        this.udp.close(() => resolve())
      } catch {
        // dgram throws when the socket is not running: then there is nothing left to release.
        resolve()
      }
    })
  }

  private onDatagram(message: Buffer, rinfo: RemoteInfo): void {
    const screening = screen(message)
    if (screening === null) {
      // dns2 parses it and emits 'request' (or 'requestError'); its reply fits the EDNS size.
      this.udp.handle(message, rinfo)
    } else if (screening.kind === 'drop') {
      this.log.debug({ from: rinfo.address, reason: screening.reason }, 'dns: dropped datagram')
    } else {
      const reply = headerOnlyReply(message, screening.rcode)
      this.udp.send(reply, rinfo.port, rinfo.address, (err) => {
        if (err) this.log.debug({ err }, 'dns: udp reply failed')
      })
    }
  }

  private onUdpRequest(request: Packet, send: (response: Packet) => Promise<Buffer>): void {
    try {
      send(this.respond(request)).catch((err: unknown) => {
        this.log.debug({ err }, 'dns: udp reply failed')
      })
    } catch (err) {
      this.log.debug({ err }, 'dns: udp reply could not be encoded')
    }
  }

  private onConnection(socket: Socket): void {
    if (this.closing !== null) {
      socket.destroy()
      return
    }
    this.sockets.add(socket)
    socket.once('close', () => this.sockets.delete(socket))
    socket.on('error', (err) => this.log.debug({ err }, 'dns: tcp connection error'))
    socket.setTimeout(TCP_IDLE_TIMEOUT_MS, () => socket.destroy())
    let buffered: Buffer = Buffer.alloc(0)
    socket.on('data', (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk])
      // RFC 1035 §4.2.2: each message is prefixed with its length; several may be pipelined.
      while (buffered.length >= 2) {
        const length = buffered.readUInt16BE(0)
        if (length > MAX_QUERY_BYTES) return this.dropConnection(socket, 'message too large')
        if (buffered.length < 2 + length) return
        const message = buffered.subarray(2, 2 + length)
        buffered = buffered.subarray(2 + length)
        const reply = this.replyTcp(message)
        if (typeof reply === 'string') return this.dropConnection(socket, reply)
        const framed = Buffer.alloc(2 + reply.length)
        framed.writeUInt16BE(reply.length, 0)
        reply.copy(framed, 2)
        socket.write(framed)
      }
    })
    socket.on('end', () => {
      // The socket ends itself after this (allowHalfOpen is off), once the replies are flushed.
      if (buffered.length > 0) this.log.debug({ reason: 'truncated' }, 'dns: dropped tcp message')
    })
  }

  /** The encoded reply to one TCP message, or why it was dropped. */
  private replyTcp(message: Buffer): Buffer | string {
    const screening = screen(message)
    if (screening?.kind === 'drop') return screening.reason
    if (screening !== null) return headerOnlyReply(message, screening.rcode)
    try {
      const reply = this.respond(Packet.parse(message)).toBuffer()
      return reply.length <= 0xffff ? reply : 'reply too large'
    } catch (err) {
      this.log.debug({ err }, 'dns: unparsable tcp message')
      return 'unparsable'
    }
  }

  private dropConnection(socket: Socket, reason: string): void {
    this.log.debug({ reason }, 'dns: dropped tcp connection')
    socket.destroy()
  }

  /** The response to a screened query: FORMERR, REFUSED, SERVFAIL or the zone's answer. */
  private respond(request: Packet): Packet {
    const response = Packet.createResponseFromRequest(request)
    const question = request.questions[0]
    // The header promised one question (screened); a question dns2 could not parse is missing.
    if (question === undefined || request.questions.length !== 1) {
      response.header.rcode = RCODE.FORMERR
      return response
    }
    if (question.class !== Packet.CLASS.IN && question.class !== Packet.CLASS.ANY) {
      response.header.rcode = RCODE.REFUSED
      return response
    }
    try {
      const answer = this.zone.answer(question.name, question.type)
      response.header.rcode = answer.rcode
      response.answers = answer.answers
      response.authorities = answer.authorities
      // Authoritative only for names in the zone; a REFUSED name is none of ours.
      if (answer.rcode !== RCODE.REFUSED) response.header.aa = 1
    } catch (err) {
      // The zone reads the live edge list; if that fails the question may succeed later.
      this.log.debug({ err }, 'dns: zone lookup failed')
      response.header.rcode = RCODE.SERVFAIL
    }
    return response
  }
}

/**
 * Judges a message before dns2 parses it: null for one plain query (dns2 may parse it), a reply
 * code for a query this server will not parse, or a reason to drop it unanswered. The walk is
 * linear and leaves dns2 nothing costly: one uncompressed name and at most an OPT record.
 */
function screen(message: Buffer): Screening {
  if (message.length < HEADER_BYTES) return { kind: 'drop', reason: 'shorter than a header' }
  if (message.length > MAX_QUERY_BYTES) return { kind: 'drop', reason: 'too large for a query' }
  // A response is never answered: two servers could bounce one between them forever.
  if ((message[2]! & 0x80) !== 0) return { kind: 'drop', reason: 'not a query' }
  if (((message[2]! >> 3) & 0x0f) !== OPCODE_QUERY) return { kind: 'reply', rcode: RCODE.NOTIMP }
  const formerr = { kind: 'reply', rcode: RCODE.FORMERR } as const
  const questions = message.readUInt16BE(4)
  const answers = message.readUInt16BE(6)
  const authorities = message.readUInt16BE(8)
  const additionals = message.readUInt16BE(10)
  if (questions !== 1 || answers !== 0 || authorities !== 0 || additionals > 1) return formerr
  // The first name of a message has nothing before it to point to: labels only (RFC 1035 §4.1.4).
  let offset = HEADER_BYTES
  let nameBytes = 1
  for (let label = message[offset]; label !== 0; label = message[offset]) {
    if (label === undefined || label > MAX_LABEL_BYTES) return formerr
    nameBytes += label + 1
    if (nameBytes > MAX_NAME_BYTES) return formerr
    offset += label + 1
  }
  offset += 1 + QUESTION_FIXED_BYTES
  if (additionals === 1) {
    // The one extra record a query may carry is EDNS's OPT, owned by the root (RFC 6891 §6.1.2).
    if (offset + OPT_FIXED_BYTES > message.length) return formerr
    if (message[offset] !== 0 || message.readUInt16BE(offset + 1) !== Packet.TYPE.EDNS) {
      return formerr
    }
    offset += OPT_FIXED_BYTES + message.readUInt16BE(offset + OPT_FIXED_BYTES - 2)
  }
  return offset <= message.length ? null : formerr
}

/** A reply carrying only a header: the query's id, opcode and RD bit, and an error code. */
function headerOnlyReply(query: Buffer, rcode: number): Buffer {
  const reply = Buffer.alloc(HEADER_BYTES)
  query.copy(reply, 0, 0, 2)
  // QR set, the opcode and RD bit kept, AA/TC clear; RA, Z, AD, CD clear; then the code.
  reply[2] = 0x80 | (query[2]! & 0x79)
  reply[3] = rcode & 0x0f
  return reply
}
