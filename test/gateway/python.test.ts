import { readFile, readdir } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { strToU8, zipSync } from 'fflate'
import t from 'tap'
import { eventually } from '../support/cluster.js'
import { localEdge } from '../support/local-edge.js'
import { assertLag, lagOver, Watch } from '../hostile/watch.js'

/** The event-loop lag hostile Python may cause at most (the hostile suite's own bound). */
const MAX_LAG_MS = 100
const EXAMPLES = fileURLToPath(new URL('../../../functions/python/', import.meta.url))

// Python functions through one edge's HTTP API: the seed's deploy, AWS's (a zip), invoke
// semantics and AWS's Python error shape, configuration updates, versions and aliases, Event
// invocations, MapReduce with a reducer, the examples, and an edge that stays responsive while
// hostile Python runs.

const { edge, http } = await localEdge(t, { poolSize: 2 })
const deploy = (body: Record<string, unknown>) => http('POST', '/functions', JSON.stringify(body))
const invoke = (name: string, body: string, headers: Record<string, string> = {}) =>
  http('POST', `/2015-03-31/functions/${name}/invocations`, body, headers)
const zip = (files: Record<string, string>) =>
  Buffer.from(zipSync(Object.fromEntries(Object.entries(files).map(([k, v]) => [k, strToU8(v)]))))

/** An example's files, by path inside it. */
async function example(name: string): Promise<Record<string, string>> {
  const root = join(EXAMPLES, name)
  const files: Record<string, string> = {}
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const path = join(entry.parentPath, entry.name)
    files[relative(root, path)] = await readFile(path, 'utf8')
  }
  return files
}

t.test("the seed's request with Python files, then AWS's zip", async (t) => {
  const deployed = await deploy({
    name: 'hello',
    runtime: 'python3.12',
    files: await example('hello')
  })
  t.equal(deployed.status, 201)
  t.match(deployed.json(), {
    Runtime: 'python3.12',
    Handler: 'lambda_function.lambda_handler',
    SwarmLambda: { runtime: 'python' }
  })
  const answer = await invoke('hello', '{"key1":"value1"}', { 'x-amz-log-type': 'Tail' })
  t.equal(answer.status, 200)
  t.equal(answer.text, '{"statusCode": 200, "body": "\\"Hello from Lambda!\\""}')
  const log = Buffer.from(answer.headers['x-amz-log-result'] as string, 'base64').toString()
  t.match(log, /\nevent: \{"key1": "value1"\}\nEND RequestId: /)

  // .py files and no runtime: Python is meant.
  const inferred = await deploy({
    name: 'inferred',
    files: { 'lambda_function.py': 'def lambda_handler(e, c):\n    return "py"\n' }
  })
  t.equal(inferred.json().Runtime, 'python3.13')
  t.equal((await invoke('inferred', '{}')).text, '"py"')

  const created = await http('POST', '/2015-03-31/functions', {
    FunctionName: 'zipped',
    Runtime: 'python3.13',
    Role: 'arn:aws:iam::000000000000:role/x',
    Handler: 'lambda_function.lambda_handler',
    Code: { ZipFile: zip(await example('orders')).toString('base64') }
  })
  t.equal(created.status, 201, created.text)
  const orders = await invoke(
    'zipped',
    JSON.stringify({
      orders: [
        { id: 'a', status: 'paid', lines: [{ sku: 'x', qty: 3, price: '19.99' }] },
        { id: 'b', status: 'open', lines: [{ sku: 'y', qty: 1, price: '5' }] }
      ],
      select: "orders[?status=='paid']"
    })
  )
  t.equal(
    orders.text,
    '{"orders": [{"id": "a", "net": "59.97", "vat": "11.99", "gross": "71.96"}], "jmespath": "1.0.1"}'
  )
  const code = await http('GET', '/2015-03-31/functions/zipped')
  t.equal(code.status, 200)
  const wrongKind = await http('PUT', '/2015-03-31/functions/zipped/code', {
    ZipFile: zip({ 'index.js': 'exports.handler = () => 1' }).toString('base64')
  })
  t.equal(wrongKind.status, 400, 'a Python function takes Python code')
  t.match(wrongKind.json().message, /holds no \.py file/)
})

