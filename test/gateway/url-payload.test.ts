import t from 'tap'
import { corsHeaders, parseCors, preflight, type CorsConfig } from '../../lib/gateway/url/cors.js'
import { urlEvent, type UrlRequest } from '../../lib/gateway/url/event.js'
import { urlFunctionError, urlResponse } from '../../lib/gateway/url/response.js'

// A function URL's HTTP mapping as pure functions: the request event (payload format 2.0), the
// response AWS makes of a function's output, and the CORS config with its preflight and headers.

/** 2020-03-12T19:03:58.390Z: the time of AWS's own example event. */
const EPOCH = 1_584_039_838_390
const BINARY = Buffer.from([0x00, 0xff, 0x80, 0x0a, 0xfe])

function request(overrides: Partial<UrlRequest>): UrlRequest {
  return {
    method: 'GET',
    rawPath: '/',
    rawQueryString: '',
    rawHeaders: ['Host', 'hello.lambda.mesh:8080'],
    body: Buffer.alloc(0),
    sourceIp: '203.0.113.7',
    requestId: 'req-1',
    domainName: 'hello.lambda.mesh',
    timeEpoch: EPOCH,
    accountId: '000000000000',
    protocol: 'HTTP/1.1',
    principal: null,
    ...overrides
  }
}

const output = (value: unknown) => Buffer.from(JSON.stringify(value))

t.test('the event of a POST with query, cookies, repeated headers and a text body', async (t) => {
  const event = urlEvent(
    request({
      method: 'POST',
      rawPath: '/a/b%20c',
      rawQueryString: 'x=1&x=2&msg=hello%20world&plus=a+b',
      rawHeaders: [
        'Host',
        'hello.lambda.mesh:8080',
        'Content-Type',
        'text/plain; charset=utf-8',
        'Cookie',
        'c=1; d=2',
        'X-Multi',
        'one',
        'x-multi',
        'two, three',
        'cookie',
        'e=3',
        'User-Agent',
        'curl/8.5.0',
        'Connection',
        'keep-alive'
      ],
      body: Buffer.from('héllo'),
      principal: null
    })
  )
  t.strictSame(event, {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/a/b%20c',
    rawQueryString: 'x=1&x=2&msg=hello%20world&plus=a+b',
    cookies: ['c=1', 'd=2', 'e=3'],
    headers: {
      host: 'hello.lambda.mesh:8080',
      'content-type': 'text/plain; charset=utf-8',
      'x-multi': 'one,two, three',
      'user-agent': 'curl/8.5.0'
    },
    queryStringParameters: { x: '1,2', msg: 'hello world', plus: 'a b' },
    requestContext: {
      accountId: 'anonymous',
      apiId: 'hello',
      domainName: 'hello.lambda.mesh',
      domainPrefix: 'hello',
      http: {
        method: 'POST',
        path: '/a/b c',
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.7',
        userAgent: 'curl/8.5.0'
      },
      requestId: 'req-1',
      routeKey: '$default',
      stage: '$default',
      time: '12/Mar/2020:19:03:58 +0000',
      timeEpoch: EPOCH
    },
    body: 'héllo',
    isBase64Encoded: false
  })
})

t.test('a binary body is base64-encoded and round-trips', async (t) => {
  for (const contentType of ['application/octet-stream', 'application/x-www-form-urlencoded']) {
    const event = urlEvent(
      request({ method: 'PUT', rawHeaders: ['Content-Type', contentType], body: BINARY })
    )
    t.equal(event.isBase64Encoded, true, contentType)
    t.equal(event.body, BINARY.toString('base64'))
    t.strictSame(Buffer.from(event.body as string, 'base64'), BINARY)
  }
  // No content type counts as binary, and so do bytes that are not UTF-8 under a text type.
  const untyped = urlEvent(request({ method: 'POST', rawHeaders: [], body: Buffer.from('hi') }))
  t.strictSame([untyped.body, untyped.isBase64Encoded], ['aGk=', true])
  const lying = urlEvent(request({ rawHeaders: ['content-type', 'text/plain'], body: BINARY }))
  t.strictSame([lying.body, lying.isBase64Encoded], [BINARY.toString('base64'), true])
  const json = urlEvent(
    request({ rawHeaders: ['content-type', 'application/json'], body: Buffer.from('{"a":1}') })
  )
  t.strictSame([json.body, json.isBase64Encoded], ['{"a":1}', false])
})

