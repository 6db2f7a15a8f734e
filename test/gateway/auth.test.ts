import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  InvokeCommand,
  LambdaClient,
  ListFunctionsCommand
} from '@aws-sdk/client-lambda'
import { Hash } from '@smithy/hash-node'
import { SignatureV4 } from '@smithy/signature-v4'
import { zipSync } from 'fflate'
import t, { type Test } from 'tap'
import { loadConfig } from '../../lib/config.js'
import { Edge } from '../../lib/edge.js'
import { which } from '../support/processes.js'
import { Authenticator, MAX_CLOCK_SKEW_MS } from '../../lib/gateway/auth.js'
import type { Request } from '../../lib/gateway/server.js'
import { SwarmError } from '../../lib/errors.js'

/**
 * Control-plane credentials: SigV4 (the AWS SDK and CLI) and Bearer (curl), verified by the
 * edge; unit cases against the Authenticator with a fixed clock, then a real edge with keys
 * driven by the AWS SDK, the AWS CLI (when installed) and plain HTTP.
 */

const KEY = { id: 'AKIDSWARMTEST', secret: 'swarm-test-secret-0123456789' }
const OTHER = { id: 'AKIDOTHER', secret: 'other-secret-abcdefgh' }
const NOW = Date.UTC(2026, 10, 22, 12, 0, 0)

/** Signs like the SDK does, then turns the result into the gateway's Request. */
async function signed(
  key: { id: string; secret: string },
  init: { method: string; path: string; body?: string; at?: number; query?: string }
): Promise<Request> {
  const body = Buffer.from(init.body ?? '')
  const signer = new SignatureV4({
    credentials: { accessKeyId: key.id, secretAccessKey: key.secret },
    region: 'us-east-1',
    service: 'lambda',
    sha256: Hash.bind(null, 'sha256')
  })
  const query = Object.fromEntries(new URLSearchParams(init.query ?? ''))
  const out = await signer.sign(
    {
      method: init.method,
      protocol: 'http:',
      hostname: '127.0.0.1',
      port: 8787,
      path: init.path,
      query,
      headers: { host: '127.0.0.1:8787', 'content-type': 'application/json' },
      body
    },
    { signingDate: new Date(init.at ?? NOW) }
  )
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(out.headers)) headers[name.toLowerCase()] = value
  const search = init.query === undefined ? '' : `?${init.query}`
  return request(init.method, init.path + search, headers, body)
}

function request(
  method: string,
  target: string,
  headers: Record<string, string>,
  body = Buffer.alloc(0)
): Request {
  const url = new URL(target, 'http://edge.invalid')
  return {
    method,
    url,
    rawPath: target.split('?')[0] as string,
    rawQuery: url.search.slice(1),
    headers,
    rawHeaders: Object.entries(headers).flat(),
    sourceIp: '127.0.0.1',
    protocol: 'HTTP/1.1',
    params: [],
    body,
    requestId: 'r',
    principal: null
  }
}

async function refusal(t: Test, promise: Promise<unknown>, code: string, awsType: string) {
  const err = await promise.then(
    () => null,
    (e: unknown) => e
  )
  t.ok(err instanceof SwarmError, `refused (${code})`)
  if (err instanceof SwarmError) {
    t.equal(err.code, code)
    t.equal(err.status, 403)
    t.equal(err.awsType, awsType)
  }
}

const auth = new Authenticator([KEY, OTHER], false, () => NOW)
const deploy = { method: 'POST', path: '/2015-03-31/functions', body: '{"FunctionName":"x"}' }

t.test('a SigV4 request signed with a known key passes, as that key', async (t) => {
  t.equal(await auth.check('control', await signed(KEY, deploy)), KEY.id)
  t.equal(await auth.check('control', await signed(OTHER, deploy)), OTHER.id)
  const listed = await signed(KEY, {
    method: 'GET',
    path: '/2015-03-31/functions/',
    query: 'MaxItems=2&Marker=a%20b'
  })
  t.equal(await auth.check('control', listed), KEY.id, 'query parameters are covered')
  const arn = await signed(KEY, {
    method: 'POST',
    path: '/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Asum/invocations',
    body: '[1,2]'
  })
  t.equal(await auth.check('control', arn), KEY.id, 'an escaped ARN path is covered as sent')
})

