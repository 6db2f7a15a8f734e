import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { strToU8, zipSync } from 'fflate'
import t from 'tap'
import { request } from 'undici'
import { awsCli } from '../support/aws-cli.js'
import { converge, eventually, startCluster, type TestEdge } from '../support/cluster.js'
import { stop, which } from '../support/processes.js'

// Versions, aliases and function URL configs across three edges: the AWS CLI drives the
// lifecycle on one edge, every edge then runs the right code for `:1`, `:prod` and `:$LATEST`;
// and edges publishing at the same moment never give one number to two different codes.

const fns = '/2015-03-31/functions'
const source = (word: string) =>
  `exports.handler = async (e, ctx) => ({ word: '${word}', version: ctx.functionVersion })`
const zip = (word: string) => Buffer.from(zipSync({ 'index.js': strToU8(source(word)) }))

const { edges } = await startCluster(t, 3)
t.teardown(async () => {
  for (const edge of edges) {
    if (edge.child.exitCode === null && edge.child.signalCode === null) await stop(edge.child)
  }
})
await converge(edges)
const [a, b, c] = edges as [TestEdge, TestEdge, TestEdge]

async function call(edge: TestEdge, method: string, path: string, body?: object) {
  const res = await request(edge.url + path, {
    method: method as 'GET',
    body: body === undefined ? null : JSON.stringify(body)
  })
  const text = await res.body.text()
  return { status: res.statusCode, headers: res.headers, json: text === '' ? {} : JSON.parse(text) }
}
const invoke = (edge: TestEdge, ref: string) => call(edge, 'POST', `${fns}/${ref}/invocations`, {})

/** Waits until `ref` on `edge` answers `word` (a change may still be on its way). */
const answers = (edge: TestEdge, ref: string, word: string, version: string) =>
  eventually(`${ref} on ${edge.name} answers ${word}`, async () => {
    const answer = await invoke(edge, ref)
    if (answer.status !== 200 || answer.json.word !== word) return undefined
    return answer
  }).then((answer) => {
    t.equal(answer.headers['x-amz-executed-version'], version, `${ref} on ${edge.name}`)
    t.equal(answer.json.version, version)
  })

