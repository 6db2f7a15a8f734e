import { execFile } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import dns2 from 'dns2'
import t from 'tap'
import { EDGE_HEADER } from '../../lib/proxy/server.js'
import { converge, eventually, http, startCluster } from '../support/cluster.js'
import { startCli, stop, which } from '../support/processes.js'

// A function URL the way a user reaches it: the name resolved by the mesh's DNS server, curl to
// the proxy with the Host `hello.lambda.mesh:PORT`, three edges behind it. The handler echoes
// the payload 2.0 event it got, field by field; binary bodies, CORS, AWS_IAM (curl's own SigV4
// signing), unknown names, and the proxy's failover when the edge it prefers dies.

const KEY = { id: 'AKIDPROXYURL', secret: 'proxy-url-secret-0123456789' }
const BEARER = { authorization: `Bearer ${KEY.id}:${KEY.secret}` }
const ECHO = `exports.handler = async (event) => ({
  statusCode: event.rawPath === '/bytes' ? 200 : 201,
  headers: { 'content-type': event.rawPath === '/bytes' ? 'application/octet-stream' : 'application/json', 'x-fn': 'hello' },
  cookies: ['s=1; HttpOnly'],
  body: event.rawPath === '/bytes' ? event.body : JSON.stringify(event),
  isBase64Encoded: event.rawPath === '/bytes' && event.isBase64Encoded
})`

