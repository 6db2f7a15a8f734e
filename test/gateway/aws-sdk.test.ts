import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  LambdaClient,
  ListFunctionsCommand,
  paginateListFunctions,
  type FunctionConfiguration
} from '@aws-sdk/client-lambda'
import { zipSync } from 'fflate'
import t, { type Test } from 'tap'
import { loadConfig } from '../../lib/config.js'
import { Edge } from '../../lib/edge.js'
import { SEED_WASM_BASE64, wat } from '../wasm/wat.js'

/**
 * The real AWS SDK against a real edge: every call goes through @aws-sdk/client-lambda's own
 * serializers and error parsing, so what passes here is what AWS clients see.
 */

const REGION = 'us-east-1'
const NODE = 'edge-aws'
const ROLE = 'arn:aws:iam::000000000000:role/swarm-lambda-test'

const sumWasm = new Uint8Array(
  await readFile(new URL('../../../functions/build/sum.wasm', import.meta.url))
)
const seedWasm = new Uint8Array(Buffer.from(SEED_WASM_BASE64, 'base64'))
const loopWasm = wat(`(module (memory (export "memory") 1)
  (func (export "execute") (param i32 i32) (result i32) (loop $l (br $l)) (i32.const 0)))`)
const trapWasm = wat(`(module (memory (export "memory") 1)
  (func (export "execute") (param i32 i32) (result i32) unreachable))`)

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('base64')
const json = (bytes: Uint8Array | undefined): unknown =>
  JSON.parse(Buffer.from(bytes ?? new Uint8Array(0)).toString('utf8'))
const payload = (value: unknown) => Buffer.from(JSON.stringify(value))
const arn = (name: string) => `arn:aws:lambda:${REGION}:000000000000:function:${name}`
const oneToThousand = Array.from({ length: 1000 }, (_, i) => i + 1)

const edge = new Edge(
  loadConfig(
    {
      port: '0',
      name: NODE,
      region: REGION,
      'state-dir': t.testdir(),
      'log-level': 'silent'
    },
    {}
  )
)
await edge.ready()
t.teardown(() => edge.close())

const client = new LambdaClient({
  endpoint: edge.url,
  region: REGION,
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  maxAttempts: 1
})
t.teardown(() => client.destroy())

/** Deploys `wasm` (zipped as `entry`, or raw when `entry` is null) under `name`. */
function create(
  name: string,
  wasm: Uint8Array,
  options: { entry?: string | null; timeout?: number; memory?: number } = {}
) {
  const entry = options.entry === undefined ? `${name}.wasm` : options.entry
  return client.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Role: ROLE,
      Runtime: 'provided.al2023',
      Handler: 'execute',
      Code: { ZipFile: entry === null ? wasm : zipSync({ [entry]: wasm }) },
      ...(options.timeout === undefined ? {} : { Timeout: options.timeout }),
      ...(options.memory === undefined ? {} : { MemorySize: options.memory })
    })
  )
}

/** The AWS-visible fields of a FunctionConfiguration, checked exactly. */
function checkConfiguration(
  t: Test,
  config: FunctionConfiguration | undefined,
  name: string,
  wasm: Uint8Array,
  limits: { timeout: number; memory: number } = { timeout: 3, memory: 128 }
) {
  t.ok(config, 'a configuration')
  if (config === undefined) return
  t.equal(config.FunctionName, name)
  t.equal(config.FunctionArn, arn(name))
  t.equal(config.Runtime, 'provided.al2023')
  t.equal(config.Role, ROLE)
  t.equal(config.Handler, 'execute')
  t.equal(config.CodeSize, wasm.length)
  t.equal(config.CodeSha256, sha256(wasm), 'CodeSha256 is of the .wasm, not of the zip')
  t.equal(config.Timeout, limits.timeout)
  t.equal(config.MemorySize, limits.memory)
  t.match(config.LastModified, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/)
  t.ok(Math.abs(Date.parse(config.LastModified ?? '') - Date.now()) < 60_000, 'modified now')
  t.equal(config.Version, '$LATEST')
  t.equal(config.State, 'Active')
  t.equal(config.LastUpdateStatus, 'Successful')
  t.equal(config.PackageType, 'Zip')
  t.same(config.Architectures, ['wasm32'])
}

t.test('CreateFunction with a zip holding one .wasm at its root', async (t) => {
  const out = await create('sdk-create-root', sumWasm)
  t.equal(out.$metadata.httpStatusCode, 201)
  checkConfiguration(t, out, 'sdk-create-root', sumWasm)
  t.not(sha256(zipSync({ 'sdk-create-root.wasm': sumWasm })), out.CodeSha256, 'not the zip hash')
})

