import { Pool } from 'undici'
import { isErrorCode, SwarmError } from '../../lib/errors.js'

/**
 * Shared pieces of the hostile suite: a seeded PRNG and byte mutations (so a failing input can
 * be found again from its seed and index), a judge that says whether an answer is a typed one,
 * and a watch that probes /healthz and reads the edge's event-loop lag while a suite runs.
 */

/** mulberry32: small, fast, and the same sequence for the same seed on every run. */
export class Rng {
  private state: number

  constructor(seed: number) {
    this.state = seed >>> 0
  }

  /** A float in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0)
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n)
  }

  pick<T>(values: readonly T[]): T {
    return values[this.int(values.length)] as T
  }

  bytes(n: number): Buffer {
    const out = Buffer.alloc(n)
    for (let i = 0; i < n; i++) out[i] = this.int(256)
    return out
  }
}

/** Fragments that break JSON in interesting ways when spliced into it. */
const JSON_SHARDS = [
  '{',
  '}',
  '[',
  ']',
  '"',
  '\\',
  ',',
  ':',
  'null',
  'true',
  '1e999',
  '-',
  '\u0000',
  '\uffff',
  '\ud800',
  '0x10',
  'NaN',
  '//',
  '/*',
  '\\u00',
  '9007199254740993',
  '-2147483649',
  '[[[[[[[[',
  '}}}}'
].map((s) => Buffer.from(s))

/**
 * One random mutation of `input`: flip a bit, overwrite, insert or delete bytes, truncate,
 * duplicate a run, or (with `json`) splice in a fragment that breaks JSON structure.
 */
export function mutate(rng: Rng, input: Uint8Array, json = false): Buffer {
  const bytes = Buffer.from(input)
  const at = rng.int(bytes.length + 1)
  switch (rng.int(json ? 8 : 7)) {
    case 0: {
      if (bytes.length === 0) return rng.bytes(1)
      const i = Math.min(at, bytes.length - 1)
      bytes[i] = (bytes[i] as number) ^ (1 << rng.int(8))
      return bytes
    }
    case 1: {
      for (let n = 1 + rng.int(4); n > 0 && bytes.length > 0; n--) {
        bytes[rng.int(bytes.length)] = rng.int(256)
      }
      return bytes
    }
    case 2:
      return Buffer.concat([bytes.subarray(0, at), rng.bytes(1 + rng.int(8)), bytes.subarray(at)])
    case 3:
      return Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1 + rng.int(16))])
    case 4:
      return bytes.subarray(0, rng.int(bytes.length))
    case 5: {
      const run = bytes.subarray(at, at + 1 + rng.int(32))
      return Buffer.concat([bytes.subarray(0, at), run, run, bytes.subarray(at)])
    }
    case 6: {
      // Several mutations at once: the edge must not rely on only one thing being wrong.
      let out: Buffer = bytes
      for (let n = 2 + rng.int(3); n > 0; n--) out = mutate(rng, out, json)
      return out
    }
    default:
      return Buffer.concat([bytes.subarray(0, at), rng.pick(JSON_SHARDS), bytes.subarray(at)])
  }
}

/** An HTTP answer, or how the connection failed. */
export type Outcome =
  | { status: number; headers: Record<string, string | string[] | undefined>; text: string }
  | { dropped: string }

/**
 * Whether an answer is a typed one; null when it is, else what is wrong with it. A 4xx must be
 * AWS-shaped (x-amzn-ErrorType, a JSON body whose errorCode is in lib/errors.ts with that status
 * and type); a 200 with X-Amz-Function-Error must name a function error; any 5xx, an untyped
 * error or a dropped connection is wrong. Another 2xx passes (a mutation can stay valid).
 */
