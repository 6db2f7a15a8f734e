import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { Hash } from '@smithy/hash-node'
import { SignatureV4 } from '@smithy/signature-v4'
import t from 'tap'
import { request } from 'undici'
import { SEED_WASM_BASE64 } from '../wasm/wat.js'
import { localEdge } from '../support/local-edge.js'

// Function URLs on one edge: the config API, the payload 2.0 event a handler sees, AWS's
// response rules, CORS, AuthType AWS_IAM with the edge's keys, aliases, and what is refused.
// (Through DNS, the proxy and a mesh: test/proxy/function-url.test.ts.)

const KEY = { id: 'AKIDURLTEST', secret: 'url-test-secret-0123456789' }
const { edge, http } = await localEdge(
  t,
  { poolSize: 2 },
  { 'access-keys': `${KEY.id}:${KEY.secret}` }
)
const auth = { authorization: `Bearer ${KEY.id}:${KEY.secret}` }
const port = new URL(edge.url).port
const deploy = (name: string, source: string) =>
  http(
    'POST',
    '/functions',
    { name, handler: 'index.handler', files: { 'index.js': source } },
    auth
  )
const urlConfig = (name: string, body: object, query = '', method: 'POST' | 'PUT' = 'POST') =>
  http(method, `/2021-10-31/functions/${name}/url${query}`, body, auth)

/** A request to the edge as a function URL host (`NAME.lambda.mesh`), raw headers as given. */
async function get(
  host: string,
  path: string,
  init: { method?: string; headers?: string[][]; body?: Buffer | string } = {}
) {
  const res = await request(`${edge.url}${path}`, {
    method: (init.method ?? 'GET') as 'GET',
    headers: [['host', `${host}:${port}`], ...(init.headers ?? [])].flat(),
    body: init.body ?? null
  })
  const bytes = Buffer.from(await res.body.arrayBuffer())
  return { status: res.statusCode, headers: res.headers, bytes, text: bytes.toString() }
}

const ECHO = `exports.handler = async (event) => ({
  statusCode: 201,
  headers: { 'content-type': 'application/json', 'x-seen': event.rawPath },
  cookies: ['a=1; Path=/', 'b=2'],
  body: JSON.stringify(event)
})`

t.test('the config API: create, get, list, update, delete', async (t) => {
  t.equal((await deploy('echo', ECHO)).status, 201)
  const created = await urlConfig('echo', {
    AuthType: 'NONE',
    Cors: { AllowOrigins: ['https://app.example'], AllowMethods: ['POST'], MaxAge: 60 }
  })
  t.equal(created.status, 201)
  t.match(created.json(), {
    FunctionUrl: 'http://echo.lambda.mesh:8790/',
    FunctionArn: `arn:aws:lambda:${edge.config.region}:000000000000:function:echo`,
    AuthType: 'NONE',
    Cors: { AllowOrigins: ['https://app.example'], AllowMethods: ['POST'], MaxAge: 60 },
    InvokeMode: 'BUFFERED'
  })
  t.equal((await urlConfig('echo', { AuthType: 'NONE' })).status, 409)
  t.equal((await urlConfig('echo', { AuthType: 'BASIC' }, '', 'PUT')).status, 400)
  t.equal(
    (await urlConfig('echo', { AuthType: 'NONE', InvokeMode: 'RESPONSE_STREAM' }, '', 'PUT'))
      .status,
    400
  )
  const got = await http('GET', '/2021-10-31/functions/echo/url', undefined, auth)
  t.equal(got.status, 200)
  t.type(got.json().LastModifiedTime, 'string')
  const listed = await http('GET', '/2021-10-31/functions/echo/urls', undefined, auth)
  t.strictSame(
    (listed.json().FunctionUrlConfigs as { FunctionUrl: string }[]).map((u) => u.FunctionUrl),
    ['http://echo.lambda.mesh:8790/']
  )
  t.equal((await http('GET', '/2021-10-31/functions/echo/url')).status, 403, 'control needs a key')
  t.equal((await http('GET', '/2021-10-31/functions/nope/url', undefined, auth)).status, 404)
})