t.test('CreateFunction with the .wasm in a zip subfolder, Timeout and MemorySize', async (t) => {
  const out = await create('sdk-create-nested', seedWasm, {
    entry: 'build/release/seed.wasm',
    timeout: 7,
    memory: 64
  })
  t.equal(out.$metadata.httpStatusCode, 201)
  checkConfiguration(t, out, 'sdk-create-nested', seedWasm, { timeout: 7, memory: 64 })
  const run = await client.send(
    new InvokeCommand({ FunctionName: 'sdk-create-nested', Payload: payload({ dataset: [2, 3] }) })
  )
  t.equal(run.StatusCode, 200)
  t.equal((json(run.Payload) as { result: number }).result, 5)
})

t.test('CreateFunction with the raw module bytes as ZipFile', async (t) => {
  const out = await create('sdk-create-raw', sumWasm, { entry: null })
  t.equal(out.$metadata.httpStatusCode, 201)
  checkConfiguration(t, out, 'sdk-create-raw', sumWasm)
})

t.test('CreateFunction on an existing name is a ResourceConflictException', async (t) => {
  await create('sdk-conflict', sumWasm)
  await t.rejects(create('sdk-conflict', seedWasm), {
    name: 'ResourceConflictException',
    $metadata: { httpStatusCode: 409 }
  })
  const kept = await client.send(
    new GetFunctionConfigurationCommand({ FunctionName: 'sdk-conflict' })
  )
  t.equal(kept.CodeSha256, sha256(sumWasm), 'the first deploy is untouched')
})

t.test(
  'CreateFunction with a zip holding no .wasm is an InvalidParameterValueException',
  async (t) => {
    const noWasm = zipSync({ 'README.md': Buffer.from('# nothing to run\n') })
    await t.rejects(
      client.send(
        new CreateFunctionCommand({
          FunctionName: 'sdk-no-wasm',
          Role: ROLE,
          Code: { ZipFile: noWasm }
        })
      ),
      { name: 'InvalidParameterValueException', $metadata: { httpStatusCode: 400 } }
    )
    const two = zipSync({ 'a.wasm': sumWasm, 'lib/b.wasm': seedWasm })
    await t.rejects(
      client.send(
        new CreateFunctionCommand({
          FunctionName: 'sdk-two-wasm',
          Role: ROLE,
          Code: { ZipFile: two }
        })
      ),
      { name: 'InvalidParameterValueException', $metadata: { httpStatusCode: 400 } }
    )
    for (const name of ['sdk-no-wasm', 'sdk-two-wasm']) {
      await t.rejects(client.send(new GetFunctionCommand({ FunctionName: name })), {
        name: 'ResourceNotFoundException'
      })
    }
  }
)

t.test('ListFunctions lists the created functions', async (t) => {
  await create('sdk-list-a', sumWasm)
  await create('sdk-list-b', seedWasm, { timeout: 2 })
  const out = await client.send(new ListFunctionsCommand({}))
  t.equal(out.$metadata.httpStatusCode, 200)
  const functions = out.Functions ?? []
  const names = functions.map((f) => f.FunctionName)
  t.ok(names.includes('sdk-list-a'), 'lists sdk-list-a')
  t.ok(names.includes('sdk-list-b'), 'lists sdk-list-b')
  t.same(names, [...names].sort(), 'sorted by name')
  checkConfiguration(
    t,
    functions.find((f) => f.FunctionName === 'sdk-list-a'),
    'sdk-list-a',
    sumWasm
  )
  checkConfiguration(
    t,
    functions.find((f) => f.FunctionName === 'sdk-list-b'),
    'sdk-list-b',
    seedWasm,
    { timeout: 2, memory: 128 }
  )
})

t.test('ListFunctions pages with MaxItems and Marker', async (t) => {
  for (const name of ['sdk-page-1', 'sdk-page-2', 'sdk-page-3']) await create(name, seedWasm)
  const all = ((await client.send(new ListFunctionsCommand({}))).Functions ?? []).map(
    (f) => f.FunctionName
  )
  const paged: (string | undefined)[] = []
  let pages = 0
  for await (const page of paginateListFunctions({ client, pageSize: 2 }, {})) {
    pages++
    const names = (page.Functions ?? []).map((f) => f.FunctionName)
    t.ok(names.length >= 1 && names.length <= 2, `page ${pages} holds ${names.length}`)
    paged.push(...names)
  }
  t.same(paged, all, 'the pages add up to the whole list, in order')
  t.equal(pages, Math.ceil(all.length / 2))
  const first = await client.send(new ListFunctionsCommand({ MaxItems: 1 }))
  t.equal(first.Functions?.length, 1)
  t.equal(first.NextMarker, all[0])
})

