import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetFunctionCommand,
  InvokeCommand,
  LambdaClient,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  type FunctionConfiguration
} from '@aws-sdk/client-lambda'
import { strToU8, unzipSync, zipSync } from 'fflate'
import t, { type Test } from 'tap'
import { request } from 'undici'
import { converge, eventually, startCluster, type TestEdge } from '../support/cluster.js'
import { stop, which } from '../support/processes.js'
import { awsCli } from '../support/aws-cli.js'

// JavaScript functions through AWS's own clients against a three-edge mesh: the AWS SDK and the
// AWS CLI create a CommonJS and an ES module function from zips, invoke them (with the Tail
// log), update their code and configuration, read them back and delete them; each change is
// made on one edge and must show on every edge, with the old code never answering again.

const REGION = 'us-east-1'
const ROLE = 'arn:aws:iam::000000000000:role/swarm-lambda-test'
const EVENT = '{"n":21}'
/** Invocations per edge that must all answer the new code once it has arrived. */
const REPEATS = 6

/** A function's two versions of code and what each answers to EVENT. */
interface Package {
  handler: string
  /** The console line v1 writes for EVENT (what the Tail log must carry). */
  logLine: string
  v1: Record<string, string>
  v2: Record<string, string>
  answers: { v1: string; v2: string; v2WithGreeting: string }
}

/** CommonJS, one file, then two (a require of a nested file); handler `app.main`. */
const COMMONJS: Package = {
  handler: 'app.main',
  logLine: 'cjs v1 got 21',
  v1: {
    'app.js': `exports.main = async (event) => {
  console.log('cjs v1 got', event.n)
  return { v: 1, twice: event.n * 2, greeting: process.env.GREETING ?? null }
}
`
  },
  v2: {
    'app.js': `const { triple } = require('./lib/math.js')
exports.main = async (event) => ({ v: 2, thrice: triple(event.n), greeting: process.env.GREETING ?? null })
`,
    'lib/math.js': 'exports.triple = (n) => n * 3\n'
  },
  answers: {
    v1: '{"v":1,"twice":42,"greeting":null}',
    v2: '{"v":2,"thrice":63,"greeting":null}',
    v2WithGreeting: '{"v":2,"thrice":63,"greeting":"ahoy"}'
  }
}

/** An ES module package (package.json "type": "module"), an entry importing a second file. */
const ESM: Package = {
  handler: 'index.handler',
  logLine: 'esm v1 got 21',
  v1: {
    'package.json': '{ "type": "module" }\n',
    'index.js': `import { double } from './lib/math.js'
export const handler = async (event) => {
  console.log('esm v1 got', event.n)
  return { v: 1, esm: true, twice: double(event.n), greeting: process.env.GREETING ?? null }
}
`,
    'lib/math.js': 'export const double = (n) => n * 2\n'
  },
  v2: {
    'package.json': '{ "type": "module" }\n',
    'index.js': `import { double } from './lib/math.js'
export const handler = async (event) => ({ v: 2, esm: true, twice: double(event.n), greeting: process.env.GREETING ?? null })
`,
    'lib/math.js': 'export const double = (n) => n * 2 + 1000\n'
  },
  answers: {
    v1: '{"v":1,"esm":true,"twice":42,"greeting":null}',
    v2: '{"v":2,"esm":true,"twice":1042,"greeting":null}',
    v2WithGreeting: '{"v":2,"esm":true,"twice":1042,"greeting":"ahoy"}'
  }
}

const zip = (files: Record<string, string>) =>
  zipSync(Object.fromEntries(Object.entries(files).map(([path, text]) => [path, strToU8(text)])))

/** An invocation's answer, however the client reports it. */
interface Invoked {
  status: number | undefined
  payload: string
  functionError: string | undefined
  /** The decoded Tail log ('' without one). */
  log: string
  /** The request id the client saw, when it shows it (the CLI does not). */
  requestId: string | undefined
}

/** GetFunction's answer, as far as this test reads it. */
interface GotFunction {
  Configuration?: FunctionConfiguration
  Code?: { Location?: string }
}

