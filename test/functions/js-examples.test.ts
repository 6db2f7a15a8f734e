// Deploys the JavaScript examples (functions/js/*, plain source folders read from disk) on an
// in-process edge, the seed's way ({ files }) and AWS's (CreateFunction with a zip), and checks
// every answer byte for byte.
import { readdir, readFile } from 'node:fs/promises'
import { join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { unzipSync, zipSync } from 'fflate'
import t from 'tap'
import { localEdge, type LocalAnswer } from '../support/local-edge.js'

// Compiled to dist/test/functions/, so the repo root is three levels up.
const EXAMPLES = fileURLToPath(new URL('../../../functions/js/', import.meta.url))
const ROLE = 'arn:aws:iam::000000000000:role/x'

const { http } = await localEdge(t)
type Answer = LocalAnswer

const send = (method: 'POST' | 'PUT', path: string, value: unknown) =>
  http(method, path, JSON.stringify(value))
const invoke = (name: string, event: unknown, headers?: Record<string, string>) =>
  http(
    'POST',
    `/2015-03-31/functions/${name}/invocations`,
    typeof event === 'string' ? event : JSON.stringify(event),
    headers
  )

/** An example's files by path relative to its folder ('lib/greet.js'), as a deploy sends them. */
async function example(name: string): Promise<Record<string, string>> {
  const root = join(EXAMPLES, name)
  const files: Record<string, string> = {}
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) await walk(path)
      else files[relative(root, path).split(sep).join('/')] = await readFile(path, 'utf8')
    }
  }
  await walk(root)
  return files
}

/** The seed's deploy: `POST /functions` with the example's files. */
async function deploy(name: string, dir: string, extra: Record<string, unknown> = {}) {
  return send('POST', '/functions', {
    name,
    handler: 'index.handler',
    files: await example(dir),
    ...extra
  })
}

/** The log an `X-Amz-Log-Type: Tail` answer carries, as lines. */
function tail(answer: Answer): string[] {
  const header = answer.headers['x-amz-log-result']
  if (typeof header !== 'string') throw new Error('no x-amz-log-result header')
  return Buffer.from(header, 'base64').toString('utf8').replace(/\n$/, '').split('\n')
}

/** The assertions lambdaLog needs (a subtest has them too). */
type Asserts = Pick<typeof t, 'equal' | 'match'>

/** Asserts a Lambda log: START first, END and REPORT last, all naming the request. */
function lambdaLog(t: Asserts, lines: string[], id: string) {
  t.equal(lines[0], `START RequestId: ${id} Version: $LATEST`, 'START line')
  t.equal(lines.at(-2), `END RequestId: ${id}`, 'END line')
  t.match(
    lines.at(-1),
    new RegExp(
      `^REPORT RequestId: ${id}\\tDuration: \\d+\\.\\d{2} ms\\tBilled Duration: \\d+ ms\\tMemory Size: 128 MB$`
    ),
    'REPORT line'
  )
}

t.test('hello: the seed deploy of { files } and its invoke', async (t) => {
  const files = await example('hello')
  t.same(Object.keys(files), ['index.js'])
  const created = await deploy('hello', 'hello')
  t.equal(created.status, 201, 'created: 201')
  const config = created.json()
  t.equal(config.FunctionName, 'hello')
  t.equal(config.Runtime, 'nodejs20.x')
  t.equal(config.Handler, 'index.handler')
  t.equal(config.MemorySize, 128)

  const answer = await invoke('hello', { name: 'world' })
  t.equal(answer.status, 200)
  t.equal(answer.headers['x-amz-function-error'], undefined)
  t.equal(answer.headers['content-type'], 'application/json')
  t.equal(answer.text, '{"ok":true,"e":{"name":"world"}}')

  // The seed's own one-liner deploys the same way and answers the same.
  const seed = await send('POST', '/functions', {
    name: 'hello-seed',
    files: { 'index.js': 'exports.handler=async(e)=>({ok:true,e});' }
  })
  t.equal(seed.status, 201, 'seed: 201')
  t.equal(seed.json().Handler, 'index.handler', 'index.handler by default')
  t.equal((await invoke('hello-seed', { name: 'world' })).text, '{"ok":true,"e":{"name":"world"}}')

  const empty = await invoke('hello', '')
  t.equal(empty.text, '{"ok":true,"e":{}}', 'no body: the event is {}')

  const bad = await invoke('hello', 'not json')
  t.equal(bad.status, 400)
  t.equal(bad.headers['x-amzn-errortype'], 'InvalidRequestContentException')
})

