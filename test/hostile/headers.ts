import { createHmac } from 'node:crypto'
import { AUTH, baseDeploy, INVOKE_SUM, json, KEY, NAMES } from './bodies.js'
import type { Input } from './support.js'

/**
 * Hostile headers: odd values for every header Invoke reads, and credentials that are missing,
 * malformed, wrong or stale, or sign header lists no client would.
 */

/** Odd values for every header the edge reads, on Invoke. */
export function badHeaders(): Input[] {
  const inputs: Input[] = []
  const invoke = (
    headers: Record<string, string | string[]>,
    body: Buffer | string,
    expect?: Input['expect'],
    path = INVOKE_SUM
  ): Input => ({
    category: 'bad headers',
    method: 'POST',
    path,
    headers: { ...AUTH, ...headers },
    body,
    expect
  })
  for (const type of [
    '',
    'event',
    'EVENT',
    'Event ',
    ' DryRun',
    'Request-Response',
    'x'.repeat(8_000),
    'Event;',
    'null',
    'undefined',
    '0',
    'RequestResponse, Event'
  ]) {
    // The HTTP parser trims header values: 'Event ' is Event.
    const expect = type.trim() === type ? 'INVALID_PARAMETER' : undefined
    inputs.push(invoke({ 'x-amz-invocation-type': type }, '[1,2]', expect))
  }
  inputs.push(
    invoke({ 'x-amz-invocation-type': ['Event', 'DryRun'] }, '[1,2]', 'INVALID_PARAMETER'),
    invoke({ 'x-amz-log-type': ['Tail', 'Tail'] }, '[1,2]', 'INVALID_PARAMETER')
  )
  for (const log of ['', 'tail', 'TAIL', 'Tail ', 'None,Tail', 'x'.repeat(1_000), 'Tail\t']) {
    const expect = log.trim() === log ? 'INVALID_PARAMETER' : undefined
    inputs.push(invoke({ 'x-amz-log-type': log }, '[1,2]', expect))
  }
  // i32le bodies of every length around a multiple of 4, and odd encodings.
  for (const length of [1, 2, 3, 5, 6, 7, 9, 4097, 65_535]) {
    inputs.push(
      invoke({ 'x-swarm-dataset-encoding': 'i32le' }, Buffer.alloc(length, 7), 'INVALID_DATASET')
    )
    inputs.push(
      invoke(
        { 'x-swarm-dataset-encoding': 'i32le', 'x-amz-invocation-type': 'DryRun' },
        Buffer.alloc(length, 7),
        'INVALID_DATASET'
      )
    )
  }
  inputs.push(invoke({ 'x-swarm-dataset-encoding': 'i32le' }, Buffer.alloc(0), 'INVALID_DATASET'))
  for (const encoding of ['', 'I32LE', 'i32be', 'i64le', 'base64', 'json', 'i32le ', 'i32le;x']) {
    const expect = encoding.trim() === encoding ? 'INVALID_REQUEST' : undefined
    inputs.push(invoke({ 'x-swarm-dataset-encoding': encoding }, Buffer.alloc(8), expect))
  }
  inputs.push(
    invoke({ 'x-swarm-dataset-encoding': ['i32le', 'i32le'] }, Buffer.alloc(8), 'INVALID_REQUEST')
  )
  // Headers that change nothing, with bad payloads: still the payload's error.
  const harmless: Record<string, string>[] = [
    { 'x-amz-invocation-type': 'Event' },
    { 'x-amz-invocation-type': 'DryRun' },
    { 'x-amz-log-type': 'Tail' },
    { 'content-type': 'application/json; charset=utf-16' },
    { 'content-type': 'multipart/form-data; boundary=x' },
    { 'content-encoding': 'gzip' },
    { 'x-amz-client-context': '!!!not base64!!!' },
    { 'x-amz-date': 'yesterday' }
  ]
  for (const headers of harmless) {
    for (const body of ['', '[]', '[1.5]', '{"dataset":"x"}', '\u00ff\u00fe']) {
      inputs.push(invoke(headers, body))
    }
  }
  // An ABI v2 function takes any bytes; its headers are still checked.
  inputs.push(
    invoke({}, Buffer.alloc(0), undefined, '/2015-03-31/functions/echo/invocations'),
    invoke(
      { 'x-swarm-dataset-encoding': 'i32le' },
      Buffer.alloc(3),
      undefined,
      '/2015-03-31/functions/echo/invocations'
    ),
    invoke(
      { 'x-amz-invocation-type': 'x' },
      'abc',
      'INVALID_PARAMETER',
      '/2015-03-31/functions/echo/invocations'
    )
  )
  return inputs
}

