import { performance } from 'node:perf_hooks'
import t from 'tap'
import { Pool } from 'undici'
import { startEdge } from '../support/processes.js'
import {
  AUTH,
  deepNesting,
  ECHO,
  hugeNumbers,
  jsonMutations,
  KEY,
  SUM,
  wrongTypes
} from './bodies.js'
import { badBase64, badModules, badZips, zipBombs } from './code.js'
import { badCredentials, badHeaders, prototypeHeaders } from './headers.js'
import { badAddresses, badEscapes, badQueries, badReferences, unknownRoutes } from './routes.js'
import { rawCases, runRaw } from './raw.js'
import { startDrips } from './sockets.js'
import { eachLimit, type Input, type Outcome, Rng, send, Tally } from './support.js'
import { assertLag, type Lag, lagOver, Watch, worse } from './watch.js'

/**
 * The hostile input suite against a real edge process: thousands of generated bad requests over
 * every HTTP route, raw-socket abuse of HTTP itself, and slow-drip clients, while /healthz is
 * probed every 25 ms and the edge's event-loop lag is scraped from /metrics. Every input must
 * get a typed answer; the process must survive and still deploy and invoke correctly.
 */

const SEED = 0x5eed_8002
/** The edge's loop may never be blocked longer than this (its own lag gauge, not wall time). */
const MAX_LAG_MS = 100

