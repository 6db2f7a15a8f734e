import { randomBytes, randomUUID } from 'node:crypto'

/**
 * The one seam between a JS function and the host: every host call the sandbox can make is
 * listed here with why it is allowed. Each takes and returns only strings, numbers, booleans,
 * null, arrays of those, plain records of those, or ArrayBuffers (copied across by the
 * container; see container.ts). None touches the filesystem, the network, the process or
 * another function's state; none can block.
 */
export interface HostBridge {
  /** console.*: one log line of the invocation (kept in its log, capped; never printed here). */
  log(level: string, text: string): void
  /** Date-like wall clock in ms: timers and getRemainingTimeInMillis() need real time. */
  now(): number
  /** The next source file of the function's own package (require/import); undefined if absent. */
  readFile(path: string): string | undefined
  /** crypto.getRandomValues: `length` random bytes from the host CSPRNG (≤ 65,536, as the web). */
  randomBytes(length: number): ArrayBuffer
  /** crypto.randomUUID: a v4 UUID from the host CSPRNG. */
  randomUUID(): string
  /** TextEncoder: UTF-8 bytes of a string (lone surrogates become U+FFFD, as the spec says). */
  utf8Encode(text: string): ArrayBuffer
  /** TextDecoder('utf-8'): a string from UTF-8 bytes; `fatal` throws on malformed input. */
  utf8Decode(bytes: ArrayBuffer, fatal: boolean): string | { error: string }
  /** btoa: base64 of a string whose code units are all ≤ 0xFF (checked by the caller). */
  base64Encode(latin1: string): string
  /** atob: the latin1 string of base64 text, or an error for text that is not base64. */
  base64Decode(text: string): string | { error: string }
  /** new URL(): Node's own WHATWG parser, so handlers see exactly what Node would give them. */
  parseUrl(href: string, base: string | null): UrlRecord | { error: string }
  /** URLSearchParams(string): name/value pairs of application/x-www-form-urlencoded text. */
  parseQuery(query: string): string[][]
  /** URLSearchParams#toString: the pairs serialized the way Node serializes them. */
  serializeQuery(pairs: string[][]): string
}

/** The parts of a parsed URL (the URL class in the sandbox keeps these and re-parses on set). */
export interface UrlRecord {
  href: string
  origin: string
  protocol: string
  username: string
  password: string
  host: string
  hostname: string
  port: string
  pathname: string
  search: string
  hash: string
}

/** The most bytes crypto.getRandomValues fills at once (the Web Crypto limit). */
export const MAX_RANDOM_BYTES = 65_536

/** The host side of the bridge, bound to one call's log sink and one package's files. */
export function hostBridge(
  files: ReadonlyMap<string, string>,
  log: (level: string, text: string) => void
): HostBridge {
  return {
    log,
    now: () => Date.now(),
    readFile: (path) => files.get(path),
    randomBytes(length) {
      const n = Math.max(0, Math.min(MAX_RANDOM_BYTES, Math.floor(length)))
      const bytes = randomBytes(n)
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + n) as ArrayBuffer
    },
    randomUUID: () => randomUUID(),
    utf8Encode(text) {
      const bytes = Buffer.from(String(text), 'utf8')
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer
    },
    utf8Decode(bytes, fatal) {
      try {
        return new TextDecoder('utf-8', { fatal }).decode(bytes)
      } catch (err) {
        return { error: (err as Error).message }
      }
    },
    base64Encode: (latin1) => Buffer.from(String(latin1), 'latin1').toString('base64'),
    base64Decode(text) {
      try {
        return atob(String(text))
      } catch (err) {
        return { error: (err as Error).message }
      }
    },
    parseUrl(href, base) {
      try {
        const url = base === null ? new URL(String(href)) : new URL(String(href), String(base))
        const { origin, protocol, username, password, host, hostname, port } = url
        const { pathname, search, hash } = url
        return {
          href: url.href,
          origin,
          protocol,
          username,
          password,
          host,
          hostname,
          port,
          pathname,
          search,
          hash
        }
      } catch (err) {
        return { error: (err as Error).message }
      }
    },
    parseQuery: (query) => [...new URLSearchParams(String(query))].map(([k, v]) => [k, v]),
    serializeQuery: (pairs) =>
      new URLSearchParams(
        pairs.map(([k, v]) => [String(k), String(v)] as [string, string])
      ).toString()
  }
}