t.test('GetFunction: Configuration and a Code.Location that serves the module', async (t) => {
  await create('sdk-get', sumWasm, { timeout: 5, memory: 256 })
  const out = await client.send(new GetFunctionCommand({ FunctionName: 'sdk-get' }))
  t.equal(out.$metadata.httpStatusCode, 200)
  checkConfiguration(t, out.Configuration, 'sdk-get', sumWasm, { timeout: 5, memory: 256 })
  t.equal(out.Code?.Location, `${edge.url}/functions/sdk-get/wasm`)
  const download = await fetch(out.Code?.Location ?? '')
  t.equal(download.status, 200)
  t.equal(sha256(new Uint8Array(await download.arrayBuffer())), sha256(sumWasm))
  const byArn = await client.send(new GetFunctionCommand({ FunctionName: arn('sdk-get') }))
  t.equal(byArn.Configuration?.FunctionName, 'sdk-get', 'by ARN too')
})

t.test('GetFunctionConfiguration', async (t) => {
  await create('sdk-get-config', seedWasm, { memory: 32 })
  const out = await client.send(
    new GetFunctionConfigurationCommand({ FunctionName: 'sdk-get-config' })
  )
  t.equal(out.$metadata.httpStatusCode, 200)
  checkConfiguration(t, out, 'sdk-get-config', seedWasm, { timeout: 3, memory: 32 })
  const byArn = await client.send(
    new GetFunctionConfigurationCommand({ FunctionName: arn('sdk-get-config') })
  )
  t.equal(byArn.CodeSha256, sha256(seedWasm))
})

t.test('Invoke RequestResponse: sum of 1..1000', async (t) => {
  await create('sdk-invoke', sumWasm)
  const out = await client.send(
    new InvokeCommand({ FunctionName: 'sdk-invoke', Payload: payload({ dataset: oneToThousand }) })
  )
  t.equal(out.$metadata.httpStatusCode, 200)
  t.equal(out.StatusCode, 200)
  t.equal(out.FunctionError, undefined)
  t.equal(out.ExecutedVersion, '$LATEST')
  t.equal(out.LogResult, undefined, 'no log without LogType Tail')
  const body = json(out.Payload) as {
    result: number
    partial: boolean
    shards: { index: number; edge: string; attempts: number; ms: number; items: number }[]
  }
  t.equal(body.result, 500500)
  t.equal(body.partial, false)
  // A lone edge cuts the dataset into a shard per executor worker.
  t.same(
    body.shards.map((s) => s.index),
    body.shards.map((_, i) => i)
  )
  t.equal(
    body.shards.reduce((n, s) => n + s.items, 0),
    1000
  )
  for (const shard of body.shards) {
    t.match(shard, { edge: NODE, attempts: 1, failures: [], backup: false })
    t.ok(shard.ms >= 0, 'ms is not negative')
  }
  t.same(Object.keys(body).sort(), ['partial', 'result', 'shards'])
})

t.test('Invoke Event answers 202 with no payload', async (t) => {
  await create('sdk-event', sumWasm)
  const out = await client.send(
    new InvokeCommand({
      FunctionName: 'sdk-event',
      InvocationType: 'Event',
      Payload: payload({ dataset: oneToThousand })
    })
  )
  t.equal(out.$metadata.httpStatusCode, 202)
  t.equal(out.StatusCode, 202)
  t.equal(out.FunctionError, undefined)
  t.equal(out.Payload?.length ?? 0, 0)
})

t.test('Invoke DryRun answers 204, and still checks the payload', async (t) => {
  await create('sdk-dry-run', sumWasm)
  const out = await client.send(
    new InvokeCommand({
      FunctionName: 'sdk-dry-run',
      InvocationType: 'DryRun',
      Payload: payload({ dataset: [1, 2, 3] })
    })
  )
  t.equal(out.$metadata.httpStatusCode, 204)
  t.equal(out.StatusCode, 204)
  t.equal(out.Payload?.length ?? 0, 0)
  await t.rejects(
    client.send(
      new InvokeCommand({
        FunctionName: 'sdk-dry-run',
        InvocationType: 'DryRun',
        Payload: Buffer.from('{not json')
      })
    ),
    { name: 'InvalidRequestContentException', $metadata: { httpStatusCode: 400 } }
  )
})

