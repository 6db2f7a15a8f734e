import { unzipSync, zipSync, strToU8 } from 'fflate'
import t from 'tap'
import { request } from 'undici'
import { localEdge } from '../support/local-edge.js'
import { assertLag, lagOver, Watch } from '../hostile/watch.js'

/** The event-loop lag hostile JS may cause at most (the hostile suite's own bound). */
const MAX_LAG_MS = 100

// JavaScript functions through one edge's HTTP API: the seed's deploy, AWS's, invoke semantics,
// the Tail log, updates, the code download, and a loop that stays responsive under hostile JS.

const { edge, http } = await localEdge(t, { poolSize: 2 })
const deploy = (body: Record<string, unknown>) => http('POST', '/functions', JSON.stringify(body))
const invoke = (name: string, body: string, headers: Record<string, string> = {}) =>
  http('POST', `/2015-03-31/functions/${name}/invocations`, body, headers)
const zip = (files: Record<string, string>) =>
  Buffer.from(zipSync(Object.fromEntries(Object.entries(files).map(([k, v]) => [k, strToU8(v)]))))

t.test("the seed's request, verbatim", async (t) => {
  const deployed = await deploy({
    name: 'hello',
    handler: 'index.handler',
    files: { 'index.js': 'exports.handler=async(e)=>({ok:true,e});' }
  })
  t.equal(deployed.status, 201)
  t.equal(deployed.json().Runtime, 'nodejs20.x')
  t.equal(deployed.json().Handler, 'index.handler')
  const answer = await invoke('hello', '{"name":"world"}', { 'content-type': 'application/json' })
  t.equal(answer.status, 200)
  t.equal(answer.text, '{"ok":true,"e":{"name":"world"}}')
  t.equal(answer.headers['content-type'], 'application/json')
  t.equal(answer.headers['x-amz-executed-version'], '$LATEST')
  const listed = await http('GET', '/functions')
  const hello = (listed.json().functions as Record<string, unknown>[]).find(
    (f) => f.FunctionName === 'hello'
  )
  t.match(hello, {
    Runtime: 'nodejs20.x',
    Handler: 'index.handler',
    SwarmLambda: { runtime: 'nodejs' }
  })
})

t.test('invoke: not JSON is a 400, a throw is Unhandled in AWS Node shape', async (t) => {
  await deploy({
    name: 'thrower',
    handler: 'index.handler',
    files: {
      'index.js': 'exports.handler = async (e) => {\n  throw new TypeError(`bad ${e.x}`)\n}'
    }
  })
  const notJson = await invoke('thrower', '{x:')
  t.equal(notJson.status, 400)
  t.equal(notJson.headers['x-amzn-errortype'], 'InvalidRequestContentException')
  t.match(notJson.json().message, /^Could not parse request body into json: /)

  const failed = await invoke('thrower', '{"x":1}')
  t.equal(failed.status, 200)
  t.equal(failed.headers['x-amz-function-error'], 'Unhandled')
  const body = failed.json()
  t.equal(body.errorType, 'TypeError')
  t.equal(body.errorMessage, 'bad 1')
  t.equal((body.trace as string[])[0], 'TypeError: bad 1')
  t.match((body.trace as string[])[1], /\(\/var\/task\/index\.js:2:\d+\)/)
})

t.test('deploy refuses code that does not load, naming the file and line', async (t) => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [
      {
        handler: 'index.handler',
        files: { 'index.js': 'const a = 1\nexports.handler = () => {(' }
      },
      /index\.js:2(:\d+)?: (\(where the file ends\) )?Runtime\.UserCodeSyntaxError: SyntaxError: /
    ],
    [
      { handler: 'main.handler', files: { 'index.js': 'exports.handler = () => 1' } },
      /Runtime\.ImportModuleError: Error: Cannot find module 'main'/
    ],
    [
      { handler: 'index.nope', files: { 'index.js': 'exports.handler = () => 1' } },
      /Runtime\.HandlerNotFound: index\.nope is undefined or not exported/
    ],
    [
      { handler: 'index.handler', files: { 'index.js': 'require("./lib/missing")' } },
      /index\.js:1(:\d+)?: Runtime\.ImportModuleError: .*Cannot find module '\.\/lib\/missing'/
    ],
    [
      { handler: 'index.handler', files: { 'index.js': 'exports.handler = 1', 'x.txt': 'hi' } },
      /x\.txt/
    ],
    [{ handler: 'no-dot', files: { 'index.js': 'exports.handler = () => 1' } }, /Handler/],
    [
      { handler: 'index.handler', runtime: 'python3.12', files: { 'index.js': '' } },
      /names the file "index\.js", which is not one of \.py, /
    ],
    [
      { handler: 'index.handler', memoryMb: 8, files: { 'index.js': 'exports.handler=()=>1' } },
      /memory: must be an integer from 16/
    ],
    [
      {
        handler: 'index.handler',
        environment: { AWS_REGION: 'x' },
        files: { 'index.js': 'exports.handler=()=>1' }
      },
      /Environment\.Variables: "AWS_REGION"/
    ],
    [
      {
        handler: 'index.handler',
        environment: { BIG: 'x'.repeat(5000) },
        files: { 'index.js': 'exports.handler=()=>1' }
      },
      /over the 4096-byte limit/
    ]
  ]
  for (const [body, message] of cases) {
    const answer = await deploy({ name: 'broken', ...body })
    t.equal(answer.status, 400, String(message))
    t.equal(answer.headers['x-amzn-errortype'], 'InvalidParameterValueException')
    t.match(answer.json().message, message)
  }
  t.equal((await http('GET', '/functions/broken')).status, 404, 'nothing was stored')
})

