import t from 'tap'
import { compileEngine } from '../../../lib/runtimes/js/engine.js'
import { jsFunction, type JsFunction } from '../../../lib/runtimes/js/function.js'
import { WasmPool } from '../../../lib/executor/pool.js'

// The JS runtime through the pool the scheduler uses: modules, the handler forms, context and
// globals, warm containers, and hostile code (each a typed error, the next call fine).

const pool = new WasmPool({ size: 1, assets: { quickjs: await compileEngine() } })
await pool.ready()
t.teardown(() => pool.close())

let serial = 0
function js(
  files: Record<string, string>,
  options: {
    handler?: string
    memoryMb?: number
    name?: string
    env?: Record<string, string>
    version?: string
  } = {}
): JsFunction {
  serial++
  const name = options.name ?? `fn${serial}`
  return jsFunction({
    functionName: name,
    sha256: `test-${serial}`,
    handler: options.handler ?? 'index.handler',
    files: new Map(Object.entries(files)),
    environment: options.env ?? {},
    memoryMb: options.memoryMb ?? 32,
    region: 'eu-central-fra',
    runtime: 'nodejs20.x',
    ...(options.version === undefined ? {} : { version: options.version })
  })
}

const context = {
  requestId: 'req-42',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-central-fra:000000000000:function:f'
}

async function call(fn: JsFunction, event: unknown = {}, timeoutMs = 2_000) {
  const input = Buffer.from(JSON.stringify(event))
  const out = await pool.run(fn, { input, timeoutMs, context })
  return JSON.parse(Buffer.from(out.payload ?? []).toString()) as unknown
}

t.test('CommonJS: exports.handler, module.exports, require of files and JSON', async (t) => {
  const fn = js({
    'index.js': `const { twice } = require('./lib/math'); const cfg = require('./cfg.json')
      module.exports.handler = async (e) => ({ value: twice(e.n), cfg, file: __filename })`,
    'lib/math.js': 'exports.twice = (n) => 2 * n',
    'cfg.json': '{"k":[1,2]}'
  })
  t.strictSame(await call(fn, { n: 21 }), {
    value: 42,
    cfg: { k: [1, 2] },
    file: '/var/task/index.js'
  })
})

t.test('node_modules in the package resolve as Node resolves them', async (t) => {
  const fn = js({
    'index.js': `const pad = require('left-pad'); exports.handler = () => pad('7', 3)`,
    'node_modules/left-pad/package.json': '{"main":"lib/pad.js"}',
    'node_modules/left-pad/lib/pad.js': `module.exports = (s, n) => '0'.repeat(n - s.length) + s`
  })
  t.equal(await call(fn), '007')
})

t.test(
  'ES modules: imports, JSON, CommonJS default, top-level await, nested handler',
  async (t) => {
    const fn = js(
      {
        'package.json': '{"type":"module"}',
        'src/app.js': `import { f } from './util.js'; import data from '../data.json' with { type: 'json' }
        import legacy from '../legacy.cjs'
        const ready = await new Promise((r) => setTimeout(() => r('ready'), 5))
        export const handlers = { main: async () => ({ f: f(), data, legacy, ready }) }`,
        'src/util.js': 'export const f = () => 42',
        'data.json': '{"a":1}',
        'legacy.cjs': 'module.exports = { old: true }'
      },
      { handler: 'src/app.handlers.main' }
    )
    t.strictSame(await call(fn), { f: 42, data: { a: 1 }, legacy: { old: true }, ready: 'ready' })
  }
)

t.test('the three handler forms, and undefined answers null', async (t) => {
  const cb = js({
    'index.js': 'exports.handler = (e, c, done) => setTimeout(() => done(null, e.x), 1)'
  })
  t.equal(await call(cb, { x: 'callback' }), 'callback')
  const sync = js({ 'index.js': 'exports.handler = (e) => Promise.resolve(e.x)' })
  t.equal(await call(sync, { x: 'promise' }), 'promise')
  const nothing = js({ 'index.mjs': 'export async function handler() {}' })
  t.equal(await call(nothing), null)
})

