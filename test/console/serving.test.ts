import { gunzipSync } from 'node:zlib'
import { strToU8, zipSync } from 'fflate'
import t from 'tap'
import { request } from 'undici'
import { loadConfig } from '../../lib/config.js'
import { Edge } from '../../lib/edge.js'
import type { ConsoleState } from '../../lib/wire/console.js'
import { SUM_EXECUTE, wat } from '../wasm/wat.js'

// How an edge serves its console: the built page and assets (cache headers, gzip, ETags, CSP),
// and what its `state` stream and `whoami` tell callers with, without and with a wrong key.

const KEY = 'console-test:console-secret-0123'
const edge = new Edge(
  loadConfig(
    { port: '0', name: 'edge-console', 'state-dir': t.testdir(), 'log-level': 'silent' },
    { SWARMLAMBDA_ACCESS_KEYS: KEY }
  )
)
await edge.ready()
t.teardown(() => edge.close())
const bearer = { authorization: `Bearer ${KEY}` }

/** The first `state` event of GET /events. */
async function firstState(headers: Record<string, string> = {}) {
  const controller = new AbortController()
  const res = await request(`${edge.url}/events`, { headers, signal: controller.signal })
  if (res.statusCode !== 200) {
    return { status: res.statusCode, body: await res.body.json(), state: null }
  }
  t.equal(res.headers['content-type'], 'text/event-stream')
  let text = ''
  for await (const chunk of res.body) {
    text += chunk.toString()
    if (text.includes('\n\n')) break
  }
  controller.abort()
  const [event, data] = text.split('\n')
  t.equal(event, 'event: state')
  return { status: 200, body: null, state: JSON.parse(data!.slice(6)) as ConsoleState }
}

t.test('the page and its assets', async (t) => {
  const page = await request(`${edge.url}/`)
  t.equal(page.statusCode, 200)
  t.equal(page.headers['content-type'], 'text/html; charset=utf-8')
  t.equal(page.headers['cache-control'], 'no-cache')
  t.match(page.headers['content-security-policy'], /default-src 'none'; script-src 'self'/)
  const html = await page.body.text()
  t.notMatch(html, /https?:\/\/(?!www\.w3\.org)/, 'nothing fetched from elsewhere')
  const script = /src="\/console\/(app-[A-Z0-9]+\.js)"/.exec(html)?.[1]
  const style = /href="\/console\/(app-[A-Z0-9]+\.css)"/.exec(html)?.[1]
  t.ok(script !== undefined && style !== undefined, 'a hashed script and style')

  const plain = await request(`${edge.url}/console/${script}`)
  t.equal(plain.statusCode, 200)
  t.equal(plain.headers['content-type'], 'text/javascript; charset=utf-8')
  t.equal(plain.headers['cache-control'], 'public, max-age=31536000, immutable')
  t.equal(plain.headers['content-encoding'], undefined)
  const code = Buffer.from(await plain.body.arrayBuffer())
  const zipped = await request(`${edge.url}/console/${script}`, {
    headers: { 'accept-encoding': 'gzip, deflate' }
  })
  t.equal(zipped.headers['content-encoding'], 'gzip')
  t.equal(zipped.headers.vary, 'accept-encoding')
  const gz = Buffer.from(await zipped.body.arrayBuffer())
  t.ok(gunzipSync(gz).equals(code), 'the gzipped file is the script')
  t.ok(gz.length < 500 * 1024, `the script is ${gz.length} bytes gzipped (< 500 KB)`)

  const again = await request(`${edge.url}/console/${script}`, {
    headers: { 'if-none-match': plain.headers.etag as string }
  })
  t.equal(again.statusCode, 304)
  t.equal((await again.body.arrayBuffer()).byteLength, 0)
  const css = await request(`${edge.url}/console/${style}`)
  t.equal(css.headers['content-type'], 'text/css; charset=utf-8')
  await css.body.dump()

  const missing = await request(`${edge.url}/console/app-NOPE.js`)
  t.equal(missing.statusCode, 404)
  t.equal(missing.headers['x-amzn-errortype'], 'ResourceNotFoundException')
  await missing.body.dump()
  const escape = await request(`${edge.url}/console/..%2Fpackage.json`)
  t.equal(escape.statusCode, 404, 'no path outside the bundle')
  await escape.body.dump()
})