t.test('the handler sees the exact payload 2.0 event; its response comes back', async (t) => {
  const answer = await get('echo.lambda.mesh', '/a/b%20c?x=1&x=2&y=%C3%A9', {
    method: 'POST',
    headers: [
      ['cookie', 'c=1; d=2'],
      ['x-multi', 'one'],
      ['x-multi', 'two'],
      ['content-type', 'text/plain'],
      ['user-agent', 'url-test/1']
    ],
    body: 'raw body'
  })
  t.equal(answer.status, 201)
  t.equal(answer.headers['x-seen'], '/a/b%20c')
  t.strictSame(answer.headers['set-cookie'], ['a=1; Path=/', 'b=2'])
  const event = JSON.parse(answer.text) as Record<string, unknown>
  const context = event.requestContext as Record<string, unknown>
  t.equal(event.version, '2.0')
  t.equal(event.routeKey, '$default')
  t.equal(event.rawPath, '/a/b%20c')
  t.equal(event.rawQueryString, 'x=1&x=2&y=%C3%A9')
  t.strictSame(event.cookies, ['c=1', 'd=2'])
  t.strictSame(event.queryStringParameters, { x: '1,2', y: 'é' })
  t.strictSame(event.headers, {
    host: `echo.lambda.mesh:${port}`,
    'x-multi': 'one,two',
    'content-type': 'text/plain',
    'user-agent': 'url-test/1',
    'content-length': '8'
  })
  t.equal(event.body, 'raw body')
  t.equal(event.isBase64Encoded, false)
  t.match(context, {
    accountId: 'anonymous',
    domainName: 'echo.lambda.mesh',
    domainPrefix: 'echo',
    http: {
      method: 'POST',
      path: '/a/b c',
      protocol: 'HTTP/1.1',
      sourceIp: '127.0.0.1',
      userAgent: 'url-test/1'
    },
    requestId: answer.headers['x-amzn-requestid'],
    routeKey: '$default',
    stage: '$default'
  })
  t.type(context.timeEpoch, 'number')

  // The same function at /lambda-url/NAME/… for clients without the DNS.
  const byPath = await http('GET', '/lambda-url/echo/p/q?z=3')
  t.equal(byPath.status, 201)
  t.match(JSON.parse(byPath.text), { rawPath: '/p/q', rawQueryString: 'z=3' })
})

t.test('binary bodies round-trip base64; other answers follow AWS rules', async (t) => {
  await deploy(
    'bin',
    `exports.handler = async (e) => e.rawPath === '/obj' ? { ok: true, n: 1 }
      : e.rawPath === '/str' ? 'plain'
      : e.rawPath === '/throw' ? (() => { throw new Error('boom') })()
      : { statusCode: 200, headers: { 'content-type': 'application/octet-stream' },
          body: e.body, isBase64Encoded: e.isBase64Encoded }`
  )
  await urlConfig('bin', { AuthType: 'NONE' })
  const bytes = Buffer.from([0, 1, 2, 250, 251, 252, 253, 254, 255, 0x80])
  const echoed = await get('bin.lambda.mesh', '/bytes', {
    method: 'PUT',
    headers: [['content-type', 'application/octet-stream']],
    body: bytes
  })
  t.equal(echoed.status, 200)
  t.ok(echoed.bytes.equals(bytes), 'the exact bytes come back')
  const object = await get('bin.lambda.mesh', '/obj')
  t.equal(object.status, 200)
  t.equal(object.headers['content-type'], 'application/json')
  t.equal(object.text, '{"ok":true,"n":1}')
  const text = await get('bin.lambda.mesh', '/str')
  t.equal(text.text, 'plain')
  const thrown = await get('bin.lambda.mesh', '/throw')
  t.equal(thrown.status, 502, 'a function error is a 502')
  t.equal(thrown.text, 'Internal Server Error')
})

t.test('CORS: preflights answered without the function, headers added', async (t) => {
  const preflight = await get('echo.lambda.mesh', '/x', {
    method: 'OPTIONS',
    headers: [
      ['origin', 'https://app.example'],
      ['access-control-request-method', 'POST']
    ]
  })
  t.equal(preflight.status, 200)
  t.equal(preflight.headers['access-control-allow-origin'], 'https://app.example')
  t.equal(preflight.headers['access-control-allow-methods'], 'POST')
  t.equal(preflight.headers['access-control-max-age'], '60')
  t.equal(preflight.bytes.length, 0)
  const actual = await get('echo.lambda.mesh', '/x', {
    method: 'POST',
    headers: [['origin', 'https://app.example']],
    body: '{}'
  })
  t.equal(actual.status, 201, 'the function ran')
  t.equal(actual.headers['access-control-allow-origin'], 'https://app.example')
  const other = await get('echo.lambda.mesh', '/x', {
    headers: [['origin', 'https://evil.example']]
  })
  t.equal(other.headers['access-control-allow-origin'], undefined)
})

