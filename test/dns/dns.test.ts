import { execFile, spawnSync } from 'node:child_process'
import { createSocket } from 'node:dgram'
import { once } from 'node:events'
import { connect, type Socket } from 'node:net'
import { promisify } from 'node:util'
import { Packet, TCPClient, UDPClient } from 'dns2'
import { pino, type Logger } from 'pino'
import t from 'tap'
import { DnsServer, ZONE, type DnsPorts } from '../../lib/dns/server.js'
import { RCODE, Zone, type ZoneDescription, type ZoneEdge } from '../../lib/dns/zone.js'

type Test = Pick<typeof t, 'teardown'>

const EDGES: ZoneEdge[] = [
  { name: 'edge-a', address: '127.0.0.1' },
  { name: 'edge-b', address: '127.0.0.2' }
]
const TTL = 60
const A = Packet.TYPE.A
const AAAA = Packet.TYPE.AAAA
const IN = Packet.CLASS.IN

function description(aaaa: string[] = [], edges: () => Iterable<ZoneEdge> = () => EDGES) {
  return { zone: ZONE, proxy: { a: ['127.0.0.1'], aaaa }, edges } satisfies ZoneDescription
}

/** A server on loopback with free ports, closed when the test ends. */
async function start(
  t: Test,
  zone: ZoneDescription = description(),
  log: Logger = pino({ level: 'silent' })
) {
  const server = new DnsServer({ host: '127.0.0.1', port: 0, zone, log })
  t.teardown(() => server.close())
  const ports = await server.listen()
  return {
    server,
    ports,
    udp: UDPClient({ dns: '127.0.0.1', port: ports.udp }),
    tcp: TCPClient({ dns: '127.0.0.1', port: ports.tcp })
  }
}

/** A logger whose entries land in an array (pino writes to the stream synchronously). */
function capturingLogger() {
  const entries: Record<string, unknown>[] = []
  const log = pino(
    { level: 'debug' },
    { write: (line: string) => void entries.push(JSON.parse(line) as Record<string, unknown>) }
  )
  return { log, reasons: () => entries.map((entry) => entry.reason).filter((r) => r !== undefined) }
}

function query(name: string, type: number, id: number): Buffer {
  const packet = new Packet()
  packet.header.id = id
  packet.questions.push(new Packet.Question(name, type, IN))
  return packet.toBuffer()
}

/**
 * Sends datagrams from one socket, then `last`; resolves with every reply up to the one to
 * `last` (same id). The server handles one socket's datagrams in order, so by then it has dealt
 * with all the others.
 */
async function udpExchange(port: number, datagrams: Buffer[], last: Buffer): Promise<Buffer[]> {
  const socket = createSocket('udp4')
  const replies: Buffer[] = []
  try {
    const done = new Promise<void>((resolve) => {
      socket.on('message', (reply: Buffer) => {
        replies.push(reply)
        if (reply.length >= 2 && reply.readUInt16BE(0) === last.readUInt16BE(0)) resolve()
      })
    })
    for (const datagram of [...datagrams, last]) {
      await new Promise<void>((resolve, reject) =>
        socket.send(datagram, port, '127.0.0.1', (err) => (err ? reject(err) : resolve()))
      )
    }
    await done
    return replies
  } finally {
    socket.close()
  }
}

/** Writes to a fresh TCP connection; resolves with what came back once the server closed it. */
async function tcpUntilClosed(port: number, write: (socket: Socket) => void): Promise<Buffer> {
  const socket = connect(port, '127.0.0.1')
  const received: Buffer[] = []
  socket.on('data', (chunk: Buffer) => received.push(chunk))
  socket.on('error', () => {
    // A reset by the server is one of the ways it may drop the connection; 'close' follows.
  })
  await once(socket, 'connect')
  const closed = once(socket, 'close')
  write(socket)
  await closed
  return Buffer.concat(received)
}

function frame(message: Buffer): Buffer {
  const length = Buffer.alloc(2)
  length.writeUInt16BE(message.length)
  return Buffer.concat([length, message])
}

function header(id: number, flags: number, counts: [number, number, number, number]): Buffer {
  const buffer = Buffer.alloc(12)
  buffer.writeUInt16BE(id, 0)
  buffer.writeUInt16BE(flags, 2)
  counts.forEach((count, i) => buffer.writeUInt16BE(count, 4 + 2 * i))
  return buffer
}

