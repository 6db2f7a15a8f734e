import { HOST, raw, type RawAnswer } from './sockets.js'
import type { Rng } from './support.js'

/**
 * Inputs below HTTP's own grammar, written to raw sockets: what undici refuses to send (lying
 * lengths, bad chunking, unknown methods, oversize heads) and slow-drip clients. Node's parser
 * answers most of these itself (a bare 400, 413 or 431, then it closes): closing is the right
 * answer there. What reaches the gateway must be a typed error.
 */

/** One raw case: its bytes, and what is wrong with the answer (null: fine). */
export interface RawCase {
  what: string
  chunks: (Buffer | string)[]
  end?: boolean
  /** Staying open is fine (the edge is waiting for the rest of a request). */
  open?: boolean
  check?: (answer: RawAnswer) => string | null
}

/** No 5xx and no hang: an answer (any 4xx, or a 2xx for a request that was fine) or a close. */
export function rawVerdict(answer: RawAnswer): string | null {
  if (answer.status !== null && answer.status >= 500) return `answered ${answer.status}`
  if (answer.status === null && !answer.closed) return 'neither answered nor closed'
  return null
}

/** The gateway's own answer: a typed AWS error with this status. */
function typed(status: number) {
  return (answer: RawAnswer): string | null => {
    const text = answer.data.toString('latin1')
    if (answer.status !== status) return `expected ${status}, got ${answer.status ?? 'nothing'}`
    if (!/\r\nx-amzn-errortype: /i.test(text)) return `${status} without x-amzn-ErrorType`
    return null
  }
}

/** A count of complete responses in what came back. */
function responses(answer: RawAnswer): number {
  return (answer.data.toString('latin1').match(/HTTP\/1\.1 \d{3} /g) ?? []).length
}

