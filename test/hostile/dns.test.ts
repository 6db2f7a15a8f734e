import { createSocket } from 'node:dgram'
import { once } from 'node:events'
import { connect } from 'node:net'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { Packet, TCPClient, UDPClient } from 'dns2'
import { pino } from 'pino'
import t from 'tap'
import { DnsServer, ZONE } from '../../lib/dns/server.js'
import { RCODE } from '../../lib/dns/zone.js'
import { mutate, Rng } from './support.js'

/**
 * A generated fuzz batch against the DNS server: hundreds of mutated queries over UDP and TCP
 * (flipped, truncated and spliced bytes, random header counts and flags, broken EDNS records).
 * Every reply must be a well-formed response to a query that was sent; nothing may throw,
 * hang or stall the loop; a valid query is answered afterwards on both transports.
 */

const SEED = 0xd05_8002
const UDP_DATAGRAMS = 1_500
const TCP_MESSAGES = 600
const A = Packet.TYPE.A

function query(name: string, type: number, edns: boolean): Buffer {
  const packet = new Packet()
  packet.header.id = 1
  packet.header.rd = 1
  packet.questions.push(new Packet.Question(name, type, Packet.CLASS.IN))
  if (edns) {
    // dns2's typings leave out its EDNS option builders.
    const ecs = (Packet.Resource.EDNS as unknown as { ECS(subnet: string): object }).ECS
    packet.additionals.push(Packet.Resource.EDNS([ecs('10.1.2.0/24')]))
  }
  return packet.toBuffer()
}

const BASES = [
  query('lambda.mesh', A, false),
  query('fn.lambda.mesh', Packet.TYPE.AAAA, true),
  query('edge-a.edges.lambda.mesh', A, true),
  query('lambda.mesh', Packet.TYPE.SOA, false),
  query('lambda.mesh', Packet.TYPE.ANY, true),
  query('nope.edges.lambda.mesh', A, false),
  query('example.com', A, true),
  query('a.b.c.d.e.f.lambda.mesh', Packet.TYPE.TXT, false)
]

/** One hostile message: a byte mutation, or a valid query with a random header. */
function hostile(rng: Rng, id: number): Buffer {
  let message: Buffer
  if (rng.int(4) === 0) {
    message = Buffer.from(rng.pick(BASES))
    for (let word = 1; word < 6; word++) {
      if (rng.int(2) === 0) message.writeUInt16BE(rng.int(65_536), word * 2)
    }
  } else {
    message = mutate(rng, rng.pick(BASES))
  }
  if (message.length >= 2) message.writeUInt16BE(id, 0) // to tell replies apart
  return message
}