function aRecord(name: string, address: string) {
  return { name, type: A, class: IN, ttl: TTL, address }
}

const SOA = {
  name: 'lambda.mesh',
  type: Packet.TYPE.SOA,
  class: IN,
  ttl: TTL,
  primary: 'ns.lambda.mesh',
  admin: 'hostmaster.lambda.mesh',
  serial: 1,
  refresh: 3600,
  retry: 600,
  expiration: 1209600,
  minimum: TTL
}

t.test('every name in the zone points at the proxy, over UDP and TCP', async (t) => {
  const { udp, tcp } = await start(t)
  for (const [transport, resolve] of [
    ['udp', udp],
    ['tcp', tcp]
  ] as const) {
    for (const name of ['lambda.mesh', 'fn.lambda.mesh', 'a.b.lambda.mesh', 'ns.lambda.mesh']) {
      const res = await resolve(name, 'A')
      t.equal(res.header.rcode, RCODE.NOERROR, `${transport} ${name}`)
      t.equal(res.header.aa, 1, `${transport} ${name} is authoritative`)
      t.same(res.answers, [aRecord(name, '127.0.0.1')], `${transport} ${name}`)
      t.same(res.authorities, [], `${transport} ${name}`)
    }
    const mixed = await resolve('FN.Lambda.Mesh.', 'A')
    t.equal(mixed.header.rcode, RCODE.NOERROR, `${transport} mixed case`)
    t.same(mixed.answers, [aRecord('FN.Lambda.Mesh', '127.0.0.1')], `${transport} mixed case`)
  }
})

t.test('edges have names of their own under edges.lambda.mesh', async (t) => {
  const { udp, tcp } = await start(t)
  for (const resolve of [udp, tcp]) {
    const b = await resolve('edge-b.edges.lambda.mesh', 'A')
    t.equal(b.header.rcode, RCODE.NOERROR)
    t.equal(b.header.aa, 1)
    t.same(b.answers, [aRecord('edge-b.edges.lambda.mesh', '127.0.0.2')])
    const a = await resolve('EDGE-A.Edges.lambda.mesh', 'A')
    t.same(a.answers, [aRecord('EDGE-A.Edges.lambda.mesh', '127.0.0.1')])

    for (const name of ['nope.edges.lambda.mesh', 'x.edge-a.edges.lambda.mesh']) {
      const missing = await resolve(name, 'A')
      t.equal(missing.header.rcode, RCODE.NXDOMAIN, name)
      t.equal(missing.header.aa, 1, name)
      t.same(missing.answers, [], name)
      t.same(missing.authorities, [SOA], `${name}: the SOA is in authority`)
    }

    const node = await resolve('edges.lambda.mesh', 'A')
    t.equal(node.header.rcode, RCODE.NOERROR, 'edges.lambda.mesh exists')
    t.same(node.answers, [], 'with no records')
    t.same(node.authorities, [SOA])
  }
})

t.test('names outside the zone are refused: not an open resolver', async (t) => {
  const { udp, tcp } = await start(t)
  for (const resolve of [udp, tcp]) {
    for (const name of ['example.com', 'mesh', 'xlambda.mesh', 'lambda.mesh.evil.com']) {
      const res = await resolve(name, 'A')
      t.equal(res.header.rcode, RCODE.REFUSED, name)
      t.equal(res.header.aa, 0, `${name}: not authoritative`)
      t.same(res.answers, [], name)
      t.same(res.authorities, [], name)
    }
  }
})

t.test('SOA and NS at the apex, NODATA for them below it', async (t) => {
  const { udp, tcp } = await start(t)
  for (const resolve of [udp, tcp]) {
    const soa = await resolve('lambda.mesh', 'SOA')
    t.equal(soa.header.rcode, RCODE.NOERROR)
    t.equal(soa.header.aa, 1)
    t.same(soa.answers, [SOA])

    const ns = await resolve('lambda.mesh', 'NS')
    t.same(ns.answers, [
      { name: 'lambda.mesh', type: Packet.TYPE.NS, class: IN, ttl: TTL, ns: 'ns.lambda.mesh' }
    ])

    for (const type of ['SOA', 'NS', 'MX', 'TXT', 'CNAME'] as const) {
      const nodata = await resolve('fn.lambda.mesh', type)
      t.equal(nodata.header.rcode, RCODE.NOERROR, `${type} below the apex`)
      t.same(nodata.answers, [], `${type} below the apex`)
      t.same(nodata.authorities, [SOA], `${type} below the apex`)
    }

    const any = await resolve('lambda.mesh', 'ANY')
    t.same(
      any.answers.map((record) => record.type),
      [A, Packet.TYPE.SOA, Packet.TYPE.NS],
      'ANY at the apex: A, SOA, NS'
    )
  }
})