const curlPath = await which('curl')
t.test(
  'function URLs through DNS and the proxy',
  { skip: curlPath === null && 'no curl' },
  async (t) => {
    const curlBin = curlPath as string
    const { edges } = await startCluster(t, 3, undefined, {
      SWARMLAMBDA_ACCESS_KEYS: `${KEY.id}:${KEY.secret}`
    })
    t.teardown(async () => {
      for (const edge of edges) {
        if (edge.child.exitCode === null && edge.child.signalCode === null) await stop(edge.child)
      }
    })
    await converge(edges)
    const edgeList = edges.map((e) => new URL(e.url).host).join(',')
    const proxy = await startCli(
      t,
      ['proxy', '--edges', edgeList, '--port', '0', '--region', 'us-west-sfo'],
      'proxy ready'
    )
    const proxyUrl = proxy.ready.url as string
    const port = new URL(proxyUrl).port
    const dns = await startCli(
      t,
      ['dns', '--port', '0', '--proxy-address', '127.0.0.1'],
      'dns ready'
    )

    // Any label resolves to the proxy, even of a function that does not exist yet.
    const resolver = new dns2({ port: dns.ready.udp as number, nameServers: ['127.0.0.1'] })
    const resolved = await resolver.resolveA('hello.lambda.mesh')
    const address = resolved.answers[0]?.address
    t.equal(address, '127.0.0.1', 'hello.lambda.mesh is the proxy')

    const deployed = await http(
      proxyUrl,
      'POST',
      '/functions',
      {
        name: 'hello',
        handler: 'index.handler',
        files: { 'index.js': ECHO }
      },
      BEARER
    )
    t.equal(deployed.status, 201)
    const config = await http(
      proxyUrl,
      'POST',
      '/2021-10-31/functions/hello/url',
      {
        AuthType: 'NONE',
        Cors: { AllowOrigins: ['https://app.example'], AllowMethods: ['GET', 'POST'] }
      },
      BEARER
    )
    t.equal(config.status, 201)
    t.equal(config.body.FunctionUrl, 'http://hello.lambda.mesh:8790/')
    /** Waits until every edge's URL config for hello has `authType` (it replicates). */
    const everywhere = async (authType: string) => {
      for (const edge of edges) {
        await eventually(`AuthType ${authType} on ${edge.name}`, async () => {
          const got = await http(
            edge.url,
            'GET',
            '/2021-10-31/functions/hello/url',
            undefined,
            BEARER
          )
          return got.body.AuthType === authType ? true : undefined
        })
      }
    }
    await everywhere('NONE')

    const curl = async (host: string, path: string, args: string[] = []) => {
      const { stdout } = await promisify(execFile)(
        curlBin,
        [
          '-sS',
          '-i',
          '--resolve',
          `${host}:${port}:${address}`,
          ...args,
          `http://${host}:${port}${path}`
        ],
        { encoding: 'buffer', maxBuffer: 1 << 20 }
      )
      const split = stdout.indexOf('\r\n\r\n')
      const head = stdout.subarray(0, split).toString().split('\r\n')
      const status = Number(head[0]?.split(' ')[1])
      const headers: Record<string, string[]> = {}
      for (const line of head.slice(1)) {
        const colon = line.indexOf(':')
        const name = line.slice(0, colon).toLowerCase()
        ;(headers[name] ??= []).push(line.slice(colon + 1).trim())
      }
      return { status, headers, body: stdout.subarray(split + 4) }
    }

    const answer = await curl('hello.lambda.mesh', '/a/b?x=1&x=2', [
      '-H',
      'cookie: c=1',
      '-H',
      'content-type: text/plain',
      '-d',
      'raw body'
    ])
    t.equal(answer.status, 201)
    t.strictSame(answer.headers['x-fn'], ['hello'])
    t.strictSame(answer.headers['set-cookie'], ['s=1; HttpOnly'])
    t.strictSame(answer.headers['content-type'], ['application/json'])
    const event = JSON.parse(answer.body.toString()) as Record<string, any>
    t.equal(event.version, '2.0')
    t.equal(event.routeKey, '$default')
    t.equal(event.rawPath, '/a/b')
    t.equal(event.rawQueryString, 'x=1&x=2')
    t.strictSame(event.cookies, ['c=1'])
    t.strictSame(event.queryStringParameters, { x: '1,2' })
    t.equal(event.headers.host, `hello.lambda.mesh:${port}`, 'the proxy kept the Host')
    t.equal(event.headers['content-type'], 'text/plain')
    t.equal(event.headers['content-length'], '8')
    t.match(event.headers['user-agent'], /^curl\//)
    t.equal(event.headers.cookie, undefined, 'cookies are in `cookies`, not in headers')
    t.equal(event.body, 'raw body')
    t.equal(event.isBase64Encoded, false)
    t.equal(event.requestContext.http.method, 'POST')
    t.equal(event.requestContext.http.path, '/a/b')
    t.equal(event.requestContext.http.protocol, 'HTTP/1.1')
    t.match(event.requestContext.http.userAgent, /^curl\//)
    t.equal(event.requestContext.domainName, 'hello.lambda.mesh')
    t.equal(event.requestContext.domainPrefix, 'hello')
    t.equal(event.requestContext.requestId, answer.headers['x-amzn-requestid']?.[0])
    t.type(event.requestContext.timeEpoch, 'number')

    // A form body (curl -d's default type) arrives base64, as AWS sends it.
    const form = await curl('hello.lambda.mesh', '/form', ['-d', 'a=1&b=2'])
    const formEvent = JSON.parse(form.body.toString()) as Record<string, unknown>
    t.equal(formEvent.isBase64Encoded, true)
    t.equal(Buffer.from(formEvent.body as string, 'base64').toString(), 'a=1&b=2')

    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i))
    const file = join(t.testdir(), 'bytes.bin')
    await writeFile(file, bytes)
    const binary = await curl('hello.lambda.mesh', '/bytes', [
      '-H',
      'content-type: application/octet-stream',
      '--data-binary',
      `@${file}`
    ])
    t.equal(binary.status, 200)
    t.ok(binary.body.equals(bytes), 'a binary body round-trips')

    const preflight = await curl('hello.lambda.mesh', '/a', [
      '-X',
      'OPTIONS',
      '-H',
      'origin: https://app.example',
      '-H',
      'access-control-request-method: POST'
    ])
    t.equal(preflight.status, 200)
    t.strictSame(preflight.headers['access-control-allow-origin'], ['https://app.example'])
    t.strictSame(preflight.headers['access-control-allow-methods'], ['GET,POST'])
    t.equal(preflight.headers['x-fn'], undefined, 'the function did not run')

    t.equal((await curl('nope.lambda.mesh', '/')).status, 404)

    // AuthType AWS_IAM: unsigned 403; curl signing with an edge key (SigV4) 200.
    const iam = await http(
      proxyUrl,
      'PUT',
      '/2021-10-31/functions/hello/url',
      { AuthType: 'AWS_IAM' },
      BEARER
    )
    t.equal(iam.status, 200)
    await everywhere('AWS_IAM')
    t.equal((await curl('hello.lambda.mesh', '/a')).status, 403)
    const signed = await curl('hello.lambda.mesh', '/a', [
      '--aws-sigv4',
      'aws:amz:us-east-1:lambda',
      '--user',
      `${KEY.id}:${KEY.secret}`
    ])
    t.equal(signed.status, 201, signed.body.toString())
    const signedEvent = JSON.parse(signed.body.toString()) as Record<string, any>
    t.equal(signedEvent.requestContext.authorizer.iam.accessKey, KEY.id)
    await http(proxyUrl, 'PUT', '/2021-10-31/functions/hello/url', { AuthType: 'NONE' }, BEARER)
    await everywhere('NONE')

    // The edge the proxy prefers dies: the URL keeps answering from the others.
    const before = await curl('hello.lambda.mesh', '/x')
    t.equal(before.status, 201)
    const preferred = before.headers[EDGE_HEADER]?.[0]
    const victim = edges.find((e) => e.name === preferred)
    t.ok(victim, `the proxy sent it to ${preferred}`)
    victim!.child.kill('SIGKILL')
    for (let i = 0; i < 10; i++) {
      const after = await curl('hello.lambda.mesh', `/after/${i}`)
      t.equal(after.status, 201, `answer ${i} after ${preferred} died`)
      t.not(after.headers[EDGE_HEADER]?.[0], preferred)
      t.equal(JSON.parse(after.body.toString()).rawPath, `/after/${i}`)
    }
  }
)