t.test(
  'a bare GET has no body, cookies or query; a signed one has the iam authorizer',
  async (t) => {
    const bare = urlEvent(request({}))
    t.strictSame(Object.keys(bare), [
      'version',
      'routeKey',
      'rawPath',
      'rawQueryString',
      'headers',
      'requestContext',
      'isBase64Encoded'
    ])
    t.equal(bare.isBase64Encoded, false)
    t.equal(bare.requestContext.http.userAgent, '')

    const signed = urlEvent(request({ principal: 'AKIDEXAMPLE', accountId: '111122223333' }))
    t.equal(signed.requestContext.accountId, '111122223333')
    t.equal(signed.requestContext.authentication, null)
    t.strictSame(signed.requestContext.authorizer, {
      iam: {
        accessKey: 'AKIDEXAMPLE',
        accountId: '111122223333',
        callerId: 'AKIDEXAMPLE',
        cognitoIdentity: null,
        principalOrgId: null,
        userArn: 'arn:aws:iam::111122223333:user/AKIDEXAMPLE',
        userId: 'AKIDEXAMPLE'
      }
    })
  }
)

t.test('hostile names stay data, a malformed path escape stays as sent', async (t) => {
  const event = urlEvent(
    request({
      rawPath: '/bad%zz',
      rawQueryString: '__proto__=x&flag',
      rawHeaders: ['__proto__', 'y']
    })
  )
  t.equal(event.requestContext.http.path, '/bad%zz')
  t.strictSame(event.queryStringParameters, JSON.parse('{"__proto__":"x","flag":""}'))
  t.equal(Object.getPrototypeOf(event.headers), Object.prototype)
  t.equal(event.headers['__proto__'], 'y')
})

t.test('a response object is the response', async (t) => {
  t.strictSame(
    urlResponse(
      output({
        statusCode: 201,
        headers: { 'Content-Type': 'application/json', 'My-Custom-Header': 'Custom Value' },
        cookies: [
          'Cookie_1=Value1; Expires=21 Oct 2021 07:48 GMT',
          'Cookie_2=Value2; Max-Age=78000'
        ],
        body: '{"message":"Hello, world!"}',
        isBase64Encoded: false
      })
    ),
    {
      status: 201,
      headers: { 'content-type': 'application/json', 'my-custom-header': 'Custom Value' },
      cookies: ['Cookie_1=Value1; Expires=21 Oct 2021 07:48 GMT', 'Cookie_2=Value2; Max-Age=78000'],
      body: Buffer.from('{"message":"Hello, world!"}')
    }
  )
  t.strictSame(
    urlResponse(
      output({
        statusCode: 200,
        headers: { 'content-type': 'image/png' },
        body: BINARY.toString('base64'),
        isBase64Encoded: true
      })
    ),
    { status: 200, headers: { 'content-type': 'image/png' }, cookies: [], body: BINARY }
  )
  // AWS-validated: a string status code counts; no content type means application/json; no
  // body is an empty one. A function's framing headers never reach the client.
  t.strictSame(urlResponse(output({ statusCode: '418', headers: { 'Content-Length': '999' } })), {
    status: 418,
    headers: { 'content-type': 'application/json' },
    cookies: [],
    body: Buffer.alloc(0)
  })
})

t.test('any other JSON value is a 200 application/json body', async (t) => {
  const ok = (body: string) => ({
    status: 200,
    headers: { 'content-type': 'application/json' },
    cookies: [],
    body: Buffer.from(body)
  })
  // A string loses its JSON quotes, as AWS answers (`"hello"` → `hello`).
  t.strictSame(urlResponse(Buffer.from('"Hello, world!"')), ok('Hello, world!'))
  // An object, even one shaped like a response but without statusCode, is the body, compacted;
  // numbers keep the digits the function wrote.
  t.strictSame(
    urlResponse(Buffer.from('{ "message": "Hello, world!",\n  "n": 12345678901234567890 }')),
    ok('{"message":"Hello, world!","n":12345678901234567890}')
  )
  t.strictSame(urlResponse(output({ body: 'x' })), ok('{"body":"x"}'))
  t.strictSame(urlResponse(Buffer.from('[ "a b", 3, true ]')), ok('["a b",3,true]'))
  t.strictSame(urlResponse(Buffer.from('3.10\n')), ok('3.10'))
  t.strictSame(urlResponse(Buffer.from('null')), ok('null'))
  t.strictSame(urlResponse(Buffer.from('"say \\"hi\\"  "')), ok('say "hi"  '))
})