const aws = await which('aws')
t.test('the AWS CLI: versions, aliases, a routing config, function URL configs', async (t) => {
  const home = t.testdir()
  const cli = aws === null ? null : await awsCli(aws, home, 'us-east-1')
  const lambda = async (args: string[]) => {
    if (cli !== null) return cli.ok('lambda', args, a.url)
    throw new Error('unreachable')
  }
  const file = async (word: string) => {
    const path = join(home, `${word}.zip`)
    await writeFile(path, zip(word))
    return `fileb://${path}`
  }
  if (cli === null) {
    // Without the CLI, the same steps over the API, so the every-edge checks still run.
    await call(a, 'POST', fns, {
      FunctionName: 'ver',
      Role: 'r',
      Runtime: 'nodejs20.x',
      Handler: 'index.handler',
      Code: { ZipFile: zip('one').toString('base64') },
      Publish: true
    })
    await call(a, 'PUT', `${fns}/ver/code`, { ZipFile: zip('two').toString('base64') })
    await call(a, 'POST', `${fns}/ver/versions`, {})
    await call(a, 'POST', `${fns}/ver/aliases`, { Name: 'prod', FunctionVersion: '1' })
    t.comment('no aws CLI: its own checks skipped')
  } else {
    const created = await lambda([
      'create-function',
      '--function-name',
      'ver',
      '--runtime',
      'nodejs20.x',
      '--role',
      'arn:aws:iam::000000000000:role/r',
      '--handler',
      'index.handler',
      '--zip-file',
      await file('one')
    ])
    t.equal(created.Version, '$LATEST')
    t.equal((await lambda(['publish-version', '--function-name', 'ver'])).Version, '1')
    await lambda([
      'update-function-code',
      '--function-name',
      'ver',
      '--zip-file',
      await file('two')
    ])
    const second = await lambda([
      'publish-version',
      '--function-name',
      'ver',
      '--description',
      'second'
    ])
    t.match(second, { Version: '2', Description: 'second' })
    const listed = await lambda(['list-versions-by-function', '--function-name', 'ver'])
    t.strictSame(
      (listed.Versions as { Version: string }[]).map((v) => v.Version),
      ['$LATEST', '1', '2']
    )
    const alias = await lambda([
      'create-alias',
      '--function-name',
      'ver',
      '--name',
      'prod',
      '--function-version',
      '1'
    ])
    t.match(alias, { Name: 'prod', FunctionVersion: '1', AliasArn: /:function:ver:prod$/ })
    const out = join(home, 'out.json')
    const invoked = await lambda([
      'invoke',
      '--function-name',
      'ver',
      '--qualifier',
      'prod',
      '--payload',
      '{}',
      out
    ])
    t.equal(invoked.ExecutedVersion, '1')
    const updated = await lambda([
      'update-alias',
      '--function-name',
      'ver',
      '--name',
      'prod',
      '--function-version',
      '2',
      '--routing-config',
      '{"AdditionalVersionWeights":{"1":0.25}}'
    ])
    t.match(updated, {
      FunctionVersion: '2',
      RoutingConfig: { AdditionalVersionWeights: { '1': 0.25 } }
    })
    t.match(await lambda(['get-alias', '--function-name', 'ver', '--name', 'prod']), {
      FunctionVersion: '2'
    })
    t.strictSame(
      (
        (await lambda(['list-aliases', '--function-name', 'ver'])).Aliases as { Name: string }[]
      ).map((x) => x.Name),
      ['prod']
    )
    await lambda([
      'update-alias',
      '--function-name',
      'ver',
      '--name',
      'prod',
      '--function-version',
      '1',
      '--routing-config',
      '{"AdditionalVersionWeights":{}}'
    ])

    const url = await lambda([
      'create-function-url-config',
      '--function-name',
      'ver',
      '--auth-type',
      'NONE',
      '--cors',
      '{"AllowOrigins":["*"]}'
    ])
    t.match(url, { FunctionUrl: 'http://ver.lambda.mesh:8790/', AuthType: 'NONE' })
    const aliasUrl = await lambda([
      'create-function-url-config',
      '--function-name',
      'ver',
      '--qualifier',
      'prod',
      '--auth-type',
      'AWS_IAM'
    ])
    t.equal(aliasUrl.FunctionUrl, 'http://ver--prod.lambda.mesh:8790/')
    t.match(await lambda(['get-function-url-config', '--function-name', 'ver']), {
      Cors: { AllowOrigins: ['*'] }
    })
    const urls = await lambda(['list-function-url-configs', '--function-name', 'ver'])
    t.strictSame(
      (urls.FunctionUrlConfigs as { FunctionUrl: string }[]).map((u) => u.FunctionUrl).sort(),
      ['http://ver--prod.lambda.mesh:8790/', 'http://ver.lambda.mesh:8790/']
    )
    await lambda(['delete-function-url-config', '--function-name', 'ver', '--qualifier', 'prod'])
    const gone = await cli!.run(
      'lambda',
      ['get-function-url-config', '--function-name', 'ver', '--qualifier', 'prod'],
      a.url
    )
    t.not(gone.code, 0)
    t.match(gone.err, /ResourceNotFoundException/)
  }

  for (const edge of edges) {
    await answers(edge, 'ver:1', 'one', '1')
    await answers(edge, 'ver:2', 'two', '2')
    await answers(edge, 'ver:prod', 'one', '1')
    await answers(edge, 'ver:$LATEST', 'two', '$LATEST')
  }
  // The alias moved on one edge runs the new version on every edge.
  t.equal((await call(b, 'PUT', `${fns}/ver/aliases/prod`, { FunctionVersion: '2' })).status, 200)
  for (const edge of edges) await answers(edge, 'ver:prod', 'two', '2')
})

t.test('edges publishing at once never give one number to two codes', async (t) => {
  t.equal(
    (
      await call(a, 'POST', fns, {
        FunctionName: 'race',
        Role: 'r',
        Runtime: 'nodejs20.x',
        Handler: 'index.handler',
        Code: { ZipFile: zip('start').toString('base64') }
      })
    ).status,
    201
  )
  for (const edge of edges) await answers(edge, 'race', 'start', '$LATEST')
  const given = new Map<string, string>()
  for (let round = 0; round < 4; round++) {
    // Each edge changes $LATEST and publishes it, all three at the same moment.
    const published = await Promise.all(
      edges.map(async (edge) => {
        const word = `${edge.name}-${round}`
        const update = await call(edge, 'PUT', `${fns}/race/code`, {
          ZipFile: zip(word).toString('base64')
        })
        t.equal(update.status, 200)
        const answer = await call(edge, 'POST', `${fns}/race/versions`, {})
        t.equal(answer.status, 201, JSON.stringify(answer.json))
        return answer.json as { Version: string; CodeSha256: string }
      })
    )
    for (const { Version, CodeSha256 } of published) {
      const held = given.get(Version)
      t.ok(held === undefined || held === CodeSha256, `version ${Version} names one code`)
      given.set(Version, CodeSha256)
    }
  }
  t.ok(given.size >= 4, `${given.size} versions published`)
  // Every edge lists the same versions with the codes their publishers were told.
  for (const edge of [a, b, c]) {
    const listed = await eventually(`every version on ${edge.name}`, async () => {
      const list = await call(edge, 'GET', `${fns}/race/versions?MaxItems=100`)
      const versions = list.json.Versions as { Version: string; CodeSha256: string }[]
      return versions.length === given.size + 1 ? versions : undefined
    })
    for (const { Version, CodeSha256 } of listed.slice(1)) {
      t.equal(CodeSha256, given.get(Version), `${edge.name}: version ${Version}`)
    }
  }
})
