/**
 * Function URL benchmark: a JS hello served as an AWS Lambda function URL by a lone edge against
 * the same handler served by workerd, in one run on this machine.
 *
 *   npm run bench -- --only url [--quick] [--json FILE]
 *
 * The handler answers `{ statusCode: 200, headers: text/plain, body: 'hello ' + rawPath }`.
 * - edge: deployed on a lone edge with a URL config (AuthType NONE), each request a GET of
 *   `/bench` to the edge with the `Host` its FunctionUrl names (`hello.lambda.mesh:8790`): the
 *   payload-2.0 event in, the response object out.
 * - workerd: a module worker wrapping the same source that builds a minimal payload-2.0-like
 *   event from the request and turns `{ statusCode, headers, body }` into a Response.
 * Requests/s at 10 connections and p50/p99 at one, with invoke.ts's load generator (wrk when
 * installed, else undici) and connection counts. Both answers are checked to be exactly
 * `hello /bench` before anything is measured. Targets: edge/workerd rps ≥ 1, p50 ≤ 1.25 (as js.ts).
 *
 */
import { Cleanups, round, type Bench, type Target as Goal } from './bench.js'
import {
  CONNECTIONS,
  created,
  figuresLine,
  measure,
  startEdge,
  workerd,
  WRK,
  type Context,
  type Figures
} from './invoke.js'

const HANDLER = `exports.handler = async (event) => ({
  statusCode: 200,
  headers: { 'content-type': 'text/plain' },
  body: \`hello \${event.rawPath}\`
})`
const PATH = '/bench'
const ANSWER = `hello ${PATH}`

/** Calls timed one at a time when wrk is not installed (a quarter with --quick). */
const LATENCY_CALLS = 2_000
const TARGET_RPS_RATIO = 1
const TARGET_P50_RATIO = 1.25

/**
 * The same CommonJS source as a workerd module worker: the request as a minimal payload-2.0
 * event, the handler's `{ statusCode, headers, body }` as the response (anything else as JSON,
 * AWS's rule for an answer without a statusCode).
 */
const WORKER = `const module = { exports: {} }
;((exports, module) => {
${HANDLER}
})(module.exports, module)
const { handler } = module.exports
export default {
  async fetch(request) {
    const url = new URL(request.url)
    const body = await request.text()
    const event = {
      version: '2.0',
      rawPath: url.pathname,
      rawQueryString: url.search.slice(1),
      headers: Object.fromEntries(request.headers),
      requestContext: { http: { method: request.method, path: url.pathname } },
      body: body === '' ? undefined : body,
      isBase64Encoded: false
    }
    const result = await handler(event)
    if (result !== null && typeof result === 'object' && 'statusCode' in result) {
      return new Response(result.body ?? '', { status: result.statusCode, headers: result.headers })
    }
    return new Response(JSON.stringify(result), { headers: { 'content-type': 'application/json' } })
  }
}
`

/** Deploys the hello function on `edge` with a URL config; resolves with the URL's Host. */
async function deploy(edge: string): Promise<string> {
  await created(`${edge}/functions`, { name: 'hello', files: { 'index.js': HANDLER } })
  const url = await created(`${edge}/2021-10-31/functions/hello/url`, { AuthType: 'NONE' })
  const { FunctionUrl } = JSON.parse(url) as { FunctionUrl?: unknown }
  if (typeof FunctionUrl !== 'string') throw new Error(`function URL: no FunctionUrl in ${url}`)
  return new URL(FunctionUrl).host
}

export const run: Bench = async (options) => {
  const { quick } = options
  const seconds = quick ? 2 : 5
  const cleanups = new Cleanups()
  const context: Context = { dir: await cleanups.dir('url'), cleanups }
  const figures = {} as Record<'edge' | 'workerd', Figures>
  let host: string
  try {
    const edge = await startEdge(context)
    host = await deploy(edge)
    const worker = await workerd(context, { worker: WORKER, probe: '' })
    const common = { path: PATH, body: '', answer: ANSWER, method: 'GET' as const }
    const servers = [
      // `Host`, capitalized: wrk adds its own unless its script sets exactly that key.
      { ...common, name: 'edge' as const, origin: edge, headers: { Host: host } },
      { ...common, name: 'workerd' as const, origin: worker }
    ]
    // measure() checks every warm-up answer: a wrong Host (a 404) fails the bench.
    for (const server of servers) {
      // A first, discarded measurement warms the server up (as js.ts: QuickJS's Wasm tiers up).
      if (!quick) await measure(context, server, LATENCY_CALLS, 2)
      figures[server.name] = await measure(
        context,
        server,
        quick ? LATENCY_CALLS / 4 : LATENCY_CALLS,
        seconds
      )
    }
  } finally {
    await cleanups.run()
  }

  const { edge: e, workerd: w } = figures
  const rpsRatio = round(e.rps / w.rps)
  const p50Ratio = round(e.p50_us / w.p50_us)
  console.log(
    `url benchmark (${quick ? '--quick, ' : ''}function URL hello, GET ${PATH} with Host ${host}, ${seconds} s per load run, load from ${WRK ? 'wrk' : 'undici (install wrk for a lighter client)'})`
  )
  console.log(figuresLine('edge', e))
  console.log(figuresLine('workerd', w))
  console.log(
    `  ratios: edge/workerd rps ${rpsRatio.toFixed(2)}x (target ≥ ${TARGET_RPS_RATIO}x), p50 edge/workerd ${p50Ratio.toFixed(2)}x (target ≤ ${TARGET_P50_RATIO}x)`
  )

  const targets: Goal[] = [
    {
      name: 'function URL hello edge rps / workerd rps',
      value: rpsRatio,
      limit: TARGET_RPS_RATIO,
      better: 'higher',
      unit: 'x'
    },
    {
      name: 'function URL hello edge p50 / workerd p50',
      value: p50Ratio,
      limit: TARGET_P50_RATIO,
      better: 'lower',
      unit: 'x'
    }
  ]
  return {
    figures: {
      url: {
        edge: { ...e },
        workerd: { ...w },
        rps_ratio: rpsRatio,
        p50_ratio: p50Ratio,
        host,
        path: PATH,
        client: WRK ? 'wrk' : 'undici',
        connections: CONNECTIONS,
        seconds
      }
    },
    targets
  }
}