/** `work`'s value, or 'timeout' after `ms` (the timer is cleared either way). */
async function within<T>(work: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(resolve, ms, 'timeout')))
  try {
    return await Promise.race([work, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** What is wrong with a reply to `sent` (null: a well-formed response). */
function judgeReply(reply: Buffer, sent: Map<number, Buffer>): string | null {
  if (reply.length < 12) return `a reply of ${reply.length} bytes`
  const id = reply.readUInt16BE(0)
  const request = sent.get(id)
  if (request === undefined) return `a reply to id ${id}, which was not sent`
  if ((reply[2]! & 0x80) === 0) return `reply ${id} is not a response`
  if ((request[2]! & 0x80) !== 0) return `reply ${id} answers a response (a bounce loop)`
  try {
    Packet.parse(reply)
  } catch (err) {
    return `reply ${id} does not parse: ${(err as Error).message}`
  }
  return null
}

t.test(
  'mutated DNS packets over UDP and TCP: typed replies or silence, then answers',
  async (t) => {
    const server = new DnsServer({
      host: '127.0.0.1',
      port: 0,
      zone: {
        zone: ZONE,
        proxy: { a: ['127.0.0.1'], aaaa: ['::1'] },
        edges: () => [
          { name: 'edge-a', address: '127.0.0.1' },
          { name: 'edge-b', address: '::2' }
        ]
      },
      log: pino({ level: 'silent' })
    })
    t.teardown(() => server.close())
    const ports = await server.listen()
    const lag = monitorEventLoopDelay({ resolution: 10 })
    lag.enable()
    // The time each message holds the loop, measured in the server's own handlers: what a packet
    // costs, apart from what a loaded machine adds to this process's loop delay.
    let maxHandlerMs = 0
    const handlers = server as unknown as Record<
      'onDatagram' | 'replyTcp',
      (...args: unknown[]) => unknown
    >
    for (const name of ['onDatagram', 'replyTcp'] as const) {
      const original = handlers[name].bind(server)
      handlers[name] = (...args: unknown[]) => {
        const started = performance.now()
        try {
          return original(...args)
        } finally {
          maxHandlerMs = Math.max(maxHandlerMs, performance.now() - started)
        }
      }
    }
    const rng = new Rng(SEED)
    const wrong: string[] = []
    const rcodes = new Map<number, number>()
    const count = (reply: Buffer) => {
      const rcode = (reply[3] ?? 0) & 0x0f
      rcodes.set(rcode, (rcodes.get(rcode) ?? 0) + 1)
    }

    // UDP, in batches from one socket, each closed by a valid query whose answer means the server
    // has dealt with the batch (it handles one socket's datagrams in order).
    const socket = createSocket('udp4')
    t.teardown(() => socket.close())
    let udpReplies = 0
    let marker = 0
    const waiting = new Map<number, () => void>()
    const sent = new Map<number, Buffer>()
    socket.on('message', (reply: Buffer) => {
      const id = reply.length >= 2 ? reply.readUInt16BE(0) : -1
      const done = waiting.get(id)
      if (done !== undefined) {
        waiting.delete(id)
        return done()
      }
      udpReplies++
      count(reply)
      const why = judgeReply(reply, sent)
      if (why !== null) wrong.push(`udp: ${why}`)
    })
    const sendTo = (message: Buffer) =>
      new Promise<void>((resolve, reject) =>
        socket.send(message, ports.udp, '127.0.0.1', (err) => (err ? reject(err) : resolve()))
      )
    for (let i = 0; i < UDP_DATAGRAMS; i++) {
      const message = hostile(rng, 0x1000 + i)
      sent.set(0x1000 + i, message)
      await sendTo(message)
      if (i % 50 === 49) {
        const id = 0xf000 + marker++
        const answered = new Promise<void>((resolve) => waiting.set(id, resolve))
        const valid = query('lambda.mesh', A, false)
        valid.writeUInt16BE(id, 0)
        await sendTo(valid)
        if ((await within(answered, 5_000)) === 'timeout') {
          wrong.push(`udp: the valid query after datagram ${i} was not answered within 5 s`)
        }
      }
    }

    // TCP: ten messages per connection, framed, pipelined, then FIN; the server answers what it
    // can and closes, at the latest when it meets a message it drops.
    let tcpReplies = 0
    let tcpConnections = 0
    const tcpSent = new Map<number, Buffer>()
    for (let batch = 0; batch < TCP_MESSAGES / 10; batch++) {
      const messages = Array.from({ length: 10 }, (_, i) => {
        const id = 0x8000 + batch * 10 + i
        const message = hostile(rng, id)
        tcpSent.set(id, message)
        const length = Buffer.alloc(2)
        // A lying length prefix now and then: longer or shorter than the message.
        length.writeUInt16BE(rng.int(20) === 0 ? rng.int(65_536) : message.length)
        return Buffer.concat([length, message])
      })
      const conn = connect(ports.tcp, '127.0.0.1')
      tcpConnections++
      conn.on('error', () => {
        // A reset is one way the server drops a connection; 'close' follows.
      })
      const received: Buffer[] = []
      conn.on('data', (chunk: Buffer) => received.push(chunk))
      await once(conn, 'connect')
      const closed = once(conn, 'close')
      conn.end(Buffer.concat(messages))
      if ((await within(closed, 5_000)) === 'timeout') {
        wrong.push(`tcp: batch ${batch} was not closed within 5 s`)
        conn.destroy()
        continue
      }
      let data = Buffer.concat(received)
      while (data.length >= 2) {
        const length = data.readUInt16BE(0)
        if (data.length < 2 + length) {
          wrong.push(`tcp: batch ${batch}: a reply frame cut short`)
          break
        }
        const reply = data.subarray(2, 2 + length)
        tcpReplies++
        count(reply)
        const why = judgeReply(reply, tcpSent)
        if (why !== null) wrong.push(`tcp: ${why}`)
        data = data.subarray(2 + length)
      }
    }

    const udp = UDPClient({ dns: '127.0.0.1', port: ports.udp })
    const tcp = TCPClient({ dns: '127.0.0.1', port: ports.tcp })
    for (const [transport, resolve] of [
      ['udp', udp],
      ['tcp', tcp]
    ] as const) {
      const answer = await resolve('fn.lambda.mesh', 'A')
      t.equal(answer.header.rcode, RCODE.NOERROR, `${transport}: a valid query still answers`)
      t.same(
        answer.answers.map((record) => record.address),
        ['127.0.0.1'],
        `${transport}: with the proxy's address`
      )
    }
    lag.disable()
    const maxLagMs = lag.max / 1e6

    const codes = [...rcodes].map(([rcode, n]) => `rcode ${rcode}: ${n}`).join(', ')
    t.comment(
      `DNS fuzz: ${UDP_DATAGRAMS} UDP datagrams (${udpReplies} replies), ${TCP_MESSAGES} TCP messages on ${tcpConnections} connections (${tcpReplies} replies); ${codes}`
    )
    t.comment(
      `longest a message held the loop: ${maxHandlerMs.toFixed(1)} ms; this process's loop delay max ${maxLagMs.toFixed(1)} ms`
    )
    t.same(wrong, [], 'every reply is a well-formed response to a query that was sent')
    t.ok(udpReplies > 0 && tcpReplies > 0, 'some mutated queries were answered')
    t.ok(maxHandlerMs < 100, `no message held the loop for 100 ms (${maxHandlerMs.toFixed(1)})`)
  }
)
