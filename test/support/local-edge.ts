import type tap from 'tap'
import { request } from 'undici'
import { loadConfig } from '../../lib/config.js'
import { Edge, type EdgeOptions } from '../../lib/edge.js'

/** An answer, read once: its bytes, as text, and parsed on demand. */
export interface LocalAnswer {
  status: number
  headers: Record<string, string | string[] | undefined>
  bytes: Buffer
  text: string
  json: () => Record<string, unknown>
}

/** An in-process edge and a way to talk to it. */
export interface LocalEdge {
  edge: Edge
  /** One request to the edge (a body given as an object is sent as its JSON). */
  http(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    body?: string | Buffer | object,
    headers?: Record<string, string>
  ): Promise<LocalAnswer>
}

/**
 * A lone edge in this process on a port of its own, its state in the test's directory, closed
 * at the test's end.
 */
export async function localEdge(
  t: Pick<typeof tap, 'teardown' | 'testdir'>,
  options: EdgeOptions = {},
  flags: Record<string, string> = {}
): Promise<LocalEdge> {
  const config = loadConfig(
    { port: '0', 'state-dir': t.testdir(), 'log-level': 'silent', ...flags },
    {}
  )
  const edge = new Edge(config, options)
  await edge.ready()
  t.teardown(() => edge.close())
  return {
    edge,
    async http(method, path, body, headers = {}) {
      const payload =
        body === undefined || typeof body === 'string' || Buffer.isBuffer(body)
          ? (body ?? null)
          : JSON.stringify(body)
      const res = await request(edge.url + path, { method, body: payload, headers })
      const bytes = Buffer.from(await res.body.arrayBuffer())
      const text = bytes.toString('utf8')
      return {
        status: res.statusCode,
        headers: res.headers,
        bytes,
        text,
        json: () => JSON.parse(text) as Record<string, unknown>
      }
    }
  }
}
