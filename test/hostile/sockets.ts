import { connect, type Socket } from 'node:net'
import { performance } from 'node:perf_hooks'

/**
 * Raw connections to an edge: one-shot writes of bytes undici would refuse to send, and slow-drip
 * clients that send a byte every 100 ms.
 */

/** The Host header of every raw request. */
export const HOST = 'Host: 127.0.0.1\r\n'

/** What came back on a raw connection: the bytes, and whether the edge closed it. */
export interface RawAnswer {
  data: Buffer
  closed: boolean
  /** The status of the first response, if one came. */
  status: number | null
}

/**
 * Writes raw bytes to a fresh connection (each chunk after `gapMs`), then waits up to `waitMs`
 * for the edge to answer and close; for requests undici would refuse to send.
 */
export async function raw(
  port: number,
  chunks: (Buffer | string)[],
  options: { waitMs?: number; gapMs?: number; end?: boolean } = {}
): Promise<RawAnswer> {
  const { waitMs = 2_000, gapMs = 0, end = false } = options
  const socket = connect(port, '127.0.0.1')
  const received: Buffer[] = []
  let closed = false
  socket.on('data', (chunk: Buffer) => received.push(chunk))
  socket.on('error', () => {
    // A reset is one way the edge may close a connection; 'close' follows.
  })
  const done = new Promise<void>((resolve) =>
    socket.once('close', () => {
      closed = true
      resolve()
    })
  )
  await new Promise<void>((resolve) => socket.once('connect', resolve))
  for (const chunk of chunks) {
    if (closed) break
    socket.write(chunk)
    if (gapMs > 0) await new Promise((resolve) => setTimeout(resolve, gapMs))
  }
  if (end && !closed) socket.end()
  const answered = () =>
    /^HTTP\/1\.1 \d{3}[\s\S]*?\r\n\r\n/.test(Buffer.concat(received).toString())
  const deadline = performance.now() + waitMs
  while (!closed && performance.now() < deadline) {
    if (answered() && !end) {
      // A full response head arrived; give its body a moment, then stop waiting.
      await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 50))])
      break
    }
    await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 20))])
  }
  socket.destroy()
  const data = Buffer.concat(received)
  const status = /^HTTP\/1\.1 (\d{3})/.exec(data.toString('latin1'))
  return { data, closed, status: status === null ? null : Number(status[1]) }
}

/**
 * A slow-drip client: sends `head`, then one byte of `drip` every `gapMs` until stopped, and
 * records whether the edge answered or closed on it meanwhile.
 */
export class Drip {
  readonly what: string
  bytes = 0
  closed = false
  answer = ''
  private readonly socket: Socket
  private timer: NodeJS.Timeout | null = null

  constructor(port: number, what: string, head: string, drip: string, gapMs = 100) {
    this.what = what
    this.socket = connect(port, '127.0.0.1')
    this.socket.on('error', () => {
      // A reset is one way the edge may close on a drip; 'close' follows.
    })
    this.socket.on('data', (chunk: Buffer) => (this.answer += chunk.toString('latin1')))
    this.socket.once('close', () => {
      this.closed = true
      if (this.timer !== null) clearInterval(this.timer)
    })
    this.socket.once('connect', () => {
      this.socket.write(head)
      this.timer = setInterval(() => {
        if (this.closed) return
        this.socket.write(drip[this.bytes % drip.length] as string)
        this.bytes++
      }, gapMs)
    })
  }

  /** The status the edge answered with, if it did. */
  get status(): number | null {
    const match = /^HTTP\/1\.1 (\d{3})/.exec(this.answer)
    return match === null ? null : Number(match[1])
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer)
    this.socket.destroy()
  }
}

/** The drips: a body, a header, a chunked body and a body that stopped short, byte by byte. */
export function startDrips(port: number): Drip[] {
  return [
    new Drip(
      port,
      'body drip on Invoke',
      `POST /2015-03-31/functions/sum/invocations HTTP/1.1\r\n${HOST}Content-Length: 100000\r\n\r\n[`,
      '1,'
    ),
    new Drip(
      port,
      'body drip on deploy',
      `POST /functions HTTP/1.1\r\n${HOST}Content-Length: 100000\r\n\r\n{"name":"`,
      'a'
    ),
    new Drip(port, 'header drip', `GET /healthz HTTP/1.1\r\n${HOST}X-Drip: `, 'x'),
    new Drip(
      port,
      'chunked drip',
      `POST /api/v1/jobs HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n`,
      '1\r\n[\r\n'
    ),
    // Declares 100 bytes, sends 10, then only a byte every 10 s: a body that never arrives.
    new Drip(
      port,
      'stalled body (lying Content-Length)',
      `POST /functions HTTP/1.1\r\n${HOST}Content-Length: 100\r\n\r\n{"name":"x`,
      ' ',
      10_000
    )
  ]
}