t.test('wordcount: a MapReduce over lines, sharded, equals one shard', async (t) => {
  // 2,000 lines of 0 to 40 words, with runs of spaces, tabs and blank lines: ~300 KB of event.
  const vocabulary = ['edge', 'swarm', 'shard', 'λ', 'reduce', 'map', 'wasm', 'quickjs', 'node']
  const dataset = Array.from({ length: 2000 }, (_, i) => {
    const words = Array.from(
      { length: (i * 7) % 41 },
      (_, j) => vocabulary[(i + j * j) % vocabulary.length]
    )
    return (i % 5 === 0 ? '  ' : '') + words.join(i % 3 === 0 ? ' \t ' : ' ') + (i % 4 ? '' : ' ')
  })
  const expected = dataset.reduce((n, line) => {
    const trimmed = line.trim()
    return n + (trimmed === '' ? 0 : trimmed.split(/[ \t]+/).length)
  }, 0)
  t.ok(expected > 30_000, `${expected} words`)
  t.ok(JSON.stringify({ dataset }).length > 64 * 1024, 'parsed off the event loop')

  const sharded = await deploy('wordcount', 'wordcount', { reduce: 'sum' })
  t.equal(sharded.status, 201, 'sharded: 201')
  t.equal((sharded.json().SwarmLambda as { reduce: string }).reduce, 'sum')
  const whole = await deploy('wordcount-whole', 'wordcount')
  t.equal(whole.status, 201, 'whole: 201')
  t.equal((whole.json().SwarmLambda as { reduce: string }).reduce, 'none')

  const answer = await invoke('wordcount', { dataset }, { 'x-amz-log-type': 'Tail' })
  t.equal(answer.status, 200)
  t.equal(answer.text, String(expected))
  const shards = tail(answer).filter((line) => /^shard \d+: edge-a, /.test(line))
  t.ok(shards.length >= 2, `${shards.length} shards`)
  lambdaLog(t, tail(answer), answer.headers['x-amzn-requestid'] as string)

  const one = await invoke('wordcount-whole', { dataset }, { 'x-amz-log-type': 'Tail' })
  t.equal(one.status, 200)
  t.equal(one.text, String(expected), 'one shard answers the same')
  t.notOk(
    tail(one).some((line) => line.startsWith('shard 1:')),
    'reduce none: a single shard'
  )

  t.equal((await invoke('wordcount', { dataset: [] })).text, '0', 'an empty dataset')
  t.equal((await invoke('wordcount', {})).text, '0', 'no dataset')
})

t.test('sumsquares: an .mjs module, numbers reduced by sum', async (t) => {
  const n = 10_000
  const dataset = Array.from({ length: n }, (_, i) => i + 1)
  const expected = (n * (n + 1) * (2 * n + 1)) / 6
  t.equal(
    dataset.reduce((sum, x) => sum + x * x, 0),
    expected
  )
  const created = await deploy('sumsquares', 'sumsquares', { reduce: 'sum' })
  t.equal(created.status, 201, 'created: 201')
  t.same(Object.keys(await example('sumsquares')), ['index.mjs'], 'index.handler is index.mjs')
  const answer = await invoke('sumsquares', { dataset }, { 'x-amz-log-type': 'Tail' })
  t.equal(answer.status, 200)
  t.equal(answer.text, '333383335000')
  t.equal(Number(answer.text), expected)
  t.ok(tail(answer).filter((line) => line.startsWith('shard ')).length >= 2, 'sharded')
})

t.test('greeter-esm: ES modules, JSON import, top-level await, env and its log', async (t) => {
  const files = await example('greeter-esm')
  t.same(Object.keys(files).sort(), [
    'defaults.json',
    'index.js',
    'lib/config.js',
    'lib/greet.js',
    'package.json'
  ])
  const created = await deploy('greeter', 'greeter-esm', { environment: { GREETING: 'Howdy' } })
  t.equal(created.status, 201, 'created: 201')
  t.match((created.json().Environment as { Variables: object }).Variables, { GREETING: 'Howdy' })

  const answer = await invoke('greeter', { name: 'world' }, { 'x-amz-log-type': 'Tail' })
  t.equal(answer.status, 200)
  t.equal(answer.text, '{"message":"Howdy, world!"}')
  const id = answer.headers['x-amzn-requestid'] as string
  const lines = tail(answer)
  lambdaLog(t, lines, id)
  t.equal(lines.length, 4, 'START, one console line, END, REPORT')
  t.match(
    lines[1],
    new RegExp(
      `^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z\\t${id}\\tINFO\\tgreeting world \\(request ${id}\\)$`
    ),
    'the console.log line'
  )

  const stranger = await invoke('greeter', {})
  t.equal(stranger.text, '{"message":"Howdy, stranger!"}', 'the default from defaults.json')
})

