import { createHash, timingSafeEqual } from 'node:crypto'
import { Hash } from '@smithy/hash-node'
import { SignatureV4 } from '@smithy/signature-v4'
import type { HeaderBag, QueryParameterBag } from '@smithy/types'
import {
  ACCESS_DENIED,
  INVALID_SIGNATURE,
  MISSING_AUTHENTICATION,
  SIGNATURE_EXPIRED,
  UNRECOGNIZED_CLIENT
} from '../errors.js'
import type { Request } from './server.js'

/**
 * Who may call a route once the edge has access keys: `open` routes anyone (health, metrics,
 * the console), `control` routes only a key holder (deploy, delete, jobs, function reads),
 * `invoke` routes a key holder when invocations are configured to require it, `optional` routes
 * anyone, but a key that comes is checked (the console's stream shows more to a key holder).
 */
export type Access = 'open' | 'optional' | 'invoke' | 'control'

/** One access key: what AWS clients call the access key id and the secret access key. */
export interface AccessKey {
  id: string
  secret: string
}

/** A signed request is refused when its X-Amz-Date is further than this from the edge's clock. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000

const SIGV4 = 'AWS4-HMAC-SHA256'
const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/\s,]+)\/(\d{8})\/([^/\s,]+)\/([^/\s,]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/

/** Parses an `id:secret[,id:secret]` list (SWARMLAMBDA_ACCESS_KEYS); `bad` hears each bad entry. */
export function parseAccessKeys(text: string, bad: (entry: string) => void): AccessKey[] {
  const keys: AccessKey[] = []
  for (const entry of text.split(',').filter((e) => e.trim() !== '')) {
    const match = /^([A-Za-z0-9_-]{1,128}):([\x21-\x7e]{8,256})$/.exec(entry.trim())
    if (match === null) bad(entry.replace(/:.*/, ':…'))
    else keys.push({ id: match[1] as string, secret: match[2] as string })
  }
  return keys
}

/**
 * Checks the credentials of a request: AWS Signature Version 4 (what the AWS SDK and CLI send),
 * verified by signing the request again with `@smithy/signature-v4` — the signer the SDK itself
 * uses — over exactly the headers the client signed, then comparing in constant time; or
 * `Authorization: Bearer ID:SECRET` for curl. With no keys configured every request passes.
 */
export class Authenticator {
  private readonly keys: Map<string, AccessKey>
  private readonly invokeAuth: boolean
  private readonly now: () => number

  constructor(keys: readonly AccessKey[], invokeAuth: boolean, now: () => number = Date.now) {
    this.keys = new Map(keys.map((k) => [k.id, k]))
    this.invokeAuth = invokeAuth
    this.now = now
  }

  /** True when some route needs credentials. */
  get enabled(): boolean {
    return this.keys.size > 0
  }

  /**
   * Resolves with the caller's access key id (null for an open call), or rejects with a 403
   * AWS-shaped error.
   */
  /** True when a route of this access takes any caller (check would answer null at once). */
  opens(access: Access): boolean {
    return !this.enabled || access === 'open' || (access === 'invoke' && !this.invokeAuth)
  }

  async check(access: Access, request: Request): Promise<string | null> {
    if (this.opens(access)) return null
    const header = request.headers.authorization
    if (access === 'optional' && (header === undefined || header === '')) return null
    if (header === undefined || header === '') throw MISSING_AUTHENTICATION()
    if (header.startsWith('Bearer ')) return this.bearer(header.slice(7).trim())
    if (header.startsWith(SIGV4)) return this.sigv4(header, request)
    throw MISSING_AUTHENTICATION()
  }

  /**
   * The access key that signed a request that must be signed whatever the routes' settings (a
   * function URL with AuthType AWS_IAM): 403 without credentials, and 403 on an edge that has
   * no access keys to check them against.
   */
  async verify(request: Request): Promise<string> {
    if (!this.enabled) {
      throw ACCESS_DENIED(
        'this edge has no access keys: an AWS_IAM function URL cannot be authorized'
      )
    }
    return (await this.check('control', request)) as string
  }

