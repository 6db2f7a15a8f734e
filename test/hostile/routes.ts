import { AUTH, INVOKE_SUM, JSON_HEADERS, json, SUM_B64, SUM_ZIP_B64 } from './bodies.js'
import type { Input } from './support.js'

/**
 * Hostile paths: function names and ARNs that are not, malformed percent-encoding, unknown
 * paths, every method on every path, and odd query strings.
 */

/** Function references in paths: names, qualifiers and ARNs, good-looking and not. */
const REFERENCES = [
  '',
  ' ',
  'a'.repeat(65),
  'a'.repeat(10_000),
  'target:1',
  'target:$LATEST:x',
  'target:',
  ':target',
  'arn:aws:lambda',
  'arn:aws:lambda:us-east-1:000000000000:function:',
  'arn:aws:lambda:us-east-1:000000000000:function:target:2',
  'arn:aws:lambda:us-east-1:000000000000:function:target:$LATEST:extra',
  'arn:aws:lambda:us-east-1:000000000000:layer:target',
  'arn:aws:s3:::bucket',
  ':::::',
  'function',
  'function:',
  'function:function:function',
  '000000000000:function:target:$LATEST:x',
  '..',
  '.',
  '__proto__',
  'constructor',
  'hasOwnProperty',
  'target\u0000',
  'ta rget',
  'tärget',
  '😀',
  '\'"<>;',
  'x:'.repeat(3_000),
  'target\r\nx-injected: 1',
  '%',
  'target%2Fwasm'
]

/** Every route that takes a function reference, with each reference. */
export function badReferences(): Input[] {
  const inputs: Input[] = []
  for (const reference of REFERENCES) {
    const ref = encodeURIComponent(reference)
    const routes: [string, string, Buffer | undefined][] = [
      ['GET', `/functions/${ref}`, undefined],
      ['GET', `/functions/${ref}/wasm`, undefined],
      ['DELETE', `/functions/${ref}`, undefined],
      ['GET', `/2015-03-31/functions/${ref}`, undefined],
      ['GET', `/2015-03-31/functions/${ref}/configuration`, undefined],
      ['DELETE', `/2015-03-31/functions/${ref}`, undefined],
      ['POST', `/2015-03-31/functions/${ref}/invocations`, json([1, 2, 3])],
      ['POST', `/2015-03-31/functions/${ref}/invocations?Qualifier=${ref}`, json([1, 2, 3])],
      ['GET', `/2015-03-31/functions/target?Qualifier=${ref}`, undefined],
      ['GET', `/api/v1/jobs/${ref}`, undefined],
      [
        'PUT',
        `/2017-10-31/functions/${ref}/concurrency`,
        json({ ReservedConcurrentExecutions: 1 })
      ],
      ['GET', `/2019-09-30/functions/${ref}/concurrency`, undefined],
      ['DELETE', `/2017-10-31/functions/${ref}/concurrency`, undefined]
    ]
    for (const [method, path, body] of routes) {
      // Twice a long reference is over Node's 16 KiB header limit: the raw cases cover that.
      if (ref.length > 2_000 && path.includes('Qualifier')) continue
      inputs.push({ category: 'invalid names and ARNs', method, path, headers: AUTH, body })
    }
    inputs.push(
      {
        category: 'invalid names and ARNs',
        method: 'POST',
        path: '/functions',
        headers: JSON_HEADERS,
        body: json({ name: reference, wasm_base64: SUM_B64 })
      },
      {
        category: 'invalid names and ARNs',
        method: 'POST',
        path: '/2015-03-31/functions',
        headers: JSON_HEADERS,
        body: json({ FunctionName: reference, Code: { ZipFile: SUM_ZIP_B64 } })
      },
      {
        category: 'invalid names and ARNs',
        method: 'POST',
        path: '/api/v1/jobs',
        headers: JSON_HEADERS,
        body: json({ function: reference, dataset: [1] })
      }
    )
  }
  return inputs
}