/** One AWS client, driving a function's lifecycle on a chosen edge. */
interface Driver {
  create(edge: TestEdge, name: string, pkg: Package): Promise<FunctionConfiguration>
  invoke(edge: TestEdge, name: string, tail: boolean): Promise<Invoked>
  updateCode(
    edge: TestEdge,
    name: string,
    files: Record<string, string>
  ): Promise<FunctionConfiguration>
  updateEnvironment(
    edge: TestEdge,
    name: string,
    variables: Record<string, string>
  ): Promise<FunctionConfiguration>
  get(edge: TestEdge, name: string): Promise<GotFunction>
  delete(edge: TestEdge, name: string): Promise<void>
  /** Asserts that GetFunction on `edge` is a ResourceNotFoundException. */
  gone(t: Test, edge: TestEdge, name: string): Promise<void>
}

const { edges } = await startCluster(t, 3)
t.teardown(async () => {
  for (const edge of edges) {
    if (edge.child.exitCode === null && edge.child.signalCode === null) await stop(edge.child)
  }
})
await converge(edges)
const [a, b, c] = edges as [TestEdge, TestEdge, TestEdge]

const clients = new Map(
  edges.map((edge) => {
    const client = new LambdaClient({
      endpoint: edge.url,
      region: REGION,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1
    })
    return [edge, client] as const
  })
)
t.teardown(() => {
  for (const client of clients.values()) client.destroy()
})
const clientOf = (edge: TestEdge) => clients.get(edge) as LambdaClient

/** Invoke with the SDK on one edge. */
async function sdkInvoke(edge: TestEdge, name: string, tail = false): Promise<Invoked> {
  const out = await clientOf(edge).send(
    new InvokeCommand({
      FunctionName: name,
      Payload: Buffer.from(EVENT),
      ...(tail ? { LogType: 'Tail' as const } : {})
    })
  )
  return {
    status: out.StatusCode,
    payload: Buffer.from(out.Payload ?? new Uint8Array(0)).toString('utf8'),
    functionError: out.FunctionError,
    log: Buffer.from(out.LogResult ?? '', 'base64').toString('utf8'),
    requestId: out.$metadata.requestId
  }
}

const sdk: Driver = {
  create: (edge, name, pkg) =>
    clientOf(edge).send(
      new CreateFunctionCommand({
        FunctionName: name,
        Role: ROLE,
        Runtime: 'nodejs20.x',
        Handler: pkg.handler,
        Code: { ZipFile: zip(pkg.v1) }
      })
    ),
  invoke: sdkInvoke,
  updateCode: (edge, name, files) =>
    clientOf(edge).send(new UpdateFunctionCodeCommand({ FunctionName: name, ZipFile: zip(files) })),
  updateEnvironment: (edge, name, variables) =>
    clientOf(edge).send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: name,
        Environment: { Variables: variables }
      })
    ),
  get: (edge, name) => clientOf(edge).send(new GetFunctionCommand({ FunctionName: name })),
  delete: async (edge, name) => {
    const out = await clientOf(edge).send(new DeleteFunctionCommand({ FunctionName: name }))
    if (out.$metadata.httpStatusCode !== 204) {
      throw new Error(`DeleteFunction: ${out.$metadata.httpStatusCode}`)
    }
  },
  gone: async (t, edge, name) => {
    await t.rejects(clientOf(edge).send(new GetFunctionCommand({ FunctionName: name })), {
      name: 'ResourceNotFoundException',
      $metadata: { httpStatusCode: 404 }
    })
  }
}