export function judge(outcome: Outcome, method = 'GET'): string | null {
  if ('dropped' in outcome) return `dropped: ${outcome.dropped}`
  const { status, headers, text } = outcome
  if (headers['x-amzn-requestid'] === undefined) return `${status} without x-amzn-RequestId`
  if (status >= 500) return `${status}: ${text.slice(0, 300)}`
  const functionError = headers['x-amz-function-error']
  if (status < 400 && functionError === undefined) return null
  if (method === 'HEAD') {
    return status >= 400 && headers['x-amzn-errortype'] === undefined ? `${status} untyped` : null
  }
  let body: Record<string, unknown>
  try {
    body = JSON.parse(text) as Record<string, unknown>
  } catch {
    return `${status} with a body that is not JSON: ${text.slice(0, 200)}`
  }
  const code = body.errorCode
  if (typeof code !== 'string' || !isErrorCode(code)) {
    return `${status} without a catalogue errorCode: ${text.slice(0, 200)}`
  }
  const expected = new SwarmError(code, '')
  if (functionError !== undefined) {
    if (status !== 200 || expected.kind !== 'function') return `function error ${status} ${code}`
    if (body.errorType !== expected.awsType) return `function error ${code} typed ${body.errorType}`
    return null
  }
  if (expected.status !== status) return `${status} with errorCode ${code} (${expected.status})`
  if (headers['x-amzn-errortype'] !== expected.awsType) {
    return `${code} typed ${String(headers['x-amzn-errortype'])}`
  }
  if (body.Type !== 'User' || body.message !== body.Message || typeof body.message !== 'string') {
    return `${code}: not an AWS-shaped body: ${text.slice(0, 200)}`
  }
  return null
}

/** One HTTP input of the suite. */
export interface Input {
  category: string
  method: string
  path: string
  headers?: Record<string, string | string[]>
  body?: Buffer | string
  /** The error this input must get: a code, or a predicate (none: any typed answer, 2xx included). */
  expect?: string | ((outcome: Outcome) => string | null)
}

/** Sends one input over a pool; never throws (a failed connection is an outcome). */
export async function send(pool: Pool, input: Input): Promise<Outcome> {
  try {
    const res = await pool.request({
      method: input.method as 'GET',
      path: input.path,
      headers: input.headers ?? {},
      body: input.body ?? null,
      headersTimeout: 30_000,
      bodyTimeout: 30_000
    })
    const text = await res.body.text()
    return { status: res.statusCode, headers: res.headers, text }
  } catch (err) {
    const e = err as Error & { code?: string }
    return { dropped: `${e.code ?? e.name}: ${e.message}` }
  }
}

/** The errorCode of an answer (undefined when it has none). */
export function errorCodeOf(outcome: Outcome): string | undefined {
  if ('dropped' in outcome) return undefined
  try {
    const code = (JSON.parse(outcome.text) as { errorCode?: unknown }).errorCode
    return typeof code === 'string' ? code : undefined
  } catch {
    return undefined
  }
}

/** Per-category counts of what the inputs got, and the first few wrong answers. */
export class Tally {
  readonly categories = new Map<string, { tried: number; ok: number; errors: number }>()
  /** The first wrong answers (all are counted in `wrongCount`). */
  readonly wrong: string[] = []
  wrongCount = 0
  tried = 0

  /** Records an outcome; returns why it is wrong (null when it is fine). */
  record(input: Input, outcome: Outcome): string | null {
    this.tried++
    const entry = this.categories.get(input.category) ?? { tried: 0, ok: 0, errors: 0 }
    this.categories.set(input.category, entry)
    entry.tried++
    let why = judge(outcome, input.method)
    if (why === null && input.expect !== undefined) {
      why =
        typeof input.expect === 'function'
          ? input.expect(outcome)
          : errorCodeOf(outcome) === input.expect
            ? null
            : `expected ${input.expect}, got ${'dropped' in outcome ? 'a drop' : outcome.status} ${'dropped' in outcome ? '' : outcome.text.slice(0, 200)}`
    }
    if (why === null) {
      if ('status' in outcome && outcome.status < 400 && !outcome.headers['x-amz-function-error']) {
        entry.ok++
      } else entry.errors++
    } else {
      this.wrongCount++
      if (this.wrong.length < 30) {
        this.wrong.push(`${input.category}: ${input.method} ${input.path.slice(0, 120)} -> ${why}`)
      }
    }
    return why
  }

  /** One line per category, for t.comment. */
  lines(): string[] {
    return [...this.categories].map(
      ([name, c]) => `${name}: ${c.tried} inputs (${c.errors} typed errors, ${c.ok} accepted)`
    )
  }
}

/** Runs `work` over `items` with at most `concurrency` at once. */
export async function eachLimit<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<void>
): Promise<void> {
  let next = 0
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const index = next++
      await work(items[index] as T, index)
    }
  })
  await Promise.all(lanes)
}