t.test('AAAA only where IPv6 is configured', async (t) => {
  const v4 = await start(t)
  const none = await v4.udp('fn.lambda.mesh', 'AAAA')
  t.equal(none.header.rcode, RCODE.NOERROR, 'NODATA, not NXDOMAIN')
  t.same(none.answers, [])
  t.same(none.authorities, [SOA])

  const v6 = await start(t, description(['::1']))
  for (const resolve of [v6.udp, v6.tcp]) {
    const res = await resolve('fn.lambda.mesh', 'AAAA')
    t.equal(res.header.rcode, RCODE.NOERROR)
    t.equal(res.header.aa, 1)
    t.same(res.answers, [
      { name: 'fn.lambda.mesh', type: AAAA, class: IN, ttl: TTL, address: '::1' }
    ])
    const a = await resolve('fn.lambda.mesh', 'A')
    t.same(a.answers, [aRecord('fn.lambda.mesh', '127.0.0.1')], 'A is unchanged')
    const any = await resolve('fn.lambda.mesh', 'ANY')
    t.same(
      any.answers.map((record) => [record.type, record.address]),
      [
        [A, '127.0.0.1'],
        [AAAA, '::1']
      ]
    )
  }
})

t.test('the zone answers from the live edge list, and fails softly when it throws', async (t) => {
  let edges: ZoneEdge[] = []
  let broken = false
  const { udp } = await start(
    t,
    description([], () => {
      if (broken) throw new Error('the peer table is gone')
      return edges
    })
  )
  t.equal((await udp('edge-c.edges.lambda.mesh', 'A')).header.rcode, RCODE.NXDOMAIN)
  edges = [{ name: 'edge-c', address: '2001:db8::c' }]
  const v6 = await udp('edge-c.edges.lambda.mesh', 'AAAA')
  t.same(
    v6.answers.map((record) => record.address),
    ['2001:db8::c'],
    'an IPv6 edge is AAAA'
  )
  const noA = await udp('edge-c.edges.lambda.mesh', 'A')
  t.equal(noA.header.rcode, RCODE.NOERROR, 'and has no A: NODATA')
  t.same(noA.answers, [])
  broken = true
  t.equal((await udp('edge-c.edges.lambda.mesh', 'A')).header.rcode, RCODE.SERVFAIL)
  t.same((await udp('fn.lambda.mesh', 'A')).answers, [aRecord('fn.lambda.mesh', '127.0.0.1')])
})

t.test('Zone on its own: validation and address forms', async (t) => {
  t.throws(() => new Zone({ ...description(), proxy: { a: ['::1'], aaaa: [] } }), {
    code: 'INVALID_PARAMETER'
  })
  t.throws(() => new Zone({ ...description(), proxy: { a: [], aaaa: ['1.2.3.4'] } }), {
    code: 'INVALID_PARAMETER'
  })
  t.throws(() => new Zone({ ...description(), zone: 'bad..zone' }), { code: 'INVALID_PARAMETER' })
  t.throws(() => new Zone({ ...description(), ttl: -1 }), { code: 'INVALID_PARAMETER' })

  const zone = new Zone({
    zone: 'Mesh.Example.',
    proxy: { a: ['10.0.0.1', '10.0.0.2'], aaaa: ['::ffff:10.0.0.1'] },
    edges: () => [{ name: 'e', address: 'not an address' }],
    ttl: 5
  })
  t.equal(zone.apex, 'mesh.example')
  const a = zone.answer('x.mesh.example', A)
  t.same(
    a.answers.map((record) => [record.address, record.ttl]),
    [
      ['10.0.0.1', 5],
      ['10.0.0.2', 5]
    ]
  )
  t.same(
    zone.answer('x.mesh.example', AAAA).answers.map((record) => record.address),
    ['::ffff:a00:1'],
    'an embedded IPv4 tail is rewritten in hex, which dns2 can encode'
  )
  const broken = zone.answer('e.edges.mesh.example', A)
  t.equal(broken.rcode, RCODE.NOERROR, 'an edge with a bad address exists without records')
  t.same(broken.answers, [])
  t.equal(zone.answer('a..mesh.example', A).rcode, RCODE.NXDOMAIN, 'an empty label names nothing')
  t.equal(zone.answer('mesh.example', Packet.TYPE.AXFR).rcode, RCODE.REFUSED, 'no transfers')
  t.equal(zone.answer('lambda.mesh', A).rcode, RCODE.REFUSED, 'another zone')
})

