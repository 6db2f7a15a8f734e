import { strToU8, zipSync } from 'fflate'
import t from 'tap'
import { localEdge } from '../support/local-edge.js'

// Versions and aliases through one edge's AWS API: publish, qualified invokes and reads, the
// weighted split, deletes, and numbers never given twice. (Several edges: test/p2p/versions.)

const { edge, http } = await localEdge(t, { poolSize: 2 })
const fns = '/2015-03-31/functions'
const source = (word: string) =>
  `exports.handler = async (e, ctx) => ({ word: '${word}', version: ctx.functionVersion, ` +
  `env: process.env.AWS_LAMBDA_FUNCTION_VERSION, arn: ctx.invokedFunctionArn })`
const zip = (word: string) =>
  Buffer.from(zipSync({ 'index.js': strToU8(source(word)) })).toString('base64')
const invoke = (ref: string, query = '') => http('POST', `${fns}/${ref}/invocations${query}`, '{}')
const arn = (suffix: string) =>
  `arn:aws:lambda:${edge.config.region}:000000000000:function:${suffix}`

t.test('publish, update, publish; qualified invokes run the code of their version', async (t) => {
  const created = await http('POST', fns, {
    FunctionName: 'ver',
    Runtime: 'nodejs20.x',
    Handler: 'index.handler',
    Role: 'arn:aws:iam::000000000000:role/x',
    Code: { ZipFile: zip('one') },
    Publish: true
  })
  t.equal(created.status, 201)
  t.match(created.json(), { Version: '1', FunctionArn: arn('ver:1') })

  // Unchanged $LATEST: publishing again gives the same version, as AWS does.
  const again = await http('POST', `${fns}/ver/versions`, {})
  t.equal(again.status, 201)
  t.equal(again.json().Version, '1')

  t.equal((await http('PUT', `${fns}/ver/code`, { ZipFile: zip('two') })).status, 200)
  const second = await http('POST', `${fns}/ver/versions`, { Description: 'the second' })
  t.equal(second.status, 201)
  t.match(second.json(), { Version: '2', Description: 'the second', FunctionArn: arn('ver:2') })

  const one = await invoke('ver:1')
  t.equal(one.status, 200)
  t.equal(one.headers['x-amz-executed-version'], '1')
  t.strictSame(one.json(), { word: 'one', version: '1', env: '1', arn: arn('ver:1') })
  const two = await invoke('ver', '?Qualifier=2')
  t.equal(two.headers['x-amz-executed-version'], '2')
  t.strictSame(two.json(), { word: 'two', version: '2', env: '2', arn: arn('ver:2') })
  const latest = await invoke('ver:$LATEST')
  t.equal(latest.headers['x-amz-executed-version'], '$LATEST')
  t.strictSame(latest.json(), {
    word: 'two',
    version: '$LATEST',
    env: '$LATEST',
    arn: arn('ver:$LATEST')
  })
  t.equal((await invoke('ver')).json().arn, arn('ver'))
  const missing = await invoke('ver:3')
  t.equal(missing.status, 404)
  t.equal(missing.headers['x-amzn-errortype'], 'ResourceNotFoundException')
  const mismatch = await invoke('ver:1', '?Qualifier=2')
  t.equal(mismatch.status, 400)

  const versions = await http('GET', `${fns}/ver/versions`)
  t.strictSame(
    (versions.json().Versions as { Version: string }[]).map((v) => v.Version),
    ['$LATEST', '1', '2']
  )
  const page = await http('GET', `${fns}/ver/versions?MaxItems=2`)
  t.equal(page.json().NextMarker, '1')
  const rest = await http('GET', `${fns}/ver/versions?Marker=1`)
  t.strictSame(
    (rest.json().Versions as { Version: string }[]).map((v) => v.Version),
    ['2']
  )

  const got = await http('GET', `${fns}/ver?Qualifier=1`)
  t.equal(got.status, 200)
  t.match(got.json().Configuration, { Version: '1', FunctionArn: arn('ver:1') })
  const config = await http('GET', `${fns}/ver:2/configuration`)
  t.match(config.json(), { Version: '2', Description: 'the second' })
  t.not(
    (got.json().Configuration as { CodeSha256: string }).CodeSha256,
    (config.json() as { CodeSha256: string }).CodeSha256
  )
})