t.test('context and environment as AWS gives them', async (t) => {
  const fn = js(
    {
      'index.js': `exports.handler = async (e, c) => ({
        name: c.functionName, version: c.functionVersion, arn: c.invokedFunctionArn,
        memory: c.memoryLimitInMB, id: c.awsRequestId, group: c.logGroupName,
        remaining: c.getRemainingTimeInMillis() > 0 && c.getRemainingTimeInMillis() <= 2000,
        env: [process.env.GREETING, process.env.AWS_LAMBDA_FUNCTION_NAME,
          process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE, process.env.AWS_REGION] })`
    },
    { name: 'ctx-fn', env: { GREETING: 'hi' }, memoryMb: 64 }
  )
  t.strictSame(await call(fn), {
    name: 'ctx-fn',
    version: '$LATEST',
    arn: context.invokedFunctionArn,
    memory: '64',
    id: 'req-42',
    group: '/aws/lambda/ctx-fn',
    remaining: true,
    env: ['hi', 'ctx-fn', '64', 'eu-central-fra']
  })
})

t.test('web globals work, host objects are not there', async (t) => {
  const fn = js({
    'index.js': `exports.handler = async () => ({
      text: new TextDecoder().decode(new TextEncoder().encode('héllo')),
      b64: btoa('hi') + atob('aGk='),
      url: new URL('/p?q=1#h', 'https://example.com').href,
      query: new URLSearchParams({ a: '1 2' }).toString(),
      uuid: /^[0-9a-f-]{36}$/.test(crypto.randomUUID()),
      random: crypto.getRandomValues(new Uint8Array(16)).some((b) => b !== 0),
      clone: structuredClone(new Map([[1, { d: new Date(0) }]])).get(1).d.getTime(),
      absent: ['require', 'Buffer', 'fetch', 'WebAssembly', 'XMLHttpRequest', 'global', 'Deno',
        'Bun', 'std', 'os', '__host', 'host'].filter((k) => typeof globalThis[k] !== 'undefined'),
      exit: typeof process.exit, binding: typeof process.binding, subtle: typeof crypto.subtle
    })`
  })
  t.strictSame(await call(fn), {
    text: 'héllo',
    b64: 'aGk=hi',
    url: 'https://example.com/p?q=1#h',
    query: 'a=1+2',
    uuid: true,
    random: true,
    clone: 0,
    absent: [],
    exit: 'undefined',
    binding: 'undefined',
    subtle: 'undefined'
  })
})

t.test('console lines are the call log, in AWS form', async (t) => {
  const fn = js({
    'index.js': `exports.handler = async () => { console.log('a %s %d', 'b', 3, { k: [1] })
      console.warn('careful'); console.error(new Error('bad').message); return 1 }`
  })
  const out = await pool.run(fn, { input: Buffer.from('{}'), timeoutMs: 2_000, context })
  const lines = (out.logs ?? '').split('\n').filter((l) => l !== '')
  t.equal(lines.length, 3)
  t.match(lines[0], /^\d{4}-\d\d-\d\dT[\d:.]+Z\treq-42\tINFO\ta b 3 \{ k: \[ 1 \] \}$/)
  t.match(lines[1], /\tWARN\tcareful$/)
  t.match(lines[2], /\tERROR\tbad$/)
})