t.test('Invoke with LogType Tail returns a base64 Lambda-style log', async (t) => {
  await create('sdk-tail', sumWasm, { memory: 64 })
  const out = await client.send(
    new InvokeCommand({
      FunctionName: 'sdk-tail',
      LogType: 'Tail',
      Payload: payload({ dataset: oneToThousand })
    })
  )
  t.equal(out.StatusCode, 200)
  t.equal((json(out.Payload) as { result: number }).result, 500500)
  t.type(out.LogResult, 'string')
  const requestId = out.$metadata.requestId ?? ''
  t.match(requestId, /^[0-9a-f-]{36}$/, 'the SDK read x-amzn-requestid')
  const log = Buffer.from(out.LogResult ?? '', 'base64').toString('utf8')
  t.match(log, `START RequestId: ${requestId} Version: $LATEST`)
  t.match(log, `END RequestId: ${requestId}`)
  t.match(log, `REPORT RequestId: ${requestId}`)
  t.match(log, /Duration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: 64 MB/)
  t.match(log, `shard 0: ${NODE}, 1 attempt(s)`)
  const items = [...log.matchAll(/, (\d+) items/g)].map((m) => Number(m[1]))
  t.equal(
    items.reduce((a, b) => a + b, 0),
    1000,
    'the shards cover the 1000 items'
  )
})

t.test('Invoke by ARN, with Qualifier $LATEST, and with name:$LATEST', async (t) => {
  await create('sdk-qualified', sumWasm)
  const request = { Payload: payload({ dataset: oneToThousand }) }
  for (const call of [
    { FunctionName: arn('sdk-qualified') },
    { FunctionName: 'sdk-qualified', Qualifier: '$LATEST' },
    { FunctionName: arn('sdk-qualified'), Qualifier: '$LATEST' },
    { FunctionName: 'sdk-qualified:$LATEST' },
    { FunctionName: `${arn('sdk-qualified')}:$LATEST` },
    { FunctionName: '000000000000:function:sdk-qualified' }
  ]) {
    const out = await client.send(new InvokeCommand({ ...call, ...request }))
    t.equal(out.StatusCode, 200, JSON.stringify(call))
    t.equal(out.ExecutedVersion, '$LATEST')
    t.equal((json(out.Payload) as { result: number }).result, 500500)
  }
})

t.test('Invoke with a Qualifier other than $LATEST is a ResourceNotFoundException', async (t) => {
  await create('sdk-version', sumWasm)
  const request = { Payload: payload({ dataset: [1, 2] }) }
  // A qualifier in the name itself (`name:7`, `arn:...:name:7`) is refused.
  for (const FunctionName of ['sdk-version:7', `${arn('sdk-version')}:7`]) {
    await t.rejects(client.send(new InvokeCommand({ FunctionName, ...request })), {
      name: 'ResourceNotFoundException',
      $metadata: { httpStatusCode: 404 }
    })
  }
  // The SDK sends Qualifier as `?Qualifier=7`: a version that does not exist, whatever the path
  // says (a versioned DeleteFunction must not delete the function).
  await t.rejects(
    client.send(new InvokeCommand({ FunctionName: 'sdk-version', Qualifier: '7', ...request })),
    { name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } },
    'Invoke ?Qualifier=7'
  )
  await t.rejects(
    client.send(new GetFunctionCommand({ FunctionName: 'sdk-version', Qualifier: '7' })),
    { name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } },
    'GetFunction ?Qualifier=7'
  )
  await t.rejects(
    client.send(
      new GetFunctionConfigurationCommand({ FunctionName: 'sdk-version', Qualifier: '7' })
    ),
    { name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } },
    'GetFunctionConfiguration ?Qualifier=7'
  )
  await t.rejects(
    client.send(new DeleteFunctionCommand({ FunctionName: 'sdk-version', Qualifier: '7' })),
    { name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } },
    'DeleteFunction ?Qualifier=7'
  )
  await t.resolves(
    client.send(new GetFunctionCommand({ FunctionName: 'sdk-version' })),
    'DeleteFunction ?Qualifier=7 left the function in place'
  )
})

