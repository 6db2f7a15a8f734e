import type { ConsoleState } from '../wire/console'

/** Where the console keeps the access key: this tab only, gone when it closes. */
const KEY_ITEM = 'swarm-lambda.key'

/** The signed-in access key (`id:secret`), or null. */
export function storedKey(): string | null {
  return sessionStorage.getItem(KEY_ITEM)
}

export function storeKey(key: string | null): void {
  if (key === null) sessionStorage.removeItem(KEY_ITEM)
  else sessionStorage.setItem(KEY_ITEM, key)
}

/** An answer of the edge's API, whatever its status. */
export interface Answer {
  status: number
  headers: Headers
  text: string
  /** The body as JSON (undefined when it is not JSON). */
  json: unknown
  ms: number
}

/** What the AWS error shape says, for a failed answer. */
export function errorOf(answer: Answer): string {
  const body = answer.json as { message?: string; Message?: string; errorMessage?: string } | null
  const message = body?.message ?? body?.Message ?? body?.errorMessage ?? answer.text
  const type = answer.headers.get('x-amzn-errortype') ?? ''
  return `${answer.status}${type === '' ? '' : ` ${type}`}: ${message}`.slice(0, 500)
}

/** Calls the serving edge, with the stored key as a Bearer token. */
export async function call(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {}
): Promise<Answer> {
  const key = storedKey()
  const init: RequestInit = {
    method,
    headers: {
      ...(key === null ? {} : { authorization: `Bearer ${key}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers
    }
  }
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body)
  const started = performance.now()
  const response = await fetch(path, init)
  const text = await response.text()
  const ms = performance.now() - started
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: response.status, headers: response.headers, text, json, ms }
}

/**
 * Follows `GET /events` (server-sent `state` events) with the key as a header — which
 * EventSource cannot send — and reconnects after a drop. Returns a function that stops it.
 */
export function follow(
  onState: (state: ConsoleState) => void,
  onLink: (up: boolean, why?: string) => void
): () => void {
  let stopped = false
  let controller = new AbortController()
  const run = async () => {
    while (!stopped) {
      controller = new AbortController()
      try {
        const key = storedKey()
        const response = await fetch('/events', {
          headers: key === null ? {} : { authorization: `Bearer ${key}` },
          signal: controller.signal
        })
        if (response.status === 403) {
          // A key this edge does not know: forget it, and show the console as anonymous.
          storeKey(null)
          onLink(false, 'the access key was refused')
          continue
        }
        if (!response.ok || response.body === null) throw new Error(`HTTP ${response.status}`)
        onLink(true)
        await read(response.body, onState)
      } catch (err) {
        if (stopped) return
        onLink(false, (err as Error).message)
      }
      if (!stopped) await new Promise((resolve) => setTimeout(resolve, 1_000))
    }
  }
  void run()
  return () => {
    stopped = true
    controller.abort()
  }
}

/** Reads an event stream to its end, handing each `state` event's data on. */
async function read(
  body: ReadableStream<Uint8Array>,
  onState: (state: ConsoleState) => void
): Promise<void> {
  const reader = body.getReader()
  const decoder = new TextDecoder()
  let buffer = ''
  for (;;) {
    const { value, done } = await reader.read()
    if (done) return
    buffer += decoder.decode(value, { stream: true })
    let end: number
    while ((end = buffer.indexOf('\n\n')) !== -1) {
      const event = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      const lines = event.split('\n')
      if (!lines.includes('event: state')) continue
      const data = lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6))
      onState(JSON.parse(data.join('\n')) as ConsoleState)
    }
  }
}