t.test('a changed body, path, method or header breaks the signature', async (t) => {
  const good = await signed(KEY, deploy)
  const cases: Request[] = [
    { ...good, body: Buffer.from('{"FunctionName":"y"}') },
    { ...good, rawPath: '/2015-03-31/functions/other' },
    { ...good, method: 'PUT' },
    { ...good, headers: { ...good.headers, 'content-type': 'text/plain' } },
    { ...good, headers: { ...good.headers, host: 'evil.example:8787' } }
  ]
  for (const changed of cases) {
    await refusal(
      t,
      auth.check('control', changed),
      'INVALID_SIGNATURE',
      'InvalidSignatureException'
    )
  }
  const wrongSecret = await signed({ id: KEY.id, secret: 'not-the-secret-at-all' }, deploy)
  await refusal(
    t,
    auth.check('control', wrongSecret),
    'INVALID_SIGNATURE',
    'InvalidSignatureException'
  )
  const unsigned = {
    ...good,
    headers: { ...good.headers, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' }
  }
  await refusal(
    t,
    auth.check('control', unsigned),
    'INVALID_SIGNATURE',
    'InvalidSignatureException'
  )
})

t.test('an unknown key id is UnrecognizedClientException', async (t) => {
  const stranger = await signed({ id: 'AKIDSTRANGER', secret: KEY.secret }, deploy)
  await refusal(
    t,
    auth.check('control', stranger),
    'UNRECOGNIZED_CLIENT',
    'UnrecognizedClientException'
  )
})

t.test(
  'a request signed more than 5 minutes away from the clock is refused (replay)',
  async (t) => {
    const old = await signed(KEY, { ...deploy, at: NOW - MAX_CLOCK_SKEW_MS - 1_000 })
    await refusal(t, auth.check('control', old), 'SIGNATURE_EXPIRED', 'InvalidSignatureException')
    const future = await signed(KEY, { ...deploy, at: NOW + MAX_CLOCK_SKEW_MS + 1_000 })
    await refusal(
      t,
      auth.check('control', future),
      'SIGNATURE_EXPIRED',
      'InvalidSignatureException'
    )
    const recent = await signed(KEY, { ...deploy, at: NOW - MAX_CLOCK_SKEW_MS + 1_000 })
    t.equal(await auth.check('control', recent), KEY.id, 'four minutes old still passes')
  }
)

t.test(
  'malformed Authorization headers are refused, never thrown past the catalogue',
  async (t) => {
    const good = await signed(KEY, deploy)
    const variants = [
      'AWS4-HMAC-SHA256',
      'AWS4-HMAC-SHA256 Credential=AKIDSWARMTEST/20261122/us-east-1/lambda/aws4_request',
      String(good.headers.authorization).replace(/Signature=[0-9a-f]+/, 'Signature=zz'),
      String(good.headers.authorization).replace('SignedHeaders=', 'SignedHeaders=x-missing;')
    ]
    for (const authorization of variants) {
      const bad = { ...good, headers: { ...good.headers, authorization } }
      await refusal(t, auth.check('control', bad), 'INVALID_SIGNATURE', 'InvalidSignatureException')
    }
    const noDate = { ...good, headers: { ...good.headers } }
    delete noDate.headers['x-amz-date']
    await refusal(
      t,
      auth.check('control', noDate),
      'INVALID_SIGNATURE',
      'InvalidSignatureException'
    )
    for (const authorization of [undefined, '', 'Basic dXNlcjpwYXNz', 'Digest x']) {
      const headers: Record<string, string> = authorization === undefined ? {} : { authorization }
      const bare = request('POST', '/functions', headers)
      await refusal(
        t,
        auth.check('control', bare),
        'MISSING_AUTHENTICATION',
        'MissingAuthenticationTokenException'
      )
    }
  }
)

t.test('Bearer ID:SECRET for curl users', async (t) => {
  const bearer = (token: string) =>
    request('POST', '/functions', { authorization: `Bearer ${token}` })
  t.equal(await auth.check('control', bearer(`${KEY.id}:${KEY.secret}`)), KEY.id)
  for (const token of [KEY.secret, `${KEY.id}:${OTHER.secret}`, `${KEY.id}:${KEY.secret}x`, '']) {
    await refusal(t, auth.check('control', bearer(token)), 'ACCESS_DENIED', 'AccessDeniedException')
  }
})

t.test('open routes, open invocations, and no keys at all', async (t) => {
  const bare = request('POST', '/2015-03-31/functions/sum/invocations', {})
  t.equal(await auth.check('open', bare), null)
  t.equal(await auth.check('invoke', bare), null, 'invocations are open by default')
  const strict = new Authenticator([KEY], true, () => NOW)
  await refusal(
    t,
    strict.check('invoke', bare),
    'MISSING_AUTHENTICATION',
    'MissingAuthenticationTokenException'
  )
  t.equal(await strict.check('invoke', await signed(KEY, deploy)), KEY.id)
  const none = new Authenticator([], false)
  t.equal(none.enabled, false)
  t.equal(await none.check('control', bare), null, 'an edge without keys is open')
})

t.test('config: keys and invoke auth are validated', async (t) => {
  const config = loadConfig(
    {
      'access-keys': `${KEY.id}:${KEY.secret}, ${OTHER.id}:${OTHER.secret}`,
      'invoke-auth': 'required'
    },
    {}
  )
  t.same(config.accessKeys, [KEY, OTHER])
  t.equal(config.invokeAuth, true)
  t.throws(() => loadConfig({ 'access-keys': 'no-colon' }, {}), /is not id:secret/)
  t.throws(() => loadConfig({ 'access-keys': 'id:short' }, {}), /is not id:secret/)
  t.throws(() => loadConfig({ 'invoke-auth': 'required' }, {}), /required needs access keys/)
  t.throws(
    () => loadConfig({ 'access-keys': 'a:12345678', 'invoke-auth': 'yes' }, {}),
    /not open or required/
  )
})

// A real edge with keys: the AWS SDK, the AWS CLI, and plain HTTP.
const edge = new Edge(
  loadConfig(
    { port: '0', name: 'edge-auth', 'state-dir': t.testdir(), 'log-level': 'silent' },
    { SWARMLAMBDA_ACCESS_KEYS: `${KEY.id}:${KEY.secret}` }
  )
)
await edge.ready()
t.teardown(() => edge.close())
const sum = new Uint8Array(
  await readFile(new URL('../../../functions/build/sum.wasm', import.meta.url))
)
const lambda = (key: { id: string; secret: string }) =>
  new LambdaClient({
    endpoint: edge.url,
    region: 'us-east-1',
    credentials: { accessKeyId: key.id, secretAccessKey: key.secret },
    maxAttempts: 1
  })

t.test(
  'the AWS SDK deploys and invokes with the right key, and is refused with a wrong one',
  async (t) => {
    const good = lambda(KEY)
    t.teardown(() => good.destroy())
    const created = await good.send(
      new CreateFunctionCommand({
        FunctionName: 'sdk-sum',
        Role: 'arn:aws:iam::000000000000:role/x',
        Code: { ZipFile: sum }
      })
    )
    t.equal(created.FunctionName, 'sdk-sum')
    const out = await good.send(
      new InvokeCommand({ FunctionName: 'sdk-sum', Payload: Buffer.from('[1,2,3]') })
    )
    t.equal(out.StatusCode, 200)
    t.match(JSON.parse(Buffer.from(out.Payload ?? []).toString()), { result: 6 })

    for (const [key, name] of [
      [{ id: KEY.id, secret: 'wrong-secret-0123456789' }, 'InvalidSignatureException'],
      [{ id: 'AKIDSTRANGER', secret: KEY.secret }, 'UnrecognizedClientException']
    ] as const) {
      const bad = lambda(key)
      t.teardown(() => bad.destroy())
      const err = await bad.send(new ListFunctionsCommand({})).then(
        () => null,
        (e: unknown) => e as { name: string; $metadata: { httpStatusCode?: number } }
      )
      t.equal(err?.name, name)
      t.equal(err?.$metadata.httpStatusCode, 403)
      const deleted = await bad.send(new DeleteFunctionCommand({ FunctionName: 'sdk-sum' })).then(
        () => 'deleted',
        (e: unknown) => (e as { name: string }).name
      )
      t.equal(deleted, name, 'a wrong key deletes nothing')
    }
    const listed = await good.send(new ListFunctionsCommand({}))
    t.same(
      listed.Functions?.map((f) => f.FunctionName),
      ['sdk-sum'],
      'still there'
    )
  }
)

t.test('plain HTTP: Bearer for curl users, 403 AWS-shaped without, invocations open', async (t) => {
  const body = JSON.stringify({
    name: 'curl-sum',
    wasm_base64: Buffer.from(sum).toString('base64')
  })
  const refused = await fetch(`${edge.url}/functions`, { method: 'POST', body })
  t.equal(refused.status, 403)
  t.equal(refused.headers.get('x-amzn-errortype'), 'MissingAuthenticationTokenException')
  t.match(await refused.json(), { Type: 'User', errorCode: 'MISSING_AUTHENTICATION' })
  t.equal((await fetch(`${edge.url}/functions/curl-sum`)).status, 403, 'nothing was deployed')

  const wrong = await fetch(`${edge.url}/functions`, {
    method: 'POST',
    body,
    headers: { authorization: `Bearer ${KEY.id}:nope-nope-nope` }
  })
  t.equal(wrong.status, 403)
  t.equal(wrong.headers.get('x-amzn-errortype'), 'AccessDeniedException')

  const bearer = { authorization: `Bearer ${KEY.id}:${KEY.secret}` }
  const deployed = await fetch(`${edge.url}/functions`, { method: 'POST', body, headers: bearer })
  t.equal(deployed.status, 201)
  const invoked = await fetch(`${edge.url}/2015-03-31/functions/curl-sum/invocations`, {
    method: 'POST',
    body: '[4,5]'
  })
  t.equal(invoked.status, 200, 'invocations stay open unless SWARMLAMBDA_INVOKE_AUTH=required')
  t.match(await invoked.json(), { result: 9 })
  for (const path of ['/healthz', '/metrics', '/cluster', '/']) {
    t.equal((await fetch(`${edge.url}${path}`)).status, 200, `${path} is open`)
  }
  const removed = await fetch(`${edge.url}/functions/curl-sum`, { method: 'DELETE' })
  t.equal(removed.status, 403)
  const jobs = await fetch(`${edge.url}/api/v1/jobs`, { method: 'POST', body: '{}' })
  t.equal(jobs.status, 403, 'job submission needs a key')
})

const aws = await which('aws')
t.test(
  'the AWS CLI with the right key, and with a wrong one',
  { skip: aws === null ? 'the AWS CLI is not installed (.ci/run installs Debian awscli)' : false },
  async (t) => {
    if (aws === null) return
    const home = t.testdir()
    await writeFile(join(home, 'config'), '[default]\nregion = us-east-1\n')
    const run = async (key: { id: string; secret: string }, args: string[]) => {
      const child = spawn(aws, [...args, '--endpoint-url', edge.url, '--output', 'json'], {
        env: {
          PATH: process.env.PATH,
          HOME: home,
          AWS_CONFIG_FILE: join(home, 'config'),
          AWS_SHARED_CREDENTIALS_FILE: join(home, 'none'),
          AWS_ACCESS_KEY_ID: key.id,
          AWS_SECRET_ACCESS_KEY: key.secret,
          AWS_MAX_ATTEMPTS: '1',
          AWS_EC2_METADATA_DISABLED: 'true'
        },
        stdio: ['ignore', 'pipe', 'pipe']
      })
      let out = ''
      let err = ''
      child.stdout.on('data', (c: Buffer) => (out += c))
      child.stderr.on('data', (c: Buffer) => (err += c))
      const [code] = (await once(child, 'exit')) as [number]
      return { code, out, err }
    }
    const zip = join(home, 'sum.zip')
    await writeFile(zip, zipSync({ 'sum.wasm': sum }))
    const created = await run(KEY, [
      'lambda',
      'create-function',
      '--function-name',
      'cli-sum',
      '--runtime',
      'provided.al2023',
      '--role',
      'arn:aws:iam::000000000000:role/x',
      '--handler',
      'execute',
      '--zip-file',
      `fileb://${zip}`
    ])
    t.equal(created.code, 0, created.err)
    t.equal(JSON.parse(created.out).FunctionName, 'cli-sum')
    // fileb:// sends the payload as raw bytes in both AWS CLI v1 and v2.
    await writeFile(join(home, 'payload.json'), '[1,2,3,4]')
    const out = join(home, 'out.json')
    const invoked = await run(KEY, [
      'lambda',
      'invoke',
      '--function-name',
      'cli-sum',
      '--payload',
      `fileb://${join(home, 'payload.json')}`,
      out
    ])
    t.equal(invoked.code, 0, invoked.err)
    t.equal(JSON.parse(invoked.out).StatusCode, 200)
    t.match(JSON.parse(await readFile(out, 'utf8')), { result: 10 })
    const listed = await run(KEY, ['lambda', 'list-functions'])
    t.equal(listed.code, 0, listed.err)
    t.ok(
      (JSON.parse(listed.out) as { Functions: { FunctionName: string }[] }).Functions.some(
        (f) => f.FunctionName === 'cli-sum'
      )
    )
    const refused = await run({ id: KEY.id, secret: 'wrong-secret-0123456789' }, [
      'lambda',
      'delete-function',
      '--function-name',
      'cli-sum'
    ])
    t.not(refused.code, 0)
    t.match(refused.err, /InvalidSignatureException/)
    const still = await fetch(`${edge.url}/functions/cli-sum`, {
      headers: { authorization: `Bearer ${KEY.id}:${KEY.secret}` }
    })
    t.equal(still.status, 200, 'the refused delete deleted nothing')
  }
)