t.test('a thrown error is AWS Node shaped, with the log', async (t) => {
  const fn = js({ 'index.js': 'exports.handler = async () => {\n  throw new TypeError("nope")\n}' })
  const err = (await pool.run(fn, { input: Buffer.from('{}'), timeoutMs: 2_000, context }).then(
    () => null,
    (e: unknown) => e
  )) as { code: string; message: string; fields: Record<string, string>; logs: string }
  t.equal(err.code, 'FUNCTION_UNHANDLED')
  t.equal(err.message, 'nope')
  t.equal(err.fields.errorType, 'TypeError')
  const trace = JSON.parse(err.fields.trace as string) as string[]
  t.equal(trace[0], 'TypeError: nope')
  t.match(trace[1], /\/var\/task\/index\.js:2:/)
  t.match(err.logs, /\tERROR\tInvoke Error \t\{"errorType":"TypeError","errorMessage":"nope"/)
})

t.test('load failures use AWS init error names', async (t) => {
  const cases: [Record<string, string>, string, string, RegExp][] = [
    [
      { 'index.js': 'require("lodash")' },
      'index.handler',
      'Runtime.ImportModuleError',
      /Cannot find module 'lodash'/
    ],
    [
      { 'index.js': 'exports.x = 1' },
      'index.handler',
      'Runtime.HandlerNotFound',
      /index\.handler is undefined or not exported/
    ],
    [
      { 'index.js': 'exports.handler = () => {' },
      'index.handler',
      'Runtime.UserCodeSyntaxError',
      /^SyntaxError: /
    ],
    [{ 'index.js': '' }, 'app.handler', 'Runtime.ImportModuleError', /Cannot find module 'app'/]
  ]
  for (const [files, handler, type, message] of cases) {
    const err = (await pool
      .run(js(files, { handler }), { input: Buffer.from('{}'), timeoutMs: 2_000, context })
      .then(
        () => null,
        (e: unknown) => e
      )) as { code: string; message: string; fields: Record<string, string> }
    t.equal(err.code, 'FUNCTION_UNHANDLED', type)
    t.equal(err.fields.errorType, type)
    t.match(err.message, message)
  }
})

t.test("an event that is not JSON is the request's error, not the function's", async (t) => {
  const fn = js({ 'index.js': 'exports.handler = async (e) => e' })
  await t.rejects(pool.run(fn, { input: Buffer.from('{nope'), timeoutMs: 2_000, context }), {
    code: 'INVALID_REQUEST',
    kind: 'client',
    message: /^Could not parse request body into json: /
  })
  // An empty body is the empty event, as AWS passes it.
  const out = await pool.run(fn, { input: new Uint8Array(0), timeoutMs: 2_000, context })
  t.equal(Buffer.from(out.payload ?? []).toString(), '{}')
})

t.test('warm containers: module state persists per function, never across', async (t) => {
  const source = 'let n = 0; exports.handler = async () => ++n'
  const a = js({ 'index.js': source }, { name: 'counter-a' })
  const b = js({ 'index.js': source }, { name: 'counter-b' })
  t.equal(await call(a), 1)
  t.equal(await call(a), 2)
  t.equal(await call(b), 1, 'another function starts at its own 1')
  t.equal(await call(a), 3)
  // An update (new code or configuration: a new key for the same function) starts afresh.
  const updated = js({ 'index.js': source + ' // v2' }, { name: 'counter-a' })
  t.equal(await call(updated), 1)
  t.equal(await call(updated), 2)
})

t.test('two versions of one function keep a warm container each (an alias split)', async (t) => {
  const source = 'let n = 0; exports.handler = async () => ++n'
  const one = js({ 'index.js': source }, { name: 'split', version: '1' })
  const two = js({ 'index.js': source + ' // two' }, { name: 'split', version: '2' })
  const colds = () => pool.stats().containers.colds
  const before = colds()
  for (let i = 1; i <= 5; i++) {
    t.equal(await call(one), i, `version 1, call ${i}: warm`)
    t.equal(await call(two), i, `version 2, call ${i}: warm`)
  }
  t.equal(colds() - before, 2, 'one cold start per version, not one per alternation')
  // A new spec of version 1 (its own key) replaces version 1's container only.
  const oneAgain = js(
    { 'index.js': source + ' // one, redeployed' },
    { name: 'split', version: '1' }
  )
  t.equal(await call(oneAgain), 1)
  t.equal(await call(two), 6)
})

t.test('hostile code: each a typed error, the worker lives, the next call works', async (t) => {
  const ok = js({ 'index.js': 'exports.handler = async () => "fine"' })
  const hostile: [string, string, string][] = [
    ['while (true)', 'exports.handler = () => { while (true) {} }', 'FUNCTION_TIMEOUT'],
    [
      'catastrophic regex',
      'exports.handler = () => /(a+)+b/.test("a".repeat(40))',
      'FUNCTION_TIMEOUT'
    ],
    [
      'endless async loop',
      'exports.handler = async () => { for (;;) await null }',
      'FUNCTION_TIMEOUT'
    ],
    [
      'endless timers',
      'exports.handler = () => new Promise(() => setInterval(() => {}, 1))',
      'FUNCTION_TIMEOUT'
    ],
    [
      'array bomb',
      'exports.handler = () => { const a = []; for (;;) a.push(new Array(1e5).fill(1)) }',
      'FUNCTION_MEMORY_LIMIT'
    ],
    [
      'typed array bomb',
      'exports.handler = () => { const a = []; for (;;) a.push(new Float64Array(1e6)) }',
      'FUNCTION_MEMORY_LIMIT'
    ],
    [
      'string bomb',
      'exports.handler = () => { const a = []; for (;;) a.push("x".repeat(1e6) + a.length) }',
      'FUNCTION_MEMORY_LIMIT'
    ],
    // Concatenation builds ropes: QuickJS refuses the length (a RangeError) before memory runs out.
    ['doubling string', 'exports.handler = () => { let s = "x"; for (;;) s = s + s }', 'ANY'],
    [
      'deep recursion',
      'const f = (n) => f(n + 1) + 1; exports.handler = () => f(0)',
      'FUNCTION_UNHANDLED'
    ],
    [
      '300k-deep JSON.stringify',
      'exports.handler = () => { let a = []; for (let i = 0; i < 300000; i++) a = [a]; return JSON.stringify(a).length }',
      'ANY'
    ],
    ['6 MB+ output', 'exports.handler = () => "x".repeat(7 * 1024 * 1024)', 'FUNCTION_BAD_OUTPUT'],
    ['never resolves', 'exports.handler = () => new Promise(() => {})', 'FUNCTION_UNHANDLED'],
    [
      'host probing',
      'exports.handler = () => { for (const k of Object.getOwnPropertyNames(globalThis)) { const v = globalThis[k]; if (v && typeof v === "object" && "readFile" in v) return k } throw new Error("none") }',
      'FUNCTION_UNHANDLED'
    ]
  ]
  for (const [name, source, code] of hostile) {
    const err = await pool
      .run(js({ 'index.js': source }), { input: Buffer.from('{}'), timeoutMs: 500, context })
      .then(
        () => null,
        (e: unknown) => e as { code: string; kind: string; message: string }
      )
    t.not(err, null, `${name} fails`)
    if (code === 'ANY') t.equal(err?.kind, 'function', `${name}: a function error (${err?.code})`)
    else t.equal(err?.code, code, `${name}: ${err?.message}`)
    t.equal(await call(ok), 'fine', `a call after ${name} works`)
  }
})

t.test('the container budget: 500 functions round-robin stay within it', async (t) => {
  const budgetBytes = 64 * 1024 * 1024
  const small = new WasmPool({
    size: 1,
    spares: 0,
    assets: { quickjs: await compileEngine() },
    containerBudgetBytes: budgetBytes
  })
  await small.ready()
  t.teardown(() => small.close())
  const fns = Array.from({ length: 500 }, (_, i) =>
    js({ 'index.js': `exports.handler = async () => ${i}` }, { memoryMb: 16 })
  )
  for (let round = 0; round < 2; round++) {
    for (const [i, fn] of fns.entries()) {
      const out = await small.run(fn, { input: Buffer.from('{}'), timeoutMs: 2_000, context })
      if (Buffer.from(out.payload ?? []).toString() !== String(i))
        t.fail(`function ${i} answered wrong`)
      const { containers } = small.stats()
      if (containers.bytes > budgetBytes) t.fail(`over budget: ${containers.bytes}`)
    }
  }
  const { containers } = small.stats()
  t.ok(containers.containers <= 4, `${containers.containers} warm containers of 16 MiB in 64 MiB`)
  t.ok(containers.evictions >= 996, `${containers.evictions} evictions`)
  t.comment(
    `rss after 1000 calls of 500 functions: ${Math.round(process.memoryUsage().rss / 2 ** 20)} MiB`
  )
})