/** A SigV4 Authorization header that parses, for a given key id, date and signed headers. */
function sigv4(id: string, date: string, signed: string, signature = 'a'.repeat(64)): string {
  return `AWS4-HMAC-SHA256 Credential=${id}/${date.slice(0, 8)}/us-east-1/lambda/aws4_request, SignedHeaders=${signed}, Signature=${signature}`
}

/** Credentials: missing, malformed, wrong, stale, and signatures over odd header lists. */
export function badCredentials(): Input[] {
  const now = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '')
  const old = '20200101T000000Z'
  const inputs: Input[] = []
  const cases: [Record<string, string | string[]>, Input['expect']][] = [
    [{}, 'MISSING_AUTHENTICATION'],
    [{ authorization: '' }, 'MISSING_AUTHENTICATION'],
    [{ authorization: 'Bearer' }, 'MISSING_AUTHENTICATION'],
    [{ authorization: 'Bearer ' }, undefined], // trimmed to "Bearer" by the HTTP parser
    [{ authorization: 'Bearer x' }, 'ACCESS_DENIED'],
    [{ authorization: `Bearer ${KEY.id}:wrong` }, 'ACCESS_DENIED'],
    [{ authorization: `bearer ${KEY.id}:${KEY.secret}` }, 'MISSING_AUTHENTICATION'],
    [{ authorization: `Bearer ${KEY.id}:${KEY.secret}`.repeat(100) }, 'ACCESS_DENIED'],
    [{ authorization: 'Basic aG9zdGlsZTp4' }, 'MISSING_AUTHENTICATION'],
    [{ authorization: [`Bearer ${KEY.id}:${KEY.secret}`, 'Bearer x'] }, undefined], // first wins
    [{ authorization: 'AWS4-HMAC-SHA256' }, 'INVALID_SIGNATURE'],
    [{ authorization: 'AWS4-HMAC-SHA256 Credential=' }, 'INVALID_SIGNATURE'],
    [{ authorization: sigv4('nobody', now, 'host;x-amz-date') }, 'UNRECOGNIZED_CLIENT'],
    [{ authorization: sigv4(KEY.id, now, 'host;x-amz-date') }, 'INVALID_SIGNATURE'],
    [
      { authorization: sigv4(KEY.id, now, 'host;x-amz-date'), 'x-amz-date': 'x' },
      'INVALID_SIGNATURE'
    ],
    [
      { authorization: sigv4(KEY.id, now, 'host;x-amz-date'), 'x-amz-date': '99999999T999999Z' },
      'INVALID_SIGNATURE'
    ],
    [
      { authorization: sigv4(KEY.id, old, 'host;x-amz-date'), 'x-amz-date': old },
      'SIGNATURE_EXPIRED'
    ],
    [{ authorization: sigv4(KEY.id, now, 'x-amz-date'), 'x-amz-date': now }, 'INVALID_SIGNATURE'],
    [{ authorization: sigv4(KEY.id, now, 'host;x-nope'), 'x-amz-date': now }, 'INVALID_SIGNATURE'],
    [
      {
        authorization: sigv4(KEY.id, now, 'host;x-amz-content-sha256;x-amz-date'),
        'x-amz-date': now,
        'x-amz-content-sha256': 'UNSIGNED-PAYLOAD'
      },
      'INVALID_SIGNATURE'
    ],
    [
      { authorization: sigv4(KEY.id, now, 'host;x-amz-date'), 'x-amz-date': now },
      'INVALID_SIGNATURE'
    ],
    [
      {
        authorization: sigv4(KEY.id, now, 'host;x-amz-date;' + 'a;'.repeat(2000) + 'b'),
        'x-amz-date': now
      },
      'INVALID_SIGNATURE'
    ],
    [
      {
        authorization: sigv4(
          KEY.id,
          now,
          'host;x-amz-date',
          createHmac('sha256', 'x').update('y').digest('hex')
        ),
        'x-amz-date': [now, old]
      },
      'INVALID_SIGNATURE'
    ]
  ]
  for (const [headers, expect] of cases) {
    for (const [method, path] of [
      ['POST', '/functions'],
      ['GET', '/2015-03-31/functions'],
      ['POST', '/api/v1/jobs']
    ] as const) {
      inputs.push({
        category: 'bad credentials',
        method,
        path,
        headers,
        body: method === 'POST' ? json(baseDeploy(NAMES())) : undefined,
        expect
      })
    }
  }
  return inputs
}

/**
 * Signed header names that are properties of every plain object: the edge reads request
 * headers from a plain object, so `constructor` is "present" whatever the client sent.
 */
export function prototypeHeaders(): Input[] {
  const now = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '')
  return ['constructor', 'host;constructor;x-amz-date'].map((signed) => ({
    category: 'bad credentials (prototype names)',
    method: 'GET',
    path: '/2015-03-31/functions',
    headers: { authorization: sigv4(KEY.id, now, signed), 'x-amz-date': now },
    expect: 'INVALID_SIGNATURE'
  }))
}