t.test('queries the zone will not parse get FORMERR or NOTIMP', async (t) => {
  const { ports } = await start(t)
  const two = new Packet()
  two.header.id = 0x1111
  two.questions.push(new Packet.Question('lambda.mesh', A, IN))
  two.questions.push(new Packet.Question('fn.lambda.mesh', A, IN))
  const [formerr] = await udpExchange(ports.udp, [], two.toBuffer())
  const parsed = Packet.parse(formerr!)
  t.equal(parsed.header.id, 0x1111)
  t.equal(parsed.header.qr, 1)
  t.equal(parsed.header.rcode, RCODE.FORMERR, 'two questions: FORMERR')

  const [none] = await udpExchange(ports.udp, [], header(0x2222, 0x0100, [0, 0, 0, 0]))
  t.equal(Packet.parse(none!).header.rcode, RCODE.FORMERR, 'no question: FORMERR')

  const update = header(0x3333, 5 << 11, [1, 0, 0, 0])
  const [notimp] = await udpExchange(ports.udp, [], update)
  t.equal(Packet.parse(notimp!).header.rcode, RCODE.NOTIMP, 'an UPDATE: NOTIMP')

  const overTcp = await tcpUntilClosed(ports.tcp, (socket) => socket.end(frame(two.toBuffer())))
  t.equal(overTcp.readUInt16BE(0), overTcp.length - 2, 'one framed reply')
  t.equal(Packet.parse(overTcp.subarray(2)).header.rcode, RCODE.FORMERR, 'FORMERR over TCP too')
})

t.test('malformed datagrams are dropped and the server keeps answering', async (t) => {
  const { log, reasons } = capturingLogger()
  const { ports, udp } = await start(t, description(), log)
  const datagrams = [
    Buffer.from('8b2f1c9e04d7a35f0e61b2c8d9f3a4e7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0', 'hex'),
    Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x01]), // a truncated header
    header(0x0a0a, 0x0100, [5, 0, 0, 0]), // claims 5 questions, has none
    header(0x0b0b, 0x0100, [65535, 65535, 65535, 65535]), // dns2 alone would spin for seconds
    Buffer.concat([header(0x0c0c, 0x0100, [1, 0, 0, 0]), Buffer.from([0xc0, 0x0c, 0, 1, 0, 1])]),
    Buffer.concat([header(0x0d0d, 0x0100, [1, 0, 0, 0]), Buffer.from([63, 0x61, 0x62])]),
    header(0x0e0e, 0x8180, [1, 1, 0, 0]), // a response, not a query
    Buffer.alloc(0)
  ]
  const replies = await udpExchange(ports.udp, datagrams, query('fn.lambda.mesh', A, 0x4242))
  const last = Packet.parse(replies.at(-1)!)
  t.equal(last.header.rcode, RCODE.NOERROR)
  t.same(last.answers, [aRecord('fn.lambda.mesh', '127.0.0.1')], 'the real query is answered')
  const others = replies.slice(0, -1).map((reply) => Packet.parse(reply).header)
  t.same(
    others.map((h) => [h.id, h.qr, h.rcode]),
    [
      [0x8b2f, 1, RCODE.NOTIMP],
      [0x0a0a, 1, RCODE.FORMERR],
      [0x0b0b, 1, RCODE.FORMERR],
      [0x0c0c, 1, RCODE.FORMERR],
      [0x0d0d, 1, RCODE.FORMERR]
    ],
    'a header with a bad opcode gets NOTIMP, over a bad body FORMERR; the rest get nothing'
  )
  t.same(reasons(), ['shorter than a header', 'not a query', 'shorter than a header'])
  t.same((await udp('lambda.mesh', 'A')).answers, [aRecord('lambda.mesh', '127.0.0.1')])
})

