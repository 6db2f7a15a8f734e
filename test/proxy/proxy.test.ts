import { once } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import { pino } from 'pino'
import t from 'tap'
import { request } from 'undici'
import { EdgeDirectory } from '../../lib/directory.js'
import { EDGE_HEADER, Proxy } from '../../lib/proxy/server.js'

const log = pino({ level: 'silent' })

/** A stand-in edge: /healthz names it; every other request is answered by `handle`. */
async function fakeEdge(
  t: Pick<typeof import('tap').default, 'teardown'>,
  name: string,
  region: string,
  handle: (req: IncomingMessage, res: ServerResponse, body: Buffer) => void
): Promise<{ server: Server; port: number; hits: () => number }> {
  let hits = 0
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk)
    if (req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' })
      return res.end(JSON.stringify({ status: 'ok', node: name, region }))
    }
    hits++
    handle(req, res, Buffer.concat(chunks))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  )
  return { server, port: (server.address() as AddressInfo).port, hits: () => hits }
}

/** Echoes what it got: method, URL, headers, body. */
const echo = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
  res.writeHead(200, { 'content-type': 'application/json', 'x-amzn-requestid': 'abc-123' })
  res.end(
    JSON.stringify({
      method: req.method,
      url: req.url,
      headers: req.headers,
      body: body.toString()
    })
  )
}

async function proxyFor(
  t: Pick<typeof import('tap').default, 'teardown'>,
  ports: number[],
  region = 'us-west-sfo'
) {
  const directory = new EdgeDirectory({
    edges: ports.map((port) => ({ host: '127.0.0.1', port })),
    discover: false,
    region,
    log,
    checkMs: 60_000 // checks are driven by the test
  })
  await directory.start()
  const proxy = new Proxy({ host: '127.0.0.1', port: 0, directory, log })
  await proxy.listen()
  t.teardown(async () => {
    directory.close()
    await proxy.close()
  })
  return { directory, proxy, url: `http://127.0.0.1:${proxy.address.port}` }
}

t.test('keeps Host and AWS headers, adds X-Forwarded-For, names the edge', async (t) => {
  const edge = await fakeEdge(t, 'edge-a', 'us-west-sfo', echo)
  const { url } = await proxyFor(t, [edge.port])
  const res = await request(`${url}/2015-03-31/functions/f/invocations?Qualifier=%24LATEST`, {
    method: 'POST',
    headers: {
      host: 'lambda.mesh:8790',
      'x-amz-invocation-type': 'Event',
      'x-amz-log-type': 'Tail',
      authorization: 'AWS4-HMAC-SHA256 Credential=test'
    },
    body: '{"dataset":[1,2]}'
  })
  t.equal(res.statusCode, 200)
  t.equal(res.headers[EDGE_HEADER], 'edge-a')
  t.equal(res.headers['x-amzn-requestid'], 'abc-123', 'answer headers pass back')
  const seen = (await res.body.json()) as {
    method: string
    url: string
    headers: Record<string, string>
    body: string
  }
  t.equal(seen.method, 'POST')
  t.equal(seen.url, '/2015-03-31/functions/f/invocations?Qualifier=%24LATEST')
  t.equal(seen.headers.host, 'lambda.mesh:8790', 'Host is kept')
  t.equal(seen.headers['x-forwarded-for'], '127.0.0.1')
  t.equal(seen.headers['x-amz-invocation-type'], 'Event')
  t.equal(seen.headers['x-amz-log-type'], 'Tail')
  t.equal(seen.headers.authorization, 'AWS4-HMAC-SHA256 Credential=test')
  t.equal(seen.body, '{"dataset":[1,2]}')
  t.equal(seen.headers['content-length'], '17')
})

t.test('a chunked body arrives whole, with a length', async (t) => {
  const edge = await fakeEdge(t, 'edge-a', 'us-west-sfo', echo)
  const { url } = await proxyFor(t, [edge.port])
  const body = async function* () {
    yield Buffer.from('[1,')
    yield Buffer.from('2,3]')
  }
  const res = await request(`${url}/x`, { method: 'POST', body: Readable.from(body()) })
  const seen = (await res.body.json()) as { body: string; headers: Record<string, string> }
  t.equal(seen.body, '[1,2,3]')
  t.equal(seen.headers['content-length'], '7')
  t.equal(seen.headers['transfer-encoding'], undefined)
})