export function rawCases(rng: Rng): RawCase[] {
  const big = 7_000_000
  const cases: RawCase[] = [
    { what: 'unknown method', chunks: [`FOO /healthz HTTP/1.1\r\n${HOST}\r\n`] },
    { what: 'HTTP/2.0 request line', chunks: [`GET /healthz HTTP/2.0\r\n${HOST}\r\n`] },
    { what: 'HTTP/0.9 request', chunks: ['GET /healthz\r\n\r\n'] },
    { what: 'no Host header', chunks: ['GET /healthz HTTP/1.1\r\n\r\n'] },
    { what: 'a header without a colon', chunks: [`GET /healthz HTTP/1.1\r\n${HOST}Nope\r\n\r\n`] },
    { what: 'a NUL in a header', chunks: [`GET /healthz HTTP/1.1\r\n${HOST}X-A: a\0b\r\n\r\n`] },
    { what: 'line folding', chunks: [`GET /healthz HTTP/1.1\r\n${HOST}X-A: a\r\n b\r\n\r\n`] },
    { what: 'a space in the path', chunks: [`GET /a b HTTP/1.1\r\n${HOST}\r\n`] },
    {
      what: '20 KiB of headers',
      chunks: [`GET /healthz HTTP/1.1\r\n${HOST}X-Big: ${'x'.repeat(20_000)}\r\n\r\n`]
    },
    {
      what: 'a 20 KiB path',
      chunks: [`GET /functions/${'a'.repeat(20_000)} HTTP/1.1\r\n${HOST}\r\n`]
    },
    {
      what: '2,000 headers',
      chunks: [`GET /healthz HTTP/1.1\r\n${HOST}${'X-H: 1\r\n'.repeat(2_000)}\r\n`]
    },
    {
      what: 'Content-Length: abc',
      chunks: [`POST /functions HTTP/1.1\r\n${HOST}Content-Length: abc\r\n\r\n`]
    },
    {
      what: 'Content-Length: -5',
      chunks: [`POST /functions HTTP/1.1\r\n${HOST}Content-Length: -5\r\n\r\n`]
    },
    {
      what: 'two different Content-Lengths',
      chunks: [
        `POST /functions HTTP/1.1\r\n${HOST}Content-Length: 1\r\nContent-Length: 2\r\n\r\nab`
      ]
    },
    {
      what: 'Content-Length and chunked',
      chunks: [
        `POST /functions HTTP/1.1\r\n${HOST}Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n`
      ]
    },
    {
      what: 'a Content-Length of 20 digits',
      chunks: [`POST /functions HTTP/1.1\r\n${HOST}Content-Length: 99999999999999999999\r\n\r\n`]
    },
    {
      what: 'a lying Content-Length over the limit (7 MB declared, 10 bytes sent)',
      chunks: [`POST /api/v1/jobs HTTP/1.1\r\n${HOST}Content-Length: ${big}\r\n\r\n0123456789`],
      check: typed(413)
    },
    {
      what: 'a lying Content-Length over the limit, on Invoke',
      chunks: [
        `POST /2015-03-31/functions/sum/invocations HTTP/1.1\r\n${HOST}Content-Length: ${big}\r\n\r\n[1,`
      ],
      check: typed(413)
    },
    {
      what: 'Expect: 100-continue with 7 MB declared',
      chunks: [
        `POST /functions HTTP/1.1\r\n${HOST}Expect: 100-continue\r\nContent-Length: ${big}\r\n\r\n`
      ],
      check: (answer) => {
        const text = answer.data.toString('latin1')
        if (/HTTP\/1\.1 5\d\d/.test(text)) return 'a 5xx'
        return /HTTP\/1\.1 413 /.test(text) || answer.closed ? null : 'no 413 and not closed'
      }
    },
    {
      what: 'a Content-Length shorter than the body (the rest is a second, bad request)',
      chunks: [
        `POST /2015-03-31/functions/sum/invocations HTTP/1.1\r\n${HOST}Content-Length: 3\r\n\r\n[1]${'x'.repeat(100)}`
      ],
      check: (answer) =>
        answer.status === 200 || answer.status === 400
          ? null
          : `expected the first request answered, got ${answer.status}`
    },
    {
      what: 'a Content-Length longer than the body, then FIN',
      chunks: [`POST /functions HTTP/1.1\r\n${HOST}Content-Length: 100\r\n\r\n{"name"`],
      end: true,
      check: (answer) => (answer.status !== null && answer.status >= 500 ? '5xx' : null)
    },
    {
      what: 'bad chunk size',
      chunks: [
        `POST /functions HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n`
      ]
    },
    {
      what: 'a chunk size of 2^64',
      chunks: [
        `POST /functions HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n10000000000000000\r\nab\r\n`
      ]
    },
    {
      what: 'a chunk extension 10 KiB long',
      chunks: [
        `POST /functions HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n1;${'x'.repeat(10_240)}\r\na\r\n0\r\n\r\n`
      ]
    },
    {
      what: 'Transfer-Encoding: gzip',
      chunks: [`POST /functions HTTP/1.1\r\n${HOST}Transfer-Encoding: gzip\r\n\r\nabc`]
    },
    {
      what: 'chunked over 6 MB',
      chunks: [
        `POST /functions HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n`,
        ...Array.from({ length: 7 }, () => `100000\r\n${'a'.repeat(0x100000)}\r\n`),
        '0\r\n\r\n'
      ],
      check: typed(413)
    },
    {
      what: '50 pipelined requests in one write',
      chunks: [`GET /healthz HTTP/1.1\r\n${HOST}\r\n`.repeat(50)],
      check: (answer) => (responses(answer) === 50 ? null : `${responses(answer)} of 50 answered`)
    },
    {
      what: 'pipelined requests, a bad one in the middle',
      chunks: [
        `GET /healthz HTTP/1.1\r\n${HOST}\r\nGET /nope%zz HTTP/1.1\r\n${HOST}\r\nBAD\r\n\r\nGET /healthz HTTP/1.1\r\n${HOST}\r\n`
      ]
    },
    {
      what: 'absolute-form request line',
      chunks: [`GET http://evil.example/healthz HTTP/1.1\r\n${HOST}\r\n`]
    },
    { what: 'asterisk-form request line', chunks: [`GET * HTTP/1.1\r\n${HOST}\r\n`] },
    { what: 'a latin-1 byte in the path', chunks: [`GET /functions/\xff HTTP/1.1\r\n${HOST}\r\n`] },
    {
      what: 'an Upgrade request',
      chunks: [`GET /healthz HTTP/1.1\r\n${HOST}Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n`]
    },
    {
      what: 'a TLS ClientHello',
      chunks: [Buffer.from('16030100a5010000a10303' + '00'.repeat(160), 'hex')]
    },
    // Empty lines before a request line are skipped (RFC 9112 §2.2): an idle connection, which
    // the headers timeout closes.
    {
      what: 'CRLF only',
      chunks: ['\r\n'.repeat(1_000)],
      check: (answer) => (answer.status !== null && answer.status >= 500 ? '5xx' : null),
      open: true
    }
  ]
  for (let i = 0; i < 12; i++) {
    cases.push({ what: `random bytes #${i}`, chunks: [rng.bytes(1 + rng.int(2_000))] })
  }
  return cases
}

/** Runs one raw case against a port; returns what is wrong (null: fine). */
export async function runRaw(port: number, c: RawCase): Promise<string | null> {
  const answer = await raw(port, c.chunks, { end: c.end ?? false, waitMs: 3_000 })
  const verdict = rawVerdict(answer)
  if (verdict !== null && !((c.end === true || c.open === true) && answer.status === null)) {
    return verdict
  }
  return c.check?.(answer) ?? null
}