t.test('output that is not JSON is sent as it is (our extension)', async (t) => {
  t.strictSame(urlResponse(Buffer.from('hello from WASI\n')), {
    status: 200,
    headers: { 'content-type': 'text/plain; charset=utf-8' },
    cookies: [],
    body: Buffer.from('hello from WASI\n')
  })
  t.strictSame(urlResponse(new Uint8Array(BINARY)), {
    status: 200,
    headers: { 'content-type': 'application/octet-stream' },
    cookies: [],
    body: BINARY
  })
  t.strictSame(urlResponse(new Uint8Array(0)).headers, {
    'content-type': 'text/plain; charset=utf-8'
  })
})

t.test('a malformed response object is the function error 502', async (t) => {
  const error = {
    status: 502,
    headers: { 'content-type': 'application/json' },
    cookies: [],
    body: Buffer.from('Internal Server Error')
  }
  t.strictSame(urlFunctionError(), error)
  const malformed: Record<string, unknown>[] = [
    { statusCode: 99 },
    { statusCode: 600 },
    { statusCode: 200.5 },
    { statusCode: 'OK' },
    { statusCode: null },
    { statusCode: 200, headers: ['a'] },
    { statusCode: 200, headers: { 'x-n': 5 } },
    { statusCode: 200, headers: { 'bad name': 'v' } },
    { statusCode: 200, headers: { 'x-split': 'a\r\nSet-Cookie: evil=1' } },
    { statusCode: 200, cookies: 'a=1' },
    { statusCode: 200, cookies: [1] },
    { statusCode: 200, body: { message: 'hi' } },
    { statusCode: 200, body: 'x', isBase64Encoded: 'yes' },
    { statusCode: 200, body: 'not base64!', isBase64Encoded: true }
  ]
  for (const value of malformed)
    t.strictSame(urlResponse(output(value)), error, JSON.stringify(value))
})

t.test('parseCors takes AWS Cors and refuses what AWS refuses', async (t) => {
  const full = {
    AllowCredentials: true,
    AllowHeaders: ['Content-Type', 'X-Custom-Header'],
    AllowMethods: ['GET', 'POST'],
    AllowOrigins: ['https://www.example.com', 'http://localhost:60905'],
    ExposeHeaders: ['Date', 'Keep-Alive'],
    MaxAge: 300
  }
  t.strictSame(parseCors(full), full)
  t.strictSame(parseCors({}), {})
  t.strictSame(parseCors({ AllowOrigins: ['*'], MaxAge: null }), { AllowOrigins: ['*'] })

  const bad: [unknown, string][] = [
    [null, 'Invalid Cors: must be an object'],
    [['*'], 'Invalid Cors: must be an object'],
    [{ AllowOrigin: ['*'] }, 'Invalid Cors.AllowOrigin: is not a Cors field'],
    [{ AllowCredentials: 'true' }, 'Invalid Cors.AllowCredentials: must be a boolean'],
    [{ AllowOrigins: '*' }, 'Invalid Cors.AllowOrigins: must be a list of strings'],
    [{ AllowOrigins: [7] }, 'Invalid Cors.AllowOrigins: must be a list of strings'],
    [
      { AllowOrigins: ['https://example.com/'] },
      'Invalid Cors.AllowOrigins: must be * or an origin such as https://www.example.com (no path), not "https://example.com/"'
    ],
    [
      { AllowOrigins: Array.from({ length: 101 }, (_, i) => `https://o${i}.example`) },
      'Invalid Cors.AllowOrigins: has 101 items; at most 100 are allowed'
    ],
    [
      { AllowOrigins: [`https://${'a'.repeat(250)}`] },
      'Invalid Cors.AllowOrigins: items must be 1 to 253 characters long'
    ],
    [
      { AllowMethods: ['get'] },
      'Invalid Cors.AllowMethods: must be GET, PUT, HEAD, POST, PATCH, DELETE or *, not "get"'
    ],
    [
      { AllowMethods: ['OPTIONS'] },
      'Invalid Cors.AllowMethods: items must be 1 to 6 characters long'
    ],
    [
      { AllowMethods: ['GET', 'PUT', 'HEAD', 'POST', 'PATCH', 'DELETE', 'GET'] },
      'Invalid Cors.AllowMethods: has 7 items; at most 6 are allowed'
    ],
    [
      { AllowHeaders: ['X Bad'] },
      'Invalid Cors.AllowHeaders: must be header names (or *), not "X Bad"'
    ],
    [
      { ExposeHeaders: [''] },
      'Invalid Cors.ExposeHeaders: items must be 1 to 1024 characters long'
    ],
    [{ MaxAge: -1 }, 'Invalid Cors.MaxAge: must be an integer of seconds, 0 or more'],
    [{ MaxAge: 1.5 }, 'Invalid Cors.MaxAge: must be an integer of seconds, 0 or more'],
    [{ MaxAge: 86_401 }, 'Invalid Cors.MaxAge: must be at most 86400 seconds']
  ]
  for (const [value, message] of bad)
    t.throws(() => parseCors(value), { code: 'INVALID_PARAMETER', message }, message)
})