t.test('prefers the nearest edge; spreads to farther ones under load', async (t) => {
  const near = await fakeEdge(t, 'near', 'us-west-sfo', (req, res, body) =>
    setTimeout(() => echo(req, res, body), 20)
  )
  const far = await fakeEdge(t, 'far', 'eu-central-fra', echo)
  const { url } = await proxyFor(t, [far.port, near.port])
  for (let i = 0; i < 5; i++) {
    const res = await request(`${url}/one-at-a-time`)
    await res.body.dump()
    t.equal(res.headers[EDGE_HEADER], 'near')
  }
  const answers = await Promise.all(
    Array.from({ length: 40 }, async () => {
      const res = await request(`${url}/many`)
      await res.body.dump()
      return res.headers[EDGE_HEADER]
    })
  )
  t.ok(answers.includes('near') && answers.includes('far'), 'both took requests')
})

t.test('a connection that fails before any byte is retried on the next edge', async (t) => {
  const broken = await fakeEdge(t, 'broken', 'us-west-sfo', (req) => req.socket.destroy())
  const good = await fakeEdge(t, 'good', 'eu-central-fra', echo)
  const { url, directory } = await proxyFor(t, [broken.port, good.port])
  const res = await request(`${url}/retry-me`, { method: 'POST', body: 'payload' })
  t.equal(res.statusCode, 200)
  t.equal(res.headers[EDGE_HEADER], 'good')
  t.equal(((await res.body.json()) as { body: string }).body, 'payload', 'the body was sent again')
  t.equal(broken.hits(), 1)
  t.equal(directory.list().find((e) => e.name === 'broken')?.healthy, false, 'marked down')
})

t.test('a pooled socket the edge already closed: sent again there, not marked down', async (t) => {
  // Answers the first request of each connection; the next one on it finds the socket gone
  // (what a keep-alive socket closed by the edge's idle timeout looks like to the proxy).
  const served = new WeakSet<object>()
  const flaky = await fakeEdge(t, 'flaky', 'us-west-sfo', (req, res, body) => {
    if (served.has(req.socket)) return void req.socket.destroy()
    served.add(req.socket)
    echo(req, res, body)
  })
  const far = await fakeEdge(t, 'far', 'ap-southeast-syd', echo)
  const { url, directory } = await proxyFor(t, [flaky.port, far.port])
  for (const path of ['/first', '/second']) {
    const res = await request(`${url}${path}`, { method: 'POST', body: path })
    t.equal(res.statusCode, 200, path)
    t.equal(res.headers[EDGE_HEADER], 'flaky', `${path} answered by the same edge`)
    t.equal(((await res.body.json()) as { body: string }).body, path)
  }
  t.equal(flaky.hits(), 3, 'the second request was sent twice to it: once on the stale socket')
  t.equal(far.hits(), 0)
  t.equal(directory.list().find((e) => e.name === 'flaky')?.healthy, true, 'not marked down')
})

t.test('no healthy edge: 503 ServiceException; never a forward proxy', async (t) => {
  const edge = await fakeEdge(t, 'edge-a', 'us-west-sfo', echo)
  const { url } = await proxyFor(t, [edge.port, 1]) // port 1: nothing listens
  // An absolute-form request line asks for a forward proxy.
  const socket = connect(Number(new URL(url).port), '127.0.0.1')
  socket.end('GET http://example.com/steal HTTP/1.1\r\nHost: example.com\r\n\r\n')
  const raw = (await socket.toArray()).join('')
  t.match(raw, /^HTTP\/1\.1 400 /)
  t.match(raw, /x-amzn-errortype: InvalidRequestContentException/i)
  t.equal(edge.hits(), 0, 'nothing forwarded')

  const big = await request(`${url}/big`, { method: 'POST', body: Buffer.alloc(7 * 1024 * 1024) })
  t.equal(big.statusCode, 413)
  await big.body.dump()

  await new Promise<void>((resolve) => {
    edge.server.closeAllConnections()
    edge.server.close(() => resolve())
  })
  const down = await request(`${url}/2015-03-31/functions`)
  t.equal(down.statusCode, 502, 'the last known edge refused: unreachable')
  await down.body.dump()
  const none = await request(`${url}/2015-03-31/functions`)
  t.equal(none.statusCode, 503)
  t.equal(none.headers['x-amzn-errortype'], 'ServiceException')
  t.match(await none.body.json(), { Type: 'Service', errorCode: 'NO_HEALTHY_EDGE' })
})