t.test('a trap is a function error: 200 with FunctionError Unhandled, not thrown', async (t) => {
  await create('sdk-trap', trapWasm)
  const out = await client.send(
    new InvokeCommand({ FunctionName: 'sdk-trap', Payload: payload({ dataset: [1, 2, 3] }) })
  )
  t.equal(out.$metadata.httpStatusCode, 200)
  t.equal(out.StatusCode, 200)
  t.equal(out.FunctionError, 'Unhandled')
  t.equal(out.ExecutedVersion, '$LATEST')
  const error = json(out.Payload) as { errorType: string; errorMessage: string }
  t.equal(error.errorType, 'Runtime.Trap')
  // Both shards trap (one per worker, run at once): whichever answers first is named.
  t.match(
    error.errorMessage,
    new RegExp(`^shard [01] on ${NODE}: The function trapped: .*unreachable`)
  )

  const tail = await client.send(
    new InvokeCommand({
      FunctionName: 'sdk-trap',
      LogType: 'Tail',
      Payload: payload({ dataset: [1] })
    })
  )
  t.equal(tail.FunctionError, 'Unhandled')
  const log = Buffer.from(tail.LogResult ?? '', 'base64').toString('utf8')
  t.match(log, 'ERROR Runtime.Trap (FUNCTION_TRAP)')
  t.match(log, `END RequestId: ${tail.$metadata.requestId}`)
})

t.test('a timeout is a function error: Sandbox.Timedout, not thrown', async (t) => {
  const created = await create('sdk-timeout', loopWasm, { timeout: 1 })
  t.equal(created.Timeout, 1)
  const started = Date.now()
  const out = await client.send(
    new InvokeCommand({ FunctionName: 'sdk-timeout', Payload: payload({ dataset: [1] }) })
  )
  const elapsed = Date.now() - started
  t.equal(out.StatusCode, 200)
  t.equal(out.FunctionError, 'Unhandled')
  const error = json(out.Payload) as { errorType: string; errorMessage: string }
  t.equal(error.errorType, 'Sandbox.Timedout')
  t.equal(error.errorMessage, `shard 0 on ${NODE}: The function timed out after 1000 ms`)
  t.ok(elapsed >= 900 && elapsed < 10_000, `stopped near its 1 s timeout (${elapsed} ms)`)
})

t.test('unknown functions are ResourceNotFoundException, by name', async (t) => {
  const missing = { name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } }
  const FunctionName = 'sdk-no-such-function'
  await t.rejects(
    client.send(new InvokeCommand({ FunctionName, Payload: payload({ dataset: [1] }) })),
    missing
  )
  await t.rejects(client.send(new InvokeCommand({ FunctionName: arn(FunctionName) })), missing)
  await t.rejects(client.send(new GetFunctionCommand({ FunctionName })), missing)
  await t.rejects(client.send(new GetFunctionConfigurationCommand({ FunctionName })), missing)
  await t.rejects(client.send(new DeleteFunctionCommand({ FunctionName })), missing)
  const err = await client.send(new GetFunctionCommand({ FunctionName })).then(
    () => null,
    (e: unknown) => e as Error & { $metadata: { httpStatusCode?: number } }
  )
  t.equal(err?.name, 'ResourceNotFoundException')
  t.equal(err?.$metadata.httpStatusCode, 404)
  t.match(err?.message, FunctionName)
})

t.test('bad payloads are InvalidRequestContentException', async (t) => {
  await create('sdk-bad-payload', sumWasm)
  for (const body of [
    Buffer.from('{not json'),
    payload({ dataset: [1.5] }),
    payload({ dataset: [] }),
    payload({ dataset: ['1'] })
  ]) {
    await t.rejects(
      client.send(new InvokeCommand({ FunctionName: 'sdk-bad-payload', Payload: body })),
      { name: 'InvalidRequestContentException', $metadata: { httpStatusCode: 400 } },
      body.toString()
    )
  }
})

t.test('DeleteFunction, then the function is gone', async (t) => {
  await create('sdk-delete', sumWasm)
  const out = await client.send(new DeleteFunctionCommand({ FunctionName: 'sdk-delete' }))
  t.equal(out.$metadata.httpStatusCode, 204)
  const missing = { name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } }
  await t.rejects(client.send(new GetFunctionCommand({ FunctionName: 'sdk-delete' })), missing)
  await t.rejects(
    client.send(
      new InvokeCommand({ FunctionName: 'sdk-delete', Payload: payload({ dataset: [1] }) })
    ),
    missing
  )
  await t.rejects(client.send(new DeleteFunctionCommand({ FunctionName: 'sdk-delete' })), missing)
  const names = ((await client.send(new ListFunctionsCommand({}))).Functions ?? []).map(
    (f) => f.FunctionName
  )
  t.notOk(names.includes('sdk-delete'), 'not listed')
  // The name is free again: CreateFunction succeeds and starts over.
  const again = await create('sdk-delete', seedWasm)
  t.equal(again.$metadata.httpStatusCode, 201)
  t.equal(again.CodeSha256, sha256(seedWasm))
})