t.test('AWS CreateFunction from a zip, Tail log, updates, code download', async (t) => {
  const v1 = zip({
    'package.json': '{"type":"module"}',
    'index.js':
      'import { greet } from "./lib/greet.js"\nexport const handler = async (e) => { console.log("greeting", e.who); return greet(e.who) }',
    'lib/greet.js': 'export const greet = (who) => `${process.env.GREETING ?? "hello"}, ${who}`'
  })
  const created = await http(
    'POST',
    '/2015-03-31/functions',
    JSON.stringify({
      FunctionName: 'greeter',
      Runtime: 'nodejs22.x',
      Handler: 'index.handler',
      Role: 'arn:aws:iam::000000000000:role/x',
      Environment: { Variables: { GREETING: 'hi' } },
      Code: { ZipFile: v1.toString('base64') }
    })
  )
  t.equal(created.status, 201)
  t.match(created.json(), {
    Runtime: 'nodejs22.x',
    Handler: 'index.handler',
    Environment: { Variables: { GREETING: 'hi' } }
  })

  const tail = await invoke('greeter', '{"who":"ada"}', { 'x-amz-log-type': 'Tail' })
  t.equal(tail.text, '"hi, ada"')
  const log = Buffer.from(tail.headers['x-amz-log-result'] as string, 'base64').toString()
  const lines = log.trimEnd().split('\n')
  t.match(lines[0], /^START RequestId: [0-9a-f-]{36} Version: \$LATEST$/)
  t.match(lines[1], /^\S+Z\t[0-9a-f-]{36}\tINFO\tgreeting ada$/)
  t.match(lines[2], /^END RequestId: /)
  t.match(
    lines[3],
    /^REPORT RequestId: .*\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB$/
  )

  const config = await http(
    'PUT',
    '/2015-03-31/functions/greeter/configuration',
    JSON.stringify({ Environment: { Variables: { GREETING: 'ahoy' } }, Timeout: 5 })
  )
  t.equal(config.status, 200)
  t.match(config.json(), { Timeout: 5, Environment: { Variables: { GREETING: 'ahoy' } } })
  t.equal((await invoke('greeter', '{"who":"ada"}')).text, '"ahoy, ada"')

  const v2 = zip({ 'index.js': 'exports.handler = async (e) => `v2 ${e.who}`' })
  const code = await http(
    'PUT',
    '/2015-03-31/functions/greeter/code',
    JSON.stringify({ ZipFile: v2.toString('base64') })
  )
  t.equal(code.status, 200)
  t.equal((await invoke('greeter', '{"who":"ada"}')).text, '"v2 ada"', 'the new code runs at once')

  const got = await http('GET', '/2015-03-31/functions/greeter')
  const location = (got.json().Code as { Location: string }).Location
  t.match(location, /\/functions\/greeter\/code$/)
  const download = await request(location)
  t.equal(download.headers['content-type'], 'application/zip')
  const files = unzipSync(new Uint8Array(await download.body.arrayBuffer()))
  t.strictSame(Object.keys(files), ['index.js'])
  t.equal(
    Buffer.from(files['index.js'] as Uint8Array).toString(),
    'exports.handler = async (e) => `v2 ${e.who}`'
  )

  const wrongKind = await http(
    'PUT',
    '/2015-03-31/functions/greeter/code',
    JSON.stringify({ ZipFile: zip({ 'README.md': 'x' }).toString('base64') })
  )
  t.equal(wrongKind.status, 400)
  t.equal((await http('DELETE', '/2015-03-31/functions/greeter')).status, 204)
  t.equal((await invoke('greeter', '{}')).status, 404)
})