  private bearer(token: string): string {
    // Compare digests: equal lengths for timingSafeEqual, and no early exit on a prefix.
    const given = createHash('sha256').update(token).digest()
    for (const key of this.keys.values()) {
      const expected = createHash('sha256').update(`${key.id}:${key.secret}`).digest()
      if (timingSafeEqual(given, expected)) return key.id
    }
    throw ACCESS_DENIED('the bearer token is not an access key of this cluster')
  }

  private async sigv4(header: string, request: Request): Promise<string> {
    const parts = AUTHORIZATION.exec(header)
    if (parts === null) throw INVALID_SIGNATURE('the Authorization header is not AWS SigV4')
    const [, id, day, region, service, signed, signature] = parts as unknown as string[]
    const key = this.keys.get(id as string)
    if (key === undefined) throw UNRECOGNIZED_CLIENT()
    const date = single(request.headers['x-amz-date'])
    const when = date === undefined ? null : AMZ_DATE.exec(date)
    if (date === undefined || when === null) {
      throw INVALID_SIGNATURE('X-Amz-Date is missing or not YYYYMMDDTHHMMSSZ')
    }
    const [, y, mo, d, h, mi, s] = when.map(Number) as number[]
    const signedAt = Date.UTC(y as number, (mo as number) - 1, d, h, mi, s)
    if (date.slice(0, 8) !== day)
      throw INVALID_SIGNATURE('the credential scope date is not X-Amz-Date')
    if (Math.abs(this.now() - signedAt) > MAX_CLOCK_SKEW_MS) throw SIGNATURE_EXPIRED(date)

    const names = (signed as string).split(';')
    if (!names.includes('host')) throw INVALID_SIGNATURE('the Host header must be signed')
    const headers: HeaderBag = {}
    for (const name of names) {
      // Own properties only: `constructor` and friends are on every object's prototype.
      const value = Object.hasOwn(request.headers, name) ? request.headers[name] : undefined
      if (typeof value !== 'string' && !Array.isArray(value)) {
        throw INVALID_SIGNATURE(`the signed header ${name} is missing`)
      }
      headers[name] = Array.isArray(value) ? value.join(',') : value
    }
    // A client may send the payload's hash instead of having it computed (S3 style): it must be
    // this body's, never UNSIGNED-PAYLOAD, or a signature would not cover the body.
    const declared = headers['x-amz-content-sha256']
    if (declared !== undefined) {
      const actual = createHash('sha256').update(request.body).digest('hex')
      if (declared !== actual) throw INVALID_SIGNATURE("X-Amz-Content-Sha256 is not the body's")
    }
    const signer = new SignatureV4({
      applyChecksum: false,
      credentials: { accessKeyId: key.id, secretAccessKey: key.secret },
      region: region as string,
      service: service as string,
      sha256: Hash.bind(null, 'sha256'),
      uriEscapePath: true
    })
    const resigned = await signer.sign(
      {
        method: request.method,
        protocol: 'http:',
        hostname: headers.host as string,
        path: request.rawPath,
        query: query(request.url),
        headers,
        body: request.body
      },
      { signingDate: new Date(signedAt), signableHeaders: new Set(names) }
    )
    const expected = /Signature=([0-9a-f]{64})/.exec(String(resigned.headers.authorization))?.[1]
    const ok =
      expected !== undefined &&
      timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(signature as string, 'hex'))
    if (!ok) throw INVALID_SIGNATURE('the request signature does not match')
    return key.id
  }
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}

/** The query as the signer wants it: decoded names and values, repeated names as arrays. */
function query(url: URL): QueryParameterBag {
  const bag: QueryParameterBag = {}
  for (const [name, value] of url.searchParams) {
    const seen = bag[name]
    if (seen === undefined || seen === null) bag[name] = value
    else bag[name] = Array.isArray(seen) ? [...seen, value] : [seen, value]
  }
  return bag
}