t.test("AWS's Python error shape, and bad input", async (t) => {
  await deploy({
    name: 'thrower',
    files: {
      'lambda_function.py': 'def lambda_handler(event, context):\n    raise KeyError(event["k"])\n'
    }
  })
  const failed = await invoke('thrower', '{"k":"missing"}')
  t.equal(failed.status, 200)
  t.equal(failed.headers['x-amz-function-error'], 'Unhandled')
  t.same(Object.keys(failed.json()), [
    'errorMessage',
    'errorType',
    'requestId',
    'stackTrace',
    'errorCode'
  ])
  t.match(failed.json(), {
    errorMessage: "'missing'",
    errorType: 'KeyError',
    requestId: failed.headers['x-amzn-requestid'],
    stackTrace: [
      '  File "/var/task/lambda_function.py", line 2, in lambda_handler\n    raise KeyError(event["k"])\n'
    ]
  })
  const notJson = await invoke('thrower', '{k:')
  t.equal(notJson.status, 400)
  t.equal(notJson.headers['x-amzn-errortype'], 'InvalidRequestContentException')
  const badRuntime = await deploy({ name: 'x', runtime: 'python2.7', files: { 'a.py': '' } })
  t.equal(badRuntime.status, 400)
  t.match(badRuntime.json().message, /must be one of python, python3\.12, python3\.13/)
  const badHandler = await deploy({ name: 'x', handler: 'nodot', files: { 'a.py': '' } })
  t.equal(badHandler.status, 400)
  t.match(badHandler.json().message, /must be module\.function/)
})

t.test(
  'configuration updates, versions, aliases, a function URL and Event invocations',
  async (t) => {
    await deploy({
      name: 'env',
      files: {
        'lambda_function.py':
          'import os\nVERSION = 1\ndef lambda_handler(event, context):\n    return [VERSION, os.environ.get("GREETING"), context.function_version]\n'
      }
    })
    t.equal((await invoke('env', '{}')).text, '[1, null, "$LATEST"]')
    const updated = await http('PUT', '/2015-03-31/functions/env/configuration', {
      Environment: { Variables: { GREETING: 'ahoy' } }
    })
    t.equal(updated.status, 200)
    t.equal((await invoke('env', '{}')).text, '[1, "ahoy", "$LATEST"]', 'the new environment')
    t.equal((await http('POST', '/2015-03-31/functions/env/versions', {})).status, 201)
    const code = zip({
      'lambda_function.py':
        'import os\nVERSION = 2\ndef lambda_handler(event, context):\n    return [VERSION, os.environ.get("GREETING"), context.function_version]\n'
    })
    t.equal(
      (await http('PUT', '/2015-03-31/functions/env/code', { ZipFile: code.toString('base64') }))
        .status,
      200
    )
    t.equal(
      (
        await http('POST', '/2015-03-31/functions/env/aliases', {
          Name: 'prod',
          FunctionVersion: '1'
        })
      ).status,
      201
    )
    t.equal((await invoke('env', '{}')).text, '[2, "ahoy", "$LATEST"]')
    const prod = await invoke('env:prod', '{}')
    t.equal(prod.text, '[1, "ahoy", "1"]', 'the alias runs version 1')
    t.equal(prod.headers['x-amz-executed-version'], '1')

    // A function URL: AWS's payload 2.0 event in, a response object out.
    await deploy({
      name: 'page',
      files: {
        'lambda_function.py':
          'def lambda_handler(event, context):\n    return {"statusCode": 201, "headers": {"x-lang": "python"}, "body": event["rawPath"] + "?" + event["rawQueryString"]}\n'
      }
    })
    t.equal(
      (await http('POST', '/2021-10-31/functions/page/url', { AuthType: 'NONE' })).status,
      201
    )
    const page = await http('GET', '/lambda-url/page/hello/there?x=1')
    t.same([page.status, page.headers['x-lang'], page.text], [201, 'python', '/hello/there?x=1'])

    const event = await invoke('env', '{}', { 'x-amz-invocation-type': 'Event' })
    t.equal(event.status, 202)
    const job = event.headers['x-swarmlambda-job-id'] as string
    const done = await eventually('the Event job completes', async () => {
      const answer = await http('GET', `/api/v1/jobs/${job}`)
      return answer.status === 200 ? answer.json() : undefined
    })
    t.match(done, { status: 'completed', result: [2, 'ahoy', '$LATEST'] })
  }
)