/** The AWS CLI (v1 or v2) on `aws`, with dummy credentials and files in `home`. */
async function cliDriver(aws: string, home: string): Promise<Driver> {
  const cli = await awsCli(aws, home, REGION)
  const run = (edge: TestEdge, args: string[]) => cli.run('lambda', args, edge.url)
  const ok = (edge: TestEdge, args: string[]) => cli.ok('lambda', args, edge.url)
  let zips = 0
  const zipFile = async (files: Record<string, string>) => {
    const path = join(home, `code-${++zips}.zip`)
    await writeFile(path, zip(files))
    return `fileb://${path}`
  }
  return {
    create: async (edge, name, pkg) =>
      ok(edge, [
        'create-function',
        '--function-name',
        name,
        '--runtime',
        'nodejs20.x',
        '--role',
        ROLE,
        '--handler',
        pkg.handler,
        '--zip-file',
        await zipFile(pkg.v1)
      ]),
    invoke: async (edge, name, tail) => {
      const outfile = join(home, 'answer.json')
      const out = await ok(edge, [
        'invoke',
        '--function-name',
        name,
        '--payload',
        EVENT,
        ...(tail ? ['--log-type', 'Tail'] : []),
        outfile
      ])
      return {
        status: out.StatusCode as number | undefined,
        payload: await readFile(outfile, 'utf8'),
        functionError: out.FunctionError as string | undefined,
        log: Buffer.from((out.LogResult as string | undefined) ?? '', 'base64').toString('utf8'),
        requestId: undefined
      }
    },
    updateCode: async (edge, name, files) =>
      ok(edge, [
        'update-function-code',
        '--function-name',
        name,
        '--zip-file',
        await zipFile(files)
      ]),
    updateEnvironment: (edge, name, variables) =>
      ok(edge, [
        'update-function-configuration',
        '--function-name',
        name,
        '--environment',
        JSON.stringify({ Variables: variables })
      ]),
    get: (edge, name) => ok(edge, ['get-function', '--function-name', name]),
    delete: async (edge, name) => {
      await ok(edge, ['delete-function', '--function-name', name])
    },
    gone: async (t, edge, name) => {
      const ran = await run(edge, ['get-function', '--function-name', name])
      t.not(ran.code, 0, 'the CLI fails')
      t.match(ran.err, /\(ResourceNotFoundException\) when calling the GetFunction operation/)
    }
  }
}

/** Invokes on `edge` until it answers `body` (a change still replicating answers otherwise). */
const answersOn = (edge: TestEdge, name: string, body: string) =>
  eventually(`${name} on ${edge.name} answers ${body}`, async () =>
    (await sdkInvoke(edge, name)).payload === body ? true : undefined
  )

/**
 * Asserts that every edge answers `body`, and then on each of REPEATS more invocations, sent at
 * once so that every worker of the edge (each with its own warm container) takes some.
 */
async function everyEdgeAnswers(t: Test, name: string, body: string) {
  for (const edge of edges) {
    await answersOn(edge, name, body)
    const answers = await Promise.all(Array.from({ length: REPEATS }, () => sdkInvoke(edge, name)))
    answers.forEach((answer, i) => {
      t.equal(answer.status, 200)
      t.equal(answer.functionError, undefined)
      t.equal(answer.payload, body, `${edge.name}, invocation ${i + 1}: ${body}`)
    })
  }
}

/** The files of the zip that GetFunction's Code.Location serves. */
async function downloaded(location: string): Promise<Record<string, string>> {
  const res = await request(location)
  if (res.statusCode !== 200) throw new Error(`GET ${location}: ${res.statusCode}`)
  if (res.headers['content-type'] !== 'application/zip') throw new Error('not a zip')
  const files = unzipSync(new Uint8Array(await res.body.arrayBuffer()))
  return Object.fromEntries(
    Object.entries(files)
      .filter(([path]) => !path.endsWith('/'))
      .map(([path, bytes]) => [path, Buffer.from(bytes).toString('utf8')])
  )
}