t.test('preflight: answered from the config, never by the function', async (t) => {
  const cors: CorsConfig = {
    AllowOrigins: ['https://app.example'],
    AllowMethods: ['GET', 'POST'],
    AllowHeaders: ['content-type', 'x-api-key'],
    ExposeHeaders: ['x-request-id'],
    MaxAge: 600
  }
  const ask = {
    origin: 'https://app.example',
    'access-control-request-method': 'POST',
    'access-control-request-headers': 'content-type'
  }
  t.strictSame(preflight(cors, 'OPTIONS', ask), {
    status: 200,
    headers: {
      'access-control-allow-origin': 'https://app.example',
      vary: 'Origin',
      'access-control-allow-methods': 'GET,POST',
      'access-control-allow-headers': 'content-type,x-api-key',
      'access-control-max-age': '600'
    }
  })
  // A disallowed origin gets the 200 without Access-Control-Allow-*: the browser then refuses.
  t.strictSame(preflight(cors, 'OPTIONS', { ...ask, origin: 'https://evil.example' }), {
    status: 200,
    headers: { vary: 'Origin' }
  })
  // Not a preflight, or no CORS config: the function gets the request.
  t.equal(preflight(null, 'OPTIONS', ask), null)
  t.equal(preflight(cors, 'GET', ask), null)
  t.equal(preflight(cors, 'OPTIONS', { origin: 'https://app.example' }), null)
  t.equal(preflight(cors, 'OPTIONS', { 'access-control-request-method': 'GET' }), null)
})

t.test('preflight with *, credentials and MaxAge 0', async (t) => {
  const cors: CorsConfig = {
    AllowOrigins: ['*'],
    AllowMethods: ['*'],
    AllowHeaders: ['*'],
    AllowCredentials: true,
    MaxAge: 0
  }
  t.strictSame(
    preflight(cors, 'OPTIONS', {
      origin: 'http://localhost:5173',
      'access-control-request-method': 'DELETE',
      'access-control-request-headers': 'authorization,x-trace'
    }),
    {
      status: 200,
      headers: {
        'access-control-allow-origin': 'http://localhost:5173',
        vary: 'Origin',
        'access-control-allow-credentials': 'true',
        'access-control-allow-methods': 'DELETE',
        'access-control-allow-headers': 'authorization,x-trace',
        'access-control-max-age': '0'
      }
    }
  )
  // A bare config allows no origin.
  t.strictSame(
    preflight({}, 'OPTIONS', {
      origin: 'https://a.example',
      'access-control-request-method': 'GET'
    }),
    { status: 200, headers: { vary: 'Origin' } }
  )
})

t.test('corsHeaders for an actual response', async (t) => {
  const cors: CorsConfig = {
    AllowOrigins: ['https://App.Example'],
    ExposeHeaders: ['x-request-id', 'date'],
    AllowCredentials: true,
    MaxAge: 600
  }
  t.strictSame(corsHeaders(cors, { origin: 'https://app.example' }), {
    'access-control-allow-origin': 'https://app.example',
    vary: 'Origin',
    'access-control-allow-credentials': 'true',
    'access-control-expose-headers': 'x-request-id,date'
  })
  t.strictSame(corsHeaders(cors, { origin: 'https://evil.example' }), {})
  t.strictSame(corsHeaders(cors, {}), {})
  t.strictSame(corsHeaders(null, { origin: 'https://app.example' }), {})
  t.strictSame(corsHeaders({ AllowOrigins: ['*'] }, { origin: 'https://any.example' }), {
    'access-control-allow-origin': 'https://any.example',
    vary: 'Origin'
  })
})
