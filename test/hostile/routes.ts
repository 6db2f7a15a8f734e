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