const BAD_ESCAPES = [
  '%',
  '%%',
  '%zz',
  '%E0%A4%A',
  '%C0%AF',
  '%ED%A0%80',
  '%FF',
  '%F4%90%80%80',
  '%u0041',
  '%%32%35',
  'a%',
  '%0',
  '%00',
  '%E2%82',
  '%F0%9F%98'
]

/** Malformed percent-encoding in every route's capture. */
export function badEscapes(): Input[] {
  const inputs: Input[] = []
  for (const bad of BAD_ESCAPES) {
    for (const [method, path] of [
      ['GET', `/functions/${bad}`],
      ['DELETE', `/functions/${bad}`],
      ['GET', `/functions/${bad}/wasm`],
      ['GET', `/2015-03-31/functions/${bad}`],
      ['GET', `/2015-03-31/functions/${bad}/configuration`],
      ['POST', `/2015-03-31/functions/${bad}/invocations`],
      ['GET', `/api/v1/jobs/${bad}`],
      ['GET', `/2015-03-31/functions?Marker=${bad}&MaxItems=${bad}`],
      ['GET', `/healthz?${bad}=${bad}`]
    ] as const) {
      inputs.push({
        category: 'malformed percent-encoding',
        method,
        path,
        headers: AUTH,
        body: method === 'POST' ? '[1]' : undefined
      })
    }
  }
  return inputs
}

const PATHS = [
  '/x',
  '/functions/a/b/c',
  '/functions//wasm',
  '//functions',
  '/2015-03-31',
  '/2015-03-31/',
  '/2015-03-31/functions/a/b',
  '/2015-03-31/functions/a/invocations/x',
  '/2015-03-31/functions/a/invocations',
  '/2016-01-01/functions',
  '/api',
  '/api/v1',
  '/api/v1/jobs/a/b',
  '/api/v2/jobs',
  '/healthz/x',
  '/HEALTHZ',
  '/metrics/x',
  '/cluster/x',
  '/%2e%2e/%2e%2e/etc/passwd',
  '/..%2f..%2fetc%2fpasswd',
  '/functions/%2e%2e',
  '/?',
  '/;',
  '/events/x',
  '/2015-03-31/functions/target/policy',
  '/2015-03-31/functions/target/code'
]
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD']

/** Unknown paths, and every method on every path (known ones included). */
export function unknownRoutes(): Input[] {
  const inputs: Input[] = []
  for (const path of PATHS) {
    for (const method of METHODS) {
      inputs.push({ category: 'unknown paths and methods', method, path, headers: AUTH })
    }
  }
  for (const path of [
    '/functions',
    '/functions/target',
    '/functions/target/wasm',
    '/2015-03-31/functions',
    '/2015-03-31/functions/target',
    '/2015-03-31/functions/target/configuration',
    '/2015-03-31/functions/target/invocations',
    '/api/v1/jobs',
    '/api/v1/jobs/abc',
    '/healthz',
    '/metrics',
    '/cluster',
    '/',
    '/events'
  ]) {
    for (const method of ['PUT', 'PATCH', 'OPTIONS', 'PROPFIND', 'MKCOL', 'LOCK', 'PURGE']) {
      // PUT .../configuration is UpdateFunctionConfiguration (test/gateway/js.test.ts).
      if (method === 'PUT' && path.endsWith('/configuration')) continue
      inputs.push({
        category: 'unknown paths and methods',
        method,
        path,
        headers: AUTH,
        expect: 'METHOD_NOT_ALLOWED'
      })
    }
  }
  return inputs
}

/** Odd query strings on the routes that read them. */
export function badQueries(): Input[] {
  const queries = [
    'MaxItems=-1',
    'MaxItems=abc',
    'MaxItems=1e999',
    'MaxItems=99999999999',
    'MaxItems=0',
    'MaxItems=1&MaxItems=2',
    'Marker=%00',
    `Marker=${'x'.repeat(5_000)}`,
    'Marker=',
    'Marker=%FF%FE',
    'Qualifier=',
    'Qualifier=$LATEST&Qualifier=1',
    '__proto__=1',
    '&&&&',
    '=',
    '%3D%3D'
  ]
  const inputs: Input[] = []
  for (const query of queries) {
    for (const path of [
      '/2015-03-31/functions',
      '/2015-03-31/functions/target',
      '/2015-03-31/functions/target/configuration'
    ]) {
      inputs.push({
        category: 'odd query strings',
        method: 'GET',
        path: `${path}?${query}`,
        headers: AUTH
      })
    }
    inputs.push({
      category: 'odd query strings',
      method: 'POST',
      path: `${INVOKE_SUM}?${query}`,
      headers: AUTH,
      body: '[1]'
    })
  }
  return inputs
}

