import { parseIntArray, skipJsonSpace } from '../dataset.js'
import { FUNCTION_NOT_FOUND, INVALID_REQUEST } from '../errors.js'
import type { FunctionRecord } from '../wire/messages.js'

/** The account id in ARNs: there are no AWS accounts here, and AWS clients only need the shape. */
export const ACCOUNT_ID = '000000000000'
/** The only version there is: functions are not published into numbered versions. */
export const LATEST = '$LATEST'

/** An AWS-style ARN for a function. */
export function functionArn(region: string, name: string): string {
  return `arn:aws:lambda:${region}:${ACCOUNT_ID}:function:${name}`
}

/** A FunctionConfiguration as AWS Lambda returns it, with the fields AWS clients read. */
export function configuration(record: FunctionRecord, region: string) {
  return {
    FunctionName: record.name,
    FunctionArn: functionArn(region, record.name),
    Runtime: record.runtime,
    Role: record.role,
    Handler: record.handler,
    CodeSize: record.size,
    Description: record.description,
    Timeout: Math.ceil(record.timeoutMs / 1000),
    MemorySize: record.memoryMb,
    LastModified: new Date(record.modified).toISOString().replace('Z', '+0000'),
    CodeSha256: Buffer.from(record.sha256, 'hex').toString('base64'),
    Version: LATEST,
    State: 'Active',
    LastUpdateStatus: 'Successful',
    PackageType: 'Zip',
    Architectures: ['wasm32'],
    RevisionId: `${record.sha256.slice(0, 8)}-${record.version}`,
    Environment: {
      Variables: {
        SWARMLAMBDA_REDUCE: record.reduce,
        SWARMLAMBDA_HEADER_ITEMS: String(record.headerItems),
        SWARMLAMBDA_MAX_DATASET_ITEMS: String(record.maxDatasetItems)
      }
    },
    // Ours, beyond AWS's shape: what the platform needs to know about the module.
    SwarmLambda: {
      abi: record.abi,
      reduce: record.reduce,
      headerItems: record.headerItems,
      timeoutMs: record.timeoutMs,
      concurrency: record.concurrency,
      maxDatasetItems: record.maxDatasetItems,
      version: record.version,
      sha256: record.sha256
    }
  }
}

/**
 * The function name in a path: a plain name, `name:qualifier`, or a full or partial ARN
 * (`arn:aws:lambda:region:account:function:name[:qualifier]`, `account:function:name`), with
 * the `?Qualifier=` query parameter the AWS SDK sends. Only `$LATEST` exists as a qualifier; any
 * other names a version that is not there (so a versioned delete never deletes the function).
 */
export function functionName(reference: string, url: URL): string {
  const parts = reference.split(':')
  const at = parts.lastIndexOf('function')
  const [name, inPath] = at >= 0 ? parts.slice(at + 1) : parts
  if (name === undefined || name === '' || parts.length - Math.max(at + 1, 0) > 2) {
    throw FUNCTION_NOT_FOUND(reference)
  }
  const inQuery = url.searchParams.get('Qualifier') ?? undefined
  for (const qualifier of [inPath, inQuery]) {
    if (qualifier !== undefined && qualifier !== LATEST)
      throw FUNCTION_NOT_FOUND(`${name}:${qualifier}`)
  }
  return name
}

/**
 * Bodies up to this size go straight to JSON.parse: the costliest JSON this small (32k nested
 * arrays) parses in about 10 ms.
 */
const PLAIN_PARSE_BYTES = 64 * 1024
/**
 * A larger body may hold at most this many strings, objects, arrays and escapes. JSON.parse pays
 * for each on the gateway's thread: 6 MB of them takes 0.1-1.8 s (3M nested arrays), a stall for
 * every client of the edge. The API's large bodies need a handful: one base64 module, or one
 * dataset of integers (read without JSON.parse, see parseLarge).
 */
const MAX_COSTLY_TOKENS = 10_000
const COSTLY_BYTES = [0x22, 0x5b, 0x7b, 0x5c] // " [ { \\

/**
 * Parses a JSON request body; malformed JSON is an INVALID_REQUEST error. Large bodies take a
 * fast path when they are what large bodies should be (an integer array, or an object of scalars
 * and integer arrays, which come back as Int32Arrays); other large bodies are refused when they
 * would be costly to parse (see MAX_COSTLY_TOKENS).
 */