t.test('aliases: create, get, update with a routing config, list, delete', async (t) => {
  const created = await http('POST', `${fns}/ver/aliases`, {
    Name: 'prod',
    FunctionVersion: '1',
    Description: 'production'
  })
  t.equal(created.status, 201)
  const alias = created.json()
  t.match(alias, {
    AliasArn: arn('ver:prod'),
    Name: 'prod',
    FunctionVersion: '1',
    Description: 'production'
  })
  t.type(alias.RevisionId, 'string')
  t.equal(
    (await http('POST', `${fns}/ver/aliases`, { Name: 'prod', FunctionVersion: '1' })).status,
    409
  )
  t.equal(
    (await http('POST', `${fns}/ver/aliases`, { Name: 'x', FunctionVersion: '9' })).status,
    404
  )
  t.equal(
    (await http('POST', `${fns}/ver/aliases`, { Name: '12', FunctionVersion: '1' })).status,
    400
  )

  const through = await invoke('ver:prod')
  t.equal(through.headers['x-amz-executed-version'], '1')
  t.match(through.json(), { word: 'one', version: '1', arn: arn('ver:prod') })

  const stale = await http('PUT', `${fns}/ver/aliases/prod`, {
    FunctionVersion: '2',
    RevisionId: 'old'
  })
  t.equal(stale.status, 412)
  t.equal(stale.headers['x-amzn-errortype'], 'PreconditionFailedException')
  const moved = await http('PUT', `${fns}/ver/aliases/prod`, {
    FunctionVersion: '2',
    RevisionId: alias.RevisionId
  })
  t.equal(moved.status, 200)
  t.match(moved.json(), { FunctionVersion: '2', Description: 'production' })
  t.match((await invoke('ver:prod')).json(), { word: 'two', version: '2' })

  const split = await http('PUT', `${fns}/ver/aliases/prod`, {
    FunctionVersion: '1',
    RoutingConfig: { AdditionalVersionWeights: { '2': 0.3 } }
  })
  t.equal(split.status, 200)
  t.strictSame(split.json().RoutingConfig, { AdditionalVersionWeights: { '2': 0.3 } })
  const ran = { '1': 0, '2': 0 } as Record<string, number>
  for (let i = 0; i < 1_000; i += 20) {
    const answers = await Promise.all(Array.from({ length: 20 }, () => invoke('ver:prod')))
    for (const answer of answers) {
      const version = answer.headers['x-amz-executed-version'] as string
      t.equal(answer.json().version, version, 'the version reported is the version that ran')
      ran[version] = (ran[version] ?? 0) + 1
    }
  }
  t.ok(Math.abs((ran['2'] as number) / 1_000 - 0.3) <= 0.05, `version 2 ran ${ran['2']} of 1,000`)
  // The golden-ratio walk, not a coin: within 3 calls of the weight (a coin: ±14 is one sigma).
  t.ok(Math.abs((ran['2'] as number) - 300) <= 3, 'the split is as even as the sequence makes it')
  t.equal((ran['1'] as number) + (ran['2'] as number), 1_000)

  const latestSplit = await http('PUT', `${fns}/ver/aliases/prod`, { FunctionVersion: '$LATEST' })
  t.equal(latestSplit.status, 400, '$LATEST cannot take a routing config')

  await http('POST', `${fns}/ver/aliases`, { Name: 'beta', FunctionVersion: '$LATEST' })
  const list = await http('GET', `${fns}/ver/aliases`)
  t.strictSame(
    (list.json().Aliases as { Name: string }[]).map((a) => a.Name),
    ['beta', 'prod']
  )
  const naming2 = await http('GET', `${fns}/ver/aliases?FunctionVersion=2`)
  t.strictSame(
    (naming2.json().Aliases as { Name: string }[]).map((a) => a.Name),
    ['prod']
  )
  t.equal((await http('GET', `${fns}/ver/aliases/beta`)).json().FunctionVersion, '$LATEST')
  t.match((await http('GET', `${fns}/ver:beta/configuration`)).json(), { Version: '$LATEST' })
  t.equal((await http('DELETE', `${fns}/ver/aliases/beta`)).status, 204)
  t.equal((await http('GET', `${fns}/ver/aliases/beta`)).status, 404)
  t.equal((await invoke('ver:beta')).status, 404)
})

t.test('deletes: a version an alias names, $LATEST, and numbers never reused', async (t) => {
  const named = await http('DELETE', `${fns}/ver?Qualifier=2`)
  t.equal(named.status, 409)
  t.equal(named.headers['x-amzn-errortype'], 'ResourceConflictException')
  t.equal((await http('DELETE', `${fns}/ver?Qualifier=$LATEST`)).status, 400)
  t.equal((await http('DELETE', `${fns}/ver/aliases/prod`)).status, 204)
  t.equal((await http('DELETE', `${fns}/ver:2`)).status, 204)
  t.equal((await invoke('ver:2')).status, 404)
  t.equal((await http('PUT', `${fns}/ver/code`, { ZipFile: zip('three') })).status, 200)
  t.equal((await http('POST', `${fns}/ver/versions`, {})).json().Version, '3')

  t.equal((await http('DELETE', `${fns}/ver`)).status, 204)
  t.equal((await invoke('ver:1')).status, 404)
  t.equal((await http('GET', `${fns}/ver/versions`)).status, 404)
  await http('POST', fns, {
    FunctionName: 'ver',
    Runtime: 'nodejs20.x',
    Handler: 'index.handler',
    Code: { ZipFile: zip('again') }
  })
  t.strictSame(
    ((await http('GET', `${fns}/ver/versions`)).json().Versions as { Version: string }[]).map(
      (v) => v.Version
    ),
    ['$LATEST'],
    'a recreated function has none of the old versions'
  )
  t.equal((await http('POST', `${fns}/ver/versions`, {})).json().Version, '4')
})