t.test(
  'greeter-esm through AWS: CreateFunction with a zip, update, GetFunction, delete',
  async (t) => {
    const files = await example('greeter-esm')
    const zip = zipSync(
      Object.fromEntries(Object.entries(files).map(([path, text]) => [path, Buffer.from(text)]))
    )
    const created = await send('POST', '/2015-03-31/functions', {
      FunctionName: 'greeter-aws',
      Runtime: 'nodejs20.x',
      Handler: 'index.handler',
      Role: ROLE,
      Code: { ZipFile: Buffer.from(zip).toString('base64') }
    })
    t.equal(created.status, 201, 'created: 201')
    t.match(created.json(), {
      FunctionName: 'greeter-aws',
      Runtime: 'nodejs20.x',
      Handler: 'index.handler',
      Role: ROLE,
      Timeout: 3,
      MemorySize: 128
    })

    const answer = await invoke('greeter-aws', { name: 'world' }, { 'x-amz-log-type': 'Tail' })
    t.equal(answer.status, 200)
    t.equal(answer.text, '{"message":"Hello, world!"}', 'no GREETING: the default')
    const id = answer.headers['x-amzn-requestid'] as string
    t.match(tail(answer)[1], new RegExp(`\\t${id}\\tINFO\\tgreeting world \\(request ${id}\\)$`))

    const again = await send('POST', '/2015-03-31/functions', {
      FunctionName: 'greeter-aws',
      Runtime: 'nodejs20.x',
      Handler: 'index.handler',
      Role: ROLE,
      Code: { ZipFile: Buffer.from(zip).toString('base64') }
    })
    t.equal(again.status, 409)
    t.equal(again.headers['x-amzn-errortype'], 'ResourceConflictException')

    const configured = await send('PUT', '/2015-03-31/functions/greeter-aws/configuration', {
      Environment: { Variables: { GREETING: 'hi' } }
    })
    t.equal(configured.status, 200, 'configured: 200')
    t.equal((await invoke('greeter-aws', { name: 'world' })).text, '{"message":"hi, world!"}')

    // New code: a greeting with a different punctuation, the environment kept.
    const edited = {
      ...files,
      'lib/greet.js': 'export const greet = (greeting, name) => `${greeting}, ${name}?`\n'
    }
    const updated = await send('PUT', '/2015-03-31/functions/greeter-aws/code', {
      ZipFile: Buffer.from(
        zipSync(
          Object.fromEntries(
            Object.entries(edited).map(([path, text]) => [path, Buffer.from(text)])
          )
        )
      ).toString('base64')
    })
    t.equal(updated.status, 200, 'updated: 200')
    t.equal((await invoke('greeter-aws', { name: 'world' })).text, '{"message":"hi, world?"}')

    const got = await http('GET', '/2015-03-31/functions/greeter-aws')
    t.equal(got.status, 200)
    const location = (got.json().Code as { Location: string }).Location
    t.match(location, /\/functions\/greeter-aws\/code$/)
    const download = await http('GET', new URL(location).pathname)
    t.equal(download.status, 200)
    t.equal(download.headers['content-type'], 'application/zip')
    const back = Object.fromEntries(
      Object.entries(unzipSync(new Uint8Array(download.bytes))).map(([path, bytes]) => [
        path,
        Buffer.from(bytes).toString('utf8')
      ])
    )
    t.same(back, edited, 'the package as deployed')

    t.equal((await http('DELETE', '/2015-03-31/functions/greeter-aws')).status, 204)
    const gone = await invoke('greeter-aws', { name: 'world' })
    t.equal(gone.status, 404)
    t.equal(gone.headers['x-amzn-errortype'], 'ResourceNotFoundException')
  }
)
