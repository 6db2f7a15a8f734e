/**
 * The HTTP response a function URL gives for a function's output.
 *
 * Follows https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html ("Response payload
 * format", "Cookies"). Where the page's examples disagree with each other (a returned string's
 * quotes), the behaviour follows LocalStack's AWS-validated snapshots of real function URLs
 * (tests/aws/services/lambda_/test_lambda.py, TestLambdaURL), noted where it is used.
 */

import { isUtf8 } from 'node:buffer'

/** What the edge writes back to the client. */
export interface UrlResponse {
  status: number
  /** Lower-case names, one value each. */
  headers: Record<string, string>
  /** One Set-Cookie header each. */
  cookies: string[]
  body: Buffer
}

const JSON_TYPE = 'application/json'
const TEXT_TYPE = 'text/plain; charset=utf-8'
const BINARY_TYPE = 'application/octet-stream'

/**
 * Headers a function may not set: the edge frames the body itself, so a function's own length,
 * encoding or connection headers would contradict what is sent.
 */
const FRAMING = new Set([
  'connection',
  'content-length',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade'
])

/** An RFC 9110 token: what a header name may be. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
/** What Node accepts in a header value: no CR, LF, NUL or other control characters. */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/
/** Standard base64, padding optional (whitespace is removed first). */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/

/**
 * Maps a function's output bytes to the response. AWS's rules: a JSON object with `statusCode`
 * is the response (`headers`, `cookies`, `body`, `isBase64Encoded`); any other JSON value is the
 * body of a 200 with `content-type: application/json`. A malformed response object is a 502.
 *
 * Our extension: output that is not JSON at all (a WASI program printing text, a byte-ABI Wasm
 * module) is the body of a 200 as it is, typed `text/plain; charset=utf-8` when it is UTF-8 and
 * `application/octet-stream` otherwise. AWS cannot meet this case: its runtimes always emit JSON.
 */
export function urlResponse(output: Uint8Array): UrlResponse {
  const bytes = Buffer.from(output.buffer, output.byteOffset, output.byteLength)
  if (!isUtf8(bytes)) return plain(bytes, BINARY_TYPE)
  const text = bytes.toString('utf8')
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return plain(bytes, TEXT_TYPE)
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && 'statusCode' in value)
    return responseObject(value as Record<string, unknown>) ?? urlFunctionError()
  // AWS-validated: a returned string is the body without its JSON quotes (`"hello"` → `hello`,
  // Content-Length 5); other values are sent as compact JSON (`{"hello": "world"}` → 17 bytes).
  // The docs' string example shows the quotes in the client's view, but its own "interpreted
  // response" (`"body": "Hello, world!"`) and the real service do not.
  const body = typeof value === 'string' ? value : compactJson(text)
  return {
    status: 200,
    headers: { 'content-type': JSON_TYPE },
    cookies: [],
    body: Buffer.from(body)
  }
}

/**
 * What a function URL answers when the function fails (an unhandled error, a timeout, a trap)
 * or returns a malformed response object: 502 with the body `Internal Server Error`, as
 * LocalStack's AWS-validated test_lambda_url_invocation_exception asserts and
 * awsdocs/aws-lambda-developer-guide#430 reports. The content type is the JSON one every
 * Lambda front-end answer carries, though the body is not JSON (AWS's own quirk).
 */
export function urlFunctionError(): UrlResponse {
  return {
    status: 502,
    headers: { 'content-type': JSON_TYPE },
    cookies: [],
    body: Buffer.from('Internal Server Error')
  }
}

/** A 200 with the output as it is. */
function plain(bytes: Buffer, contentType: string): UrlResponse {
  return { status: 200, headers: { 'content-type': contentType }, cookies: [], body: bytes }
}

/** A `{statusCode, ...}` object as a response, or null when it is malformed. */
function responseObject(value: Record<string, unknown>): UrlResponse | null {
  const status = statusCode(value.statusCode)
  if (status === null) return null

  const headers = new Map<string, string>()
  if (value.headers !== undefined && value.headers !== null) {
    if (typeof value.headers !== 'object' || Array.isArray(value.headers)) return null
    for (const [name, headerValue] of Object.entries(value.headers)) {
      if (!TOKEN.test(name) || typeof headerValue !== 'string' || !FIELD_VALUE.test(headerValue))
        return null
      const lower = name.toLowerCase()
      if (!FRAMING.has(lower)) headers.set(lower, headerValue)
    }
  }
  // AWS-validated: a response object without a content type is sent as application/json.
  if (!headers.has('content-type')) headers.set('content-type', JSON_TYPE)

  const cookies: string[] = []
  if (value.cookies !== undefined && value.cookies !== null) {
    if (!Array.isArray(value.cookies)) return null
    for (const cookie of value.cookies as unknown[]) {
      if (typeof cookie !== 'string' || !FIELD_VALUE.test(cookie)) return null
      cookies.push(cookie)
    }
  }

  const encoded = value.isBase64Encoded
  if (encoded !== undefined && encoded !== null && typeof encoded !== 'boolean') return null
  let body = Buffer.alloc(0)
  if (value.body !== undefined && value.body !== null) {
    if (typeof value.body !== 'string') return null
    if (encoded === true) {
      const base64 = value.body.replace(/\s+/g, '')
      if (!BASE64.test(base64)) return null
      body = Buffer.from(base64, 'base64')
    } else body = Buffer.from(value.body)
  }
  // fromEntries defines own properties, so a header named __proto__ stays a header.
  return { status, headers: Object.fromEntries(headers), cookies, body }
}

/**
 * A status code 100-599, or null. AWS also takes the code as a string of digits (LocalStack's
 * AWS-validated test_lambda_url_headers_and_status: `"statusCode": "418"` → 418).
 */
function statusCode(value: unknown): number | null {
  const code =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^\d{3}$/.test(value)
        ? +value
        : NaN
  return Number.isInteger(code) && code >= 100 && code <= 599 ? code : null
}

/**
 * Valid JSON text without insignificant whitespace. Stripping the text, rather than
 * re-serializing the parsed value, keeps numbers exactly as the function wrote them (an integer
 * past 2^53, `1.0`).
 */
function compactJson(text: string): string {
  let out = ''
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string
    if (inString) {
      out += ch
      if (ch === '\\') out += text[++i] as string
      else if (ch === '"') inString = false
    } else if (ch === '"') {
      inString = true
      out += ch
    } else if (ch !== ' ' && ch !== '\t' && ch !== '\n' && ch !== '\r') out += ch
  }
  return out
}