t.test('malformed TCP streams are dropped and the server keeps answering', async (t) => {
  const { ports, tcp } = await start(t)
  const junk = Buffer.alloc(20, 0xff)
  t.equal(
    (await tcpUntilClosed(ports.tcp, (s) => s.write(frame(junk)))).length,
    0,
    'a length prefix then junk: the connection is dropped, unanswered'
  )
  t.equal(
    (await tcpUntilClosed(ports.tcp, (s) => s.end(Buffer.from([0, 50, 1, 2, 3])))).length,
    0,
    'half a message then FIN: closed, unanswered'
  )
  t.equal(
    (await tcpUntilClosed(ports.tcp, (s) => s.write(Buffer.from([0xff, 0xff, 0, 0])))).length,
    0,
    'a length over any query: dropped at once'
  )
  t.equal(
    (await tcpUntilClosed(ports.tcp, (s) => s.write(frame(Buffer.from([1, 2, 3]))))).length,
    0,
    'a message shorter than a header: dropped'
  )

  // Half a message, then the connection is reset from our side.
  const half = connect(ports.tcp, '127.0.0.1')
  await once(half, 'connect')
  half.write(Buffer.from([0, 40, 0, 1, 2]))
  half.resetAndDestroy()
  await once(half, 'close')

  // Two queries in one write, each answered in its own frame.
  const pipelined = await tcpUntilClosed(ports.tcp, (socket) =>
    socket.end(
      Buffer.concat([
        frame(query('lambda.mesh', A, 1)),
        frame(query('edge-b.edges.lambda.mesh', A, 2))
      ])
    )
  )
  const firstLength = pipelined.readUInt16BE(0)
  const first = Packet.parse(pipelined.subarray(2, 2 + firstLength))
  const rest = pipelined.subarray(2 + firstLength)
  const second = Packet.parse(rest.subarray(2, 2 + rest.readUInt16BE(0)))
  t.same(first.answers, [aRecord('lambda.mesh', '127.0.0.1')])
  t.same(second.answers, [aRecord('edge-b.edges.lambda.mesh', '127.0.0.2')])

  const res = await tcp('fn.lambda.mesh', 'A')
  t.same(res.answers, [aRecord('fn.lambda.mesh', '127.0.0.1')], 'still answering')
})

t.test('listen reports bind errors, close is idempotent', async (t) => {
  const first = await start(t)
  const second = new DnsServer({
    host: '127.0.0.1',
    port: first.ports.udp,
    zone: description(),
    log: pino({ level: 'silent' })
  })
  t.teardown(() => second.close())
  await t.rejects(second.listen(), { code: 'EADDRINUSE' })
  await second.close()
  await second.close()
  await t.rejects(second.listen(), { code: 'EDGE_CLOSING' })

  const never = new DnsServer({
    host: '127.0.0.1',
    port: 0,
    zone: description(),
    log: pino({ level: 'silent' })
  })
  await never.close()

  await first.server.close()
  await first.server.close()
  await t.rejects(first.tcp('lambda.mesh', 'A'), { code: 'ECONNREFUSED' }, 'closed: not listening')
})

const dig = spawnSync('dig', ['-v'])
const digMissing = dig.error !== undefined ? 'dig is not installed' : false

t.test('dig gets the answers', { skip: digMissing }, async (t) => {
  const { ports } = await start(t)
  const run = async (args: string[]) =>
    (await promisify(execFile)('dig', ['@127.0.0.1', '+tries=1', '+time=5', ...args])).stdout
  const port = (p: DnsPorts, transport: 'udp' | 'tcp') => ['-p', String(p[transport])]
  t.equal((await run([...port(ports, 'udp'), 'lambda.mesh', '+short'])).trim(), '127.0.0.1')
  t.equal(
    (await run([...port(ports, 'tcp'), '+tcp', 'fn.lambda.mesh', '+short'])).trim(),
    '127.0.0.1'
  )
  const full = await run([...port(ports, 'udp'), 'edge-b.edges.lambda.mesh'])
  t.match(full, /status: NOERROR/)
  t.match(full, /flags: qr aa rd;/)
  t.match(full, /edge-b\.edges\.lambda\.mesh\.\s+60\s+IN\s+A\s+127\.0\.0\.2/)
  t.match(await run([...port(ports, 'udp'), 'example.com']), /status: REFUSED/)
  t.match(await run([...port(ports, 'udp'), 'nope.edges.lambda.mesh']), /status: NXDOMAIN/)
})