t.test('hostile HTTP input gets typed errors, and the edge stays up and responsive', async (t) => {
  const started = performance.now()
  const edge = await startEdge(t, t.testdir(), {
    SWARMLAMBDA_NODE_NAME: 'hostile',
    SWARMLAMBDA_ACCESS_KEYS: `${KEY.id}:${KEY.secret}`
  })
  let exited: string | null = null
  edge.child.once('exit', (code, signal) => (exited = `code ${code}, signal ${signal}`))
  const port = Number(new URL(edge.url).port)
  const pool = new Pool(edge.url, { connections: 6 })
  t.teardown(() => pool.close())

  const deploy = async (name: string, wasm: Uint8Array) => {
    const body = JSON.stringify({ name, wasm_base64: Buffer.from(wasm).toString('base64') })
    const res = await send(pool, {
      category: 'setup',
      method: 'POST',
      path: '/functions',
      headers: { ...AUTH, 'content-type': 'application/json' },
      body
    })
    t.equal('status' in res && res.status, 201, `deploy ${name}`)
  }
  await deploy('sum', SUM)
  await deploy('echo', ECHO)
  await deploy('target', SUM)
  const url = await send(pool, {
    category: 'setup',
    method: 'POST',
    path: '/2021-10-31/functions/echo/url',
    headers: { ...AUTH, 'content-type': 'application/json' },
    body: JSON.stringify({ AuthType: 'NONE', Cors: { AllowOrigins: ['*'] } })
  })
  t.equal('status' in url && url.status, 201, 'a function URL for echo')

  const rng = new Rng(SEED)
  const tally = new Tally()
  const watch = new Watch(edge.url)
  await watch.start()
  const drips = startDrips(port)

  // Phase 1: the bulk, 6 requests at a time, with raw-socket cases alongside.
  const inputs: Input[] = [
    ...jsonMutations(rng, 70),
    ...wrongTypes(),
    ...hugeNumbers(),
    ...badBase64(),
    ...badZips(rng, 80),
    ...badModules(rng, 120),
    ...badReferences(),
    ...badEscapes(),
    ...unknownRoutes(),
    ...badHeaders(),
    ...badCredentials(),
    ...badQueries(),
    ...badAddresses()
  ]
  const rawWrong: string[] = []
  const cases = rawCases(rng)
  const bulkStarted = performance.now()
  const raws = eachLimit(cases, 4, async (c) => {
    const why = await runRaw(port, c)
    if (why !== null) rawWrong.push(`${c.what}: ${why}`)
  })
  // In chunks, each with its own lag reading (a chunk that reached the limit is sent again).
  const CHUNK = 250
  let bulkLag: Lag = { ms: 0, remeasured: 0, starved: null }
  let remeasured = 0
  for (let at = 0; at < inputs.length; at += CHUNK) {
    const chunk = inputs.slice(at, at + CHUNK)
    const lag = await lagOver(
      watch,
      MAX_LAG_MS,
      () => eachLimit(chunk, 6, async (input) => void tally.record(input, await send(pool, input))),
      () => eachLimit(chunk, 6, async (input) => void (await send(pool, input)))
    )
    bulkLag = worse(bulkLag, lag)
    remeasured += lag.remeasured
  }
  await raws
  const bulkMs = performance.now() - bulkStarted

  // Phase 2: heavy inputs one at a time, each alone in the edge's loop, its lag read after it.
  const heavyLag = new Map<string, Lag>()
  const heavy: Input[] = [
    ...deepNesting(),
    ...zipBombs(),
    ...oversize(),
    ...maxSizeShapes(),
    ...maxSizeNumbers()
  ]
  for (const input of heavy) {
    let outcome: Outcome = { dropped: 'not sent' }
    const lag = await lagOver(
      watch,
      MAX_LAG_MS,
      async () => (outcome = await send(pool, input)),
      async () => send(pool, input)
    )
    const result = outcome as Outcome // assigned in the closure above
    tally.record(input, result)
    remeasured += lag.remeasured
    if (process.env.HOSTILE_DEBUG) {
      const text =
        'status' in result ? `${result.status} ${result.text.slice(0, 100)}` : result.dropped
      process.stderr.write(`heavy ${input.category}: ${text} lag ${lag.ms.toFixed(1)}\n`)
    }
    heavyLag.set(input.category, worse(heavyLag.get(input.category), lag))
  }

  // Signed header names that every plain object has (once a 500): tallied apart.
  const known = new Tally()
  for (const input of prototypeHeaders()) known.record(input, await send(pool, input))

  const dripBytes = Math.min(...drips.slice(0, -1).map((d) => d.bytes)) // the last drips slowly
  const dripped = drips.map(
    (d) =>
      `${d.what}: ${d.bytes} bytes, ${d.closed ? `closed (${d.status ?? 'no answer'})` : 'open'}`
  )
  for (const drip of drips) drip.stop()
  const report = await watch.stop()

  // What was tried, and how it went.
  const total = tally.tried + known.tried + cases.length
  t.comment(
    `inputs tried: ${total} (${tally.tried + known.tried} HTTP requests, ${cases.length} raw-socket cases, ${drips.length} slow drips)`
  )
  for (const line of [...tally.lines(), ...known.lines()]) t.comment(`  ${line}`)
  t.comment(`  raw HTTP abuse: ${cases.length} cases`)
  t.comment(`bulk phase: ${inputs.length + cases.length} inputs in ${Math.round(bulkMs)} ms`)
  t.comment(`lag readings at the limit, measured again: ${remeasured}`)
  t.comment(
    `/healthz: ${report.probes} probes, ${report.failures.length} failed, max latency ${report.maxProbeMs.toFixed(1)} ms`
  )
  t.comment(
    `event-loop lag max: ${report.maxLagMs.toFixed(1)} ms over ${report.scrapes} scrapes (bulk phase ${bulkLag.ms.toFixed(1)})`
  )
  for (const [category, lag] of heavyLag)
    t.comment(`  lag with ${category}: ${lag.ms.toFixed(1)} ms`)
  for (const line of dripped) t.comment(`drip: ${line}`)
  t.comment(`crashes: ${exited === null ? 0 : 1}`)

  t.ok(total >= 1_000, `at least 1,000 inputs (${total})`)
  t.same(tally.wrong, [], `every input got a typed answer (${tally.wrongCount} did not)`)
  t.same(known.wrong, [], 'SigV4 naming a header "constructor" is an InvalidSignature')
  t.same(rawWrong, [], 'raw HTTP abuse: answered 4xx or closed, never a 5xx or a hang')
  t.equal(exited, null, 'the edge process is alive')
  t.same(report.failures, [], 'every /healthz probe answered 200')
  t.ok(report.probes >= 100, `probes ran through the suite (${report.probes})`)
  t.ok(dripBytes >= 10, 'the drips were dripping while the suite was served')
  for (const drip of drips) {
    t.ok(drip.status === null || drip.status < 500, `${drip.what}: no 5xx`)
  }
  assertLag(t, 'in the bulk phase', bulkLag, MAX_LAG_MS)
  for (const [category, lag] of heavyLag) {
    assertLag(t, `with ${category}`, lag, MAX_LAG_MS)
  }

  // Still the same edge: a normal deploy and invoke give the right answer.
  await deploy('after', SUM)
  const after = await send(pool, {
    category: 'after',
    method: 'POST',
    path: '/2015-03-31/functions/after/invocations',
    body: JSON.stringify({ dataset: [10, 20, 30, 40] })
  })
  t.equal('status' in after && after.status, 200)
  t.equal('status' in after && JSON.parse(after.text).result, 100, 'the right sum after the suite')
  const errors = edge.logs().filter((line) => typeof line.level === 'number' && line.level >= 50)
  const why = (line: Record<string, unknown>) =>
    `${String(line.msg)}: ${String((line.err as { message?: unknown } | undefined)?.message)}`
  t.same(errors.map(why), [], 'the edge logged no error (a client gone mid-body is not one)')
  t.comment(`run time: ${Math.round(performance.now() - started)} ms`)
})