t.test('MapReduce in Python: sharded over the workers, reduced like the others', async (t) => {
  t.equal(
    (await deploy({ name: 'squares', reduce: 'sum', files: await example('sumsquares') })).status,
    201
  )
  const dataset = Array.from({ length: 20_000 }, (_, i) => i % 100)
  const expected = dataset.reduce((s, x) => s + x * x, 0)
  // A cost is learned from the first run, so a later one may shard: all answer the same.
  for (let run = 0; run < 3; run++) {
    const answer = await invoke('squares', JSON.stringify({ dataset }))
    t.equal(answer.status, 200)
    t.equal(answer.text, String(expected))
  }
  await deploy({
    name: 'evens',
    reduce: 'concat',
    files: {
      'lambda_function.py':
        'def lambda_handler(e, c):\n    return [x for x in e["dataset"] if x % 2 == 0]\n'
    }
  })
  t.equal((await invoke('evens', JSON.stringify({ dataset: [1, 2, 3, 4, 5, 6] }))).text, '[2,4,6]')
})

t.test('hostile Python never stalls the event loop', async (t) => {
  const hostile: Record<string, string> = {
    spin: 'while True: pass',
    sleep: 'import time\n    time.sleep(1000)',
    bomb: 'l = []\n    while True: l.append("x" * 1000000)',
    big: 'return "a" * 10**10',
    recursion: 'def f(n): return f(n + 1)\n    return f(0)',
    system: 'import os\n    os.system("id")\n    raise RuntimeError("no host")',
    passwd: 'return open("/etc/passwd").read()',
    socket: 'import socket\n    socket.create_connection(("127.0.0.1", 22))'
  }
  for (const [name, body] of Object.entries(hostile)) {
    const deployed = await deploy({
      name: `hostile-${name}`,
      // The two that run to their deadline do it soon; the others may queue behind them and
      // behind cold starts (~0.3 s each), so their deadline leaves room for that.
      timeoutMs: name === 'spin' || name === 'sleep' ? 800 : 5_000,
      memoryMb: 64,
      files: { 'lambda_function.py': `def lambda_handler(event, context):\n    ${body}\n` }
    })
    t.equal(deployed.status, 201, `hostile-${name} deploys`)
  }
  const watch = new Watch(edge.url)
  await watch.start()
  const storm = async () => {
    const names = Object.keys(hostile)
    const answers = await Promise.all(names.map((n) => invoke(`hostile-${n}`, '{}')))
    answers.forEach((answer, i) => {
      t.equal(answer.status, 200, `${names[i]}: answered (${answer.text.slice(0, 200)})`)
      t.equal(answer.headers['x-amz-function-error'], 'Unhandled', `${names[i]}: a function error`)
    })
  }
  const lag = await lagOver(watch, MAX_LAG_MS, storm)
  const report = await watch.stop()
  t.strictSame(report.failures, [], `/healthz answered 200 throughout (${report.probes} probes)`)
  assertLag(t, 'while hostile Python ran', lag, MAX_LAG_MS)
  t.comment(`slowest /healthz ${report.maxProbeMs.toFixed(1)} ms; edge lag ${lag.ms.toFixed(1)} ms`)
  t.equal((await invoke('hello', '{}')).status, 200, 'the next call is fine')
})