export function parseJson(body: Buffer): unknown {
  if (body.length === 0) throw INVALID_REQUEST('the body is empty; JSON was expected')
  if (body.length > PLAIN_PARSE_BYTES) {
    const value = parseLarge(body)
    if (value !== undefined) return value
    if (costly(body)) {
      throw INVALID_REQUEST(
        `a body over ${PLAIN_PARSE_BYTES} bytes may hold at most ${MAX_COSTLY_TOKENS} strings, objects, arrays and escapes (send a large dataset as one array of integers, or as i32le)`
      )
    }
  }
  try {
    return JSON.parse(body.toString('utf8'))
  } catch (err) {
    throw INVALID_REQUEST(`the body is not valid JSON (${(err as Error).message})`, err)
  }
}

/** True when a body has more costly tokens than allowed; each count is a native search. */
function costly(body: Buffer): boolean {
  let count = 0
  for (const byte of COSTLY_BYTES) {
    for (let at = body.indexOf(byte); at !== -1; at = body.indexOf(byte, at + 1)) {
      if (++count > MAX_COSTLY_TOKENS) return true
    }
  }
  return false
}

const NOT_FLAT = Symbol('not flat')
/** The fast path reads an object of a few fields; one of many members is left to JSON.parse. */
const MAX_LARGE_MEMBERS = 64

/**
 * The shapes of a large body, read without JSON.parse's cost: `[integers]`, or an object whose
 * members are strings without escapes, numbers, booleans, null or integer arrays. Integer arrays
 * come back as Int32Arrays. Anything else is undefined (JSON.parse judges it).
 */
function parseLarge(body: Buffer): unknown {
  let i = skipJsonSpace(body, 0)
  if (body[i] === 0x5b) {
    const array = parseIntArray(body, i)
    return array !== null && skipJsonSpace(body, array.end) === body.length
      ? array.dataset
      : undefined
  }
  if (body[i] !== 0x7b) return undefined
  const object: Record<string, unknown> = {}
  let members = 0
  i = skipJsonSpace(body, i + 1)
  if (body[i] === 0x7d) return undefined // {} is not large
  for (;;) {
    if (body[i] !== 0x22 || ++members > MAX_LARGE_MEMBERS) return undefined
    const keyEnd = stringEnd(body, i)
    const key = keyEnd === -1 ? NOT_FLAT : scalar(body, i, keyEnd)
    if (typeof key !== 'string') return undefined
    i = skipJsonSpace(body, keyEnd)
    if (body[i] !== 0x3a) return undefined
    i = skipJsonSpace(body, i + 1)
    let value: unknown
    if (body[i] === 0x5b) {
      const array = parseIntArray(body, i)
      if (array === null) return undefined
      value = array.dataset
      i = array.end
    } else {
      let end = body[i] === 0x22 ? stringEnd(body, i) : i
      if (end === -1) return undefined
      while (end < body.length && !DELIMITERS.has(body[end] as number)) end++
      value = scalar(body, i, end)
      if (value === NOT_FLAT || (typeof value === 'object' && value !== null)) return undefined
      i = end
    }
    // As JSON.parse does: an own property even for "__proto__", the last duplicate wins.
    Object.defineProperty(object, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true
    })
    i = skipJsonSpace(body, i)
    if (body[i] === 0x2c) {
      i = skipJsonSpace(body, i + 1)
      continue
    }
    return body[i] === 0x7d && skipJsonSpace(body, i + 1) === body.length ? object : undefined
  }
}

const DELIMITERS = new Set([0x2c, 0x7d, 0x5d, 0x20, 0x0a, 0x0d, 0x09])

/** The index after the closing quote of the string at `start`, or -1 (none, or it escapes). */
function stringEnd(body: Buffer, start: number): number {
  const close = body.indexOf(0x22, start + 1)
  if (close === -1 || body.subarray(start + 1, close).includes(0x5c)) return -1
  return close + 1
}

/** One scalar JSON token, parsed by JSON.parse itself (so its rules hold), or NOT_FLAT. */
function scalar(body: Buffer, start: number, end: number): unknown {
  try {
    return JSON.parse(body.toString('utf8', start, end))
  } catch {
    return NOT_FLAT // malformed: the full parse reports it, with its own message
  }
}

/** Narrows a parsed JSON value to an object. */
export function asObject(value: unknown, what: string): Record<string, unknown> {
  if (
    typeof value !== 'object' ||
    value === null ||
    Array.isArray(value) ||
    ArrayBuffer.isView(value)
  ) {
    throw INVALID_REQUEST(`${what} must be a JSON object`)
  }
  return value as Record<string, unknown>
}