t.test('MapReduce in JS: sharded over the workers, reduced like v1', async (t) => {
  await deploy({
    name: 'squares',
    handler: 'index.handler',
    reduce: 'sum',
    files: {
      'index.js': 'exports.handler = async (e) => e.dataset.reduce((s, x) => s + x * x, e.offset)'
    }
  })
  const dataset = Array.from({ length: 20_000 }, (_, i) => i % 100)
  const expected = dataset.reduce((s, x) => s + x * x, 0)
  // A cost is learned from the first run, so the second may shard: both answer the same.
  for (let run = 0; run < 3; run++) {
    const answer = await invoke('squares', JSON.stringify({ offset: 0, dataset }))
    t.equal(answer.status, 200)
    t.equal(answer.text, String(expected))
  }
  await deploy({
    name: 'evens',
    handler: 'index.handler',
    reduce: 'concat',
    files: { 'index.js': 'exports.handler = async (e) => e.dataset.filter((x) => x % 2 === 0)' }
  })
  const evens = await invoke('evens', JSON.stringify({ dataset: [1, 2, 3, 4, 5, 6] }))
  t.equal(evens.text, '[2,4,6]')
})

t.test('hostile JS never stalls the event loop', async (t) => {
  const hostile: Record<string, string> = {
    spin: 'exports.handler = () => { for (;;) {} }',
    regex: 'exports.handler = () => /(a+)+b/.test("a".repeat(40))',
    async: 'exports.handler = async () => { for (;;) await null }',
    bomb: 'exports.handler = () => { const a = []; for (;;) a.push(new Float64Array(1e6)) }',
    recursion: 'const f = (n) => f(n + 1) + 1; exports.handler = () => f(0)',
    deep: 'exports.handler = () => { let a = []; for (let i = 0; i < 300000; i++) a = [a]; return JSON.stringify(a).length }',
    output: 'exports.handler = () => "x".repeat(7 * 1024 * 1024)',
    never: 'exports.handler = () => new Promise(() => {})',
    probe:
      'exports.handler = () => { const found = ["require", "Buffer", "fetch", "host", "__host", "compile", "polyfills", "raw", "WebAssembly"].filter((k) => k in globalThis); if (found.length) return found; throw new Error("no host objects") }'
  }
  for (const [name, source] of Object.entries(hostile)) {
    const deployed = await deploy({
      name: `hostile-${name}`,
      handler: 'index.handler',
      timeoutMs: 800,
      memoryMb: 32,
      files: { 'index.js': source }
    })
    t.equal(deployed.status, 201, `hostile-${name} deploys`)
  }
  // The edge's own event-loop lag (its /metrics gauge) and /healthz, probed all along, as the
  // hostile suite watches an edge (test/hostile/watch.ts).
  const watch = new Watch(edge.url)
  await watch.start()
  const storm = async () => {
    const names = Object.keys(hostile)
    const answers = await Promise.all(names.map((n) => invoke(`hostile-${n}`, '{}')))
    answers.forEach((answer, i) => {
      t.equal(answer.status, 200, `${names[i]}: answered`)
      t.equal(answer.headers['x-amz-function-error'], 'Unhandled', `${names[i]}: a function error`)
    })
  }
  const lag = await lagOver(watch, MAX_LAG_MS, storm)
  const report = await watch.stop()
  t.strictSame(report.failures, [], `/healthz answered 200 throughout (${report.probes} probes)`)
  assertLag(t, 'while hostile JS ran', lag, MAX_LAG_MS)
  t.comment(`slowest /healthz ${report.maxProbeMs.toFixed(1)} ms; edge lag ${lag.ms.toFixed(1)} ms`)
  t.equal((await invoke('hello', '{"name":"after"}')).text, '{"ok":true,"e":{"name":"after"}}')
})

t.test('warm containers show in /metrics', async (t) => {
  const text = (await http('GET', '/metrics')).text
  const sample = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1])
  t.ok(sample('swarmlambda_js_containers') >= 1, 'warm containers')
  t.ok(sample('swarmlambda_js_container_bytes') >= 16 * 2 ** 20, 'at least one 16 MiB heap')
  t.ok(sample('swarmlambda_js_cold_starts_total') >= 5, 'one cold start per function at least')
  t.ok(sample('swarmlambda_js_container_evictions_total') >= 0, 'evictions are exported')
})