/** Host labels a function URL request may carry: empty, separators only, long, prototype names. */
const LABELS = [
  '',
  '-',
  '--',
  'echo--',
  '--echo',
  'echo----x',
  'echo--__proto__',
  '__proto__',
  'constructor',
  'ECHO',
  'e%63ho',
  'a'.repeat(300),
  'x'.repeat(6_000),
  'echo:1',
  'echo--$LATEST'
]

/**
 * Versions, aliases and function URLs: every new route with each bad reference, hosts that are
 * not function URLs, and the one URL (`echo`, created at setup) with every method and odd paths.
 */
export function badAddresses(): Input[] {
  const inputs: Input[] = []
  for (const reference of REFERENCES) {
    const ref = encodeURIComponent(reference)
    const routes: [string, string, Buffer | undefined][] = [
      ['POST', `/2015-03-31/functions/${ref}/versions`, json({})],
      ['GET', `/2015-03-31/functions/${ref}/versions`, undefined],
      ['POST', `/2015-03-31/functions/${ref}/aliases`, json({ Name: ref, FunctionVersion: ref })],
      ['GET', `/2015-03-31/functions/${ref}/aliases`, undefined],
      ['GET', `/2015-03-31/functions/target/aliases/${ref}`, undefined],
      ['PUT', `/2015-03-31/functions/target/aliases/${ref}`, json({ FunctionVersion: '1' })],
      ['DELETE', `/2015-03-31/functions/target/aliases/${ref}`, undefined],
      ['POST', `/2021-10-31/functions/${ref}/url`, json({ AuthType: 'NONE' })],
      ['GET', `/2021-10-31/functions/echo/url?Qualifier=${ref}`, undefined],
      ['GET', `/2021-10-31/functions/${ref}/urls`, undefined],
      ['GET', `/lambda-url/${ref}/x`, undefined]
    ]
    for (const [method, path, body] of routes) {
      inputs.push({
        category: 'versions, aliases, URLs: bad references',
        method,
        path,
        headers: body === undefined ? AUTH : { ...AUTH, ...JSON_HEADERS },
        ...(body === undefined ? {} : { body })
      })
    }
  }
  for (const label of LABELS) {
    for (const method of ['GET', 'POST', 'OPTIONS', 'DELETE']) {
      inputs.push({
        category: 'function URL hosts',
        method,
        path: '/a/b?x=1',
        headers: { host: `${label}.lambda.mesh:8790`, origin: 'https://x.example' }
      })
    }
  }
  const bodies: [string, Buffer | string][] = [
    ['application/json', '{"a":'],
    ['text/plain', Buffer.from([0xff, 0xfe, 0x00])],
    ['application/octet-stream', Buffer.alloc(100_000, 7)],
    ['application/x-www-form-urlencoded', '%%%&&&=='],
    ['', '']
  ]
  for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'PURGE']) {
    for (const [type, body] of bodies) {
      for (const path of ['/', '/%zz', '/a?%zz=%', '/..%2f..%2fetc', `/${'p'.repeat(4_000)}`]) {
        inputs.push({
          category: 'function URL requests',
          method,
          path,
          headers: {
            host: 'echo.lambda.mesh:8790',
            cookie: '; ;=;a=b=c; __proto__=1',
            'access-control-request-method': method,
            origin: 'null',
            ...(type === '' ? {} : { 'content-type': type })
          },
          ...(method === 'GET' || method === 'HEAD' ? {} : { body })
        })
      }
    }
  }
  return inputs
}