t.test('without a key the stream shows the cluster only', async (t) => {
  const sum = wat(`(module (memory (export "memory") 1) ${SUM_EXECUTE})`)
  const deployed = await request(`${edge.url}/functions`, {
    method: 'POST',
    headers: { ...bearer, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'secret-sum', wasm_base64: Buffer.from(sum).toString('base64') })
  })
  t.equal(deployed.statusCode, 201)
  await deployed.body.dump()
  const invoked = await request(`${edge.url}/2015-03-31/functions/secret-sum/invocations`, {
    method: 'POST',
    body: JSON.stringify({ dataset: [1, 2, 3] })
  })
  t.equal(invoked.statusCode, 200)
  await invoked.body.dump()

  const anonymous = await firstState()
  t.equal(anonymous.state?.access, 'anonymous')
  t.same(Object.keys(anonymous.state ?? {}).sort(), ['access', 'at', 'cluster', 'version'])
  t.equal(anonymous.state?.cluster.nodes[0]?.name, 'edge-console')

  const signed = await firstState(bearer)
  t.equal(signed.state?.access, 'signed-in')
  t.same(
    signed.state?.functions?.map((f) => [f.name, f.kind, f.abi]),
    [['secret-sum', 'wasm', 'v1']]
  )
  const series = signed.state?.stats?.['secret-sum']
  t.equal(series?.at.length, 61, 'a point per second for the last minute')
  t.equal(
    series?.invocations.reduce((a, b) => a + b, 0),
    1,
    'the one invocation is counted'
  )
  t.same(signed.state?.jobs, [])
  t.same(signed.state?.schedules, [])

  const wrong = await firstState({ authorization: 'Bearer console-test:not-the-secret' })
  t.equal(wrong.status, 403, 'a wrong key is refused, not shown less')
  t.match(wrong.body, { message: /not an access key of this cluster/ })
})

t.test('whoami: 200 whatever the credentials, saying who they name', async (t) => {
  const ask = async (headers: Record<string, string>) => {
    const res = await request(`${edge.url}/api/v1/whoami`, { headers })
    t.equal(res.statusCode, 200)
    return res.body.json()
  }
  t.same(await ask({}), { access: 'anonymous' })
  t.same(await ask(bearer), { access: 'signed-in', accessKeyId: 'console-test' })
  t.same(await ask({ authorization: 'Bearer console-test:wrong-secret' }), {
    access: 'anonymous',
    refused: {
      errorType: 'AccessDeniedException',
      errorCode: 'ACCESS_DENIED',
      message: 'Access denied: the bearer token is not an access key of this cluster'
    }
  })
})

t.test("the seed API takes a zip, as the console's upload sends it", async (t) => {
  const post = async (body: unknown) => {
    const res = await request(`${edge.url}/functions`, {
      method: 'POST',
      headers: { ...bearer, 'content-type': 'application/json' },
      body: JSON.stringify(body)
    })
    return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> }
  }
  const js = zipSync({ 'index.js': strToU8('exports.handler = async (e) => ({ twice: e.n * 2 })') })
  const deployed = await post({
    name: 'zipped-js',
    runtime: 'nodejs20.x',
    zip_base64: Buffer.from(js).toString('base64')
  })
  t.equal(deployed.status, 201)
  t.match(deployed.body, { FunctionName: 'zipped-js', Runtime: 'nodejs20.x' })
  const invoked = await request(`${edge.url}/2015-03-31/functions/zipped-js/invocations`, {
    method: 'POST',
    body: JSON.stringify({ n: 21 })
  })
  t.same(await invoked.body.json(), { twice: 42 })

  const sum = wat(`(module (memory (export "memory") 1) ${SUM_EXECUTE})`)
  const wasmZip = zipSync({ 'sum.wasm': sum })
  const module = await post({
    name: 'zipped-wasm',
    zip_base64: Buffer.from(wasmZip).toString('base64')
  })
  t.equal(module.status, 201, 'a zip holding one module, no runtime')

  const both = await post({ name: 'both', files: { 'index.js': '' }, zip_base64: 'AA==' })
  t.equal(both.status, 400)
  t.match(both.body, {
    message: 'Invalid zip_base64: files was sent too; send one of files, wasm_base64 and zip_base64'
  })
  const nulls = await post({
    name: 'null-files',
    files: null,
    wasm_base64: Buffer.from(sum).toString('base64')
  })
  t.equal(nulls.status, 201, 'a null field counts as absent')
})