/** Bodies over 6 MB, really sent: 413 (or a close, which undici reports as a drop). */
function oversize(): Input[] {
  const body = Buffer.alloc(6 * 1024 * 1024 + 1, 0x31)
  return [
    '/functions',
    '/2015-03-31/functions',
    '/2015-03-31/functions/sum/invocations',
    '/api/v1/jobs'
  ].map((path) => ({
    category: 'oversize bodies (> 6 MB)',
    method: 'POST',
    path,
    headers: AUTH,
    body,
    expect: 'REQUEST_TOO_LARGE'
  }))
}

const LIMIT = 6 * 1024 * 1024 - 64

/** JSON at the size limit shaped to be costly to parse: containers, strings, keys, escapes. */
function maxSizeShapes(): Input[] {
  const n = (unit: number) => Math.floor(LIMIT / unit) - 2
  const shapes: [string, string][] = [
    ['3M nested arrays', '['.repeat(LIMIT / 2) + ']'.repeat(LIMIT / 2)],
    ['2M empty objects', '[' + '{},'.repeat(n(3)) + '{}]'],
    ['2M empty arrays', '[' + '[],'.repeat(n(3)) + '[]]'],
    ['2M empty strings', '[' + '"",'.repeat(n(3)) + '""]'],
    ['480k keys', '{' + Array.from({ length: n(13) }, (_, i) => `"k${i}":1`).join(',') + '}'],
    ['1M escapes', '{"a":"' + '\\u0041'.repeat(n(6)) + '"}']
  ]
  const inputs: Input[] = []
  for (const [what, body] of shapes) {
    for (const path of ['/2015-03-31/functions/sum/invocations', '/api/v1/jobs', '/functions']) {
      inputs.push({
        category: `max-size costly JSON (${what})`,
        method: 'POST',
        path,
        headers: AUTH,
        body
      })
    }
  }
  return inputs
}

/** Numbers at the size limit: 3M small integers (a valid dataset), 1M huge floats (not). */
const FLOATS = 'max-size JSON numbers (1M huge floats)'
const INTEGERS = 'max-size JSON datasets (3M integers)'
function maxSizeNumbers(): Input[] {
  const ints = '[' + '1,'.repeat(LIMIT / 2 - 40) + '1]'
  const floats = '[' + '1e300,'.repeat(Math.floor(LIMIT / 6) - 40) + '1]'
  const cases: [string, string, string, string | undefined][] = [
    [INTEGERS, ints, INVOKE, undefined],
    [INTEGERS, `{"dataset":${ints}}`, INVOKE, undefined],
    [INTEGERS, `{"function":"sum","dataset":${ints}}`, JOBS, undefined],
    [FLOATS, floats, INVOKE, 'INVALID_DATASET'],
    [FLOATS, `{"function":"sum","dataset":${floats}}`, JOBS, 'INVALID_DATASET']
  ]
  return cases.map(([category, body, path, expect]) => ({
    category,
    method: 'POST',
    path,
    headers: AUTH,
    body,
    expect
  }))
}
const INVOKE = '/2015-03-31/functions/sum/invocations'

/**
 * Heavy inputs whose cost is on the gateway thread by design of code this suite may not change
 * (the routes call these parsers synchronously): see the report for the proposed fix.
 */
const JOBS = '/api/v1/jobs'