t.test('AuthType AWS_IAM: unsigned 403, signed with an edge key 200', async (t) => {
  await deploy(
    'private',
    `exports.handler = async (e) => ({ caller: e.requestContext.authorizer.iam.accessKey })`
  )
  await urlConfig('private', { AuthType: 'AWS_IAM' })
  const unsigned = await get('private.lambda.mesh', '/')
  t.equal(unsigned.status, 403)
  /** Headers of a GET of /who signed (SigV4, service lambda) with the given secret. */
  const signedWith = async (secret: string) => {
    const host = `private.lambda.mesh:${port}`
    const signer = new SignatureV4({
      credentials: { accessKeyId: KEY.id, secretAccessKey: secret },
      region: edge.config.region,
      service: 'lambda',
      sha256: Hash.bind(null, 'sha256')
    })
    const request = { method: 'GET', protocol: 'http:', hostname: host, path: '/who' }
    const signed = await signer.sign({ ...request, query: {}, headers: { host } })
    return Object.entries(signed.headers).filter(([name]) => name.toLowerCase() !== 'host')
  }
  const answer = await get('private.lambda.mesh', '/who', { headers: await signedWith(KEY.secret) })
  t.equal(answer.status, 200, answer.text)
  t.strictSame(JSON.parse(answer.text), { caller: KEY.id })
  const refused = await get('private.lambda.mesh', '/who', {
    headers: await signedWith('not-the-secret-at-all')
  })
  t.equal(refused.status, 403)
})

t.test(
  'aliases have URLs of their own; unknown hosts and dataset functions are refused',
  async (t) => {
    await deploy(
      'site',
      `exports.handler = async () => ({ statusCode: 200, body: 'v' + process.env.AWS_LAMBDA_FUNCTION_VERSION })`
    )
    t.equal(
      (await http('POST', '/2015-03-31/functions/site/versions', {}, auth)).json().Version,
      '1'
    )
    await http(
      'POST',
      '/2015-03-31/functions/site/aliases',
      { Name: 'live', FunctionVersion: '1' },
      auth
    )
    const aliased = await urlConfig('site', { AuthType: 'NONE' }, '?Qualifier=live')
    t.equal(aliased.status, 201)
    t.equal(aliased.json().FunctionUrl, 'http://site--live.lambda.mesh:8790/')
    t.equal((await get('site--live.lambda.mesh', '/')).text, 'v1')
    t.equal((await get('site.lambda.mesh', '/')).status, 404, 'no URL for the function itself')
    await urlConfig('site', { AuthType: 'NONE' })
    t.equal((await get('SITE.lambda.mesh', '/')).text, 'v$LATEST', 'hosts match any case')
    t.equal((await get('nothing.lambda.mesh', '/')).status, 404)
    t.equal((await get('site--gone.lambda.mesh', '/')).status, 404)
    t.equal((await get('site--.lambda.mesh', '/')).status, 404, 'an empty alias is no alias')
    t.equal((await urlConfig('site', { AuthType: 'NONE' }, '?Qualifier=1')).status, 400)

    const v1 = await http(
      'POST',
      '/functions',
      { name: 'ints', wasm_base64: SEED_WASM_BASE64 },
      auth
    )
    t.equal(v1.status, 201)
    const refused = await urlConfig('ints', { AuthType: 'NONE' })
    t.equal(refused.status, 400)
    t.match(refused.json().message, /dataset function/)
    // Deleting the alias deletes its URL.
    await http('DELETE', '/2015-03-31/functions/site/aliases/live', undefined, auth)
    t.equal((await get('site--live.lambda.mesh', '/')).status, 404)
  }
)

const BUILD = new URL('../../../functions/build/', import.meta.url)
const WASI_C = new URL('wasi-c-echo.wasm', BUILD)
t.test('an ABI v2 module and a WASI command answer their URLs too', async (t) => {
  const greet = await readFile(new URL('greet.wasm', BUILD))
  const v2 = await http(
    'POST',
    '/functions',
    { name: 'greet', wasm_base64: greet.toString('base64') },
    auth
  )
  t.equal(v2.status, 201)
  t.equal((await urlConfig('greet', { AuthType: 'NONE' })).status, 201)
  const greeted = await get('greet.lambda.mesh', '/hi')
  t.equal(greeted.status, 200)
  t.equal(greeted.headers['content-type'], 'application/json')
  t.equal(greeted.text, '{"greeting":"Hello, world!","length":13}', 'the event has no name')

  if (!existsSync(WASI_C)) {
    t.comment('npm run build:wasi did not build the C example: its URL is not checked')
    return
  }
  const c = await readFile(WASI_C)
  t.equal(
    (await http('POST', '/functions', { name: 'cecho', wasm_base64: c.toString('base64') }, auth))
      .status,
    201
  )
  t.equal((await urlConfig('cecho', { AuthType: 'NONE' })).status, 201)
  const echoed = await get('cecho.lambda.mesh', '/')
  t.equal(echoed.status, 200)
  t.equal(echoed.headers['content-type'], 'application/json')
  t.strictSame(JSON.parse(echoed.text), { greeting: 'Hello, world!', count: 0, sum: 0, env: null })
})