/** Asserts a Tail log: START, the console line, END and REPORT, all of one request. */
function checkTail(t: Test, log: string, logLine: string, requestId: string | undefined) {
  const lines = log.replace(/\n$/, '').split('\n')
  const start = /^START RequestId: ([0-9a-f-]{36}) Version: \$LATEST$/.exec(lines[0] ?? '')
  t.ok(start, `a START line: ${lines[0]}`)
  const id = start?.[1] ?? ''
  if (requestId !== undefined) t.equal(id, requestId, 'the log names the request')
  t.match(
    lines.find((l) => l.endsWith(logLine)),
    new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z\\t${id}\\tINFO\\t${logLine}$`),
    'the console.log line, Lambda-style'
  )
  t.equal(lines.at(-2), `END RequestId: ${id}`)
  t.match(
    lines.at(-1),
    new RegExp(
      `^REPORT RequestId: ${id}\\tDuration: \\d+\\.\\d{2} ms\\tBilled Duration: \\d+ ms\\tMemory Size: 128 MB$`
    )
  )
}

/** Create, invoke, Tail, update code, update configuration, get and delete, across the edges. */
async function lifecycle(t: Test, driver: Driver, name: string, pkg: Package) {
  const created = await driver.create(a, name, pkg)
  t.equal(created.FunctionName, name)
  t.equal(created.Runtime, 'nodejs20.x')
  t.equal(created.Handler, pkg.handler)

  const first = await driver.invoke(a, name, true)
  t.equal(first.status, 200)
  t.equal(first.functionError, undefined)
  t.equal(first.payload, pkg.answers.v1, 'the exact payload')
  checkTail(t, first.log, pkg.logLine, first.requestId)
  await everyEdgeAnswers(t, name, pkg.answers.v1)

  const updated = await driver.updateCode(b, name, pkg.v2)
  t.equal(updated.Handler, pkg.handler)
  t.not(updated.CodeSha256, created.CodeSha256, 'a new CodeSha256')
  const second = await driver.invoke(b, name, false)
  t.equal(second.payload, pkg.answers.v2, 'the edge that took the update runs it at once')
  await everyEdgeAnswers(t, name, pkg.answers.v2)

  const configured = await driver.updateEnvironment(c, name, { GREETING: 'ahoy' })
  t.match(configured.Environment?.Variables, { GREETING: 'ahoy' })
  t.equal(configured.CodeSha256, updated.CodeSha256, 'the code is kept')
  await everyEdgeAnswers(t, name, pkg.answers.v2WithGreeting)

  for (const edge of edges) {
    const got = await driver.get(edge, name)
    t.equal(got.Configuration?.Runtime, 'nodejs20.x', `${edge.name}: Runtime`)
    t.equal(got.Configuration?.Handler, pkg.handler, `${edge.name}: Handler`)
    t.equal(got.Configuration?.CodeSha256, updated.CodeSha256)
    t.match(got.Code?.Location, new RegExp(`^${edge.url}/functions/${name}/code$`))
    t.strictSame(await downloaded(got.Code?.Location ?? ''), pkg.v2, `${edge.name}: the v2 files`)
  }

  await driver.delete(b, name)
  for (const edge of edges) {
    await eventually(`${name} deleted on ${edge.name}`, async () =>
      clientOf(edge)
        .send(new GetFunctionCommand({ FunctionName: name }))
        .then(
          () => undefined,
          (err: Error) => (err.name === 'ResourceNotFoundException' ? true : undefined)
        )
    )
    await driver.gone(t, edge, name)
    await t.rejects(
      clientOf(edge).send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from(EVENT) })),
      { name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } },
      `${edge.name}: Invoke is a 404 ResourceNotFoundException`
    )
  }
}

t.test('the AWS SDK: CommonJS', (t) => lifecycle(t, sdk, 'sdk-cjs', COMMONJS))
t.test('the AWS SDK: ES modules', (t) => lifecycle(t, sdk, 'sdk-esm', ESM))

const aws = await which('aws')
const skip = aws === null ? 'the AWS CLI is not installed (.ci/run installs Debian awscli)' : false
t.test('the AWS CLI: CommonJS', { skip }, async (t) => {
  if (aws !== null) await lifecycle(t, await cliDriver(aws, t.testdir()), 'cli-cjs', COMMONJS)
})
t.test('the AWS CLI: ES modules', { skip }, async (t) => {
  if (aws !== null) await lifecycle(t, await cliDriver(aws, t.testdir()), 'cli-esm', ESM)
})
