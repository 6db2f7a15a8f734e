import { spawn } from 'node:child_process'
import { once } from 'node:events'
import t from 'tap'
import { request } from 'undici'
import { CLI, startEdge as startShared } from '../support/processes.js'
import { SEED_WASM_BASE64 } from '../wasm/wat.js'

const cli = CLI
const startEdge = (t: Parameters<typeof startShared>[0], stateDir: string) =>
  startShared(t, stateDir, { SWARMLAMBDA_NODE_NAME: 'edge-p' })

async function json(method: 'GET' | 'POST', url: string, body?: unknown) {
  const res = await request(url, { method, body: body === undefined ? null : JSON.stringify(body) })
  return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> }
}

t.test('functions survive a restart on the same state dir; SIGTERM exits 0', async (t) => {
  const stateDir = t.testdir()
  const first = await startEdge(t, stateDir)
  const created = await json('POST', `${first.url}/functions`, {
    name: 'kept',
    wasm_base64: SEED_WASM_BASE64
  })
  t.equal(created.status, 201)
  first.child.kill('SIGTERM')
  const [code] = (await once(first.child, 'exit')) as [number]
  t.equal(code, 0, 'a clean shutdown')

  const second = await startEdge(t, stateDir)
  const listed = await json('GET', `${second.url}/functions`)
  t.same(
    (listed.body.functions as { FunctionName: string }[]).map((f) => f.FunctionName),
    ['kept']
  )
  const invoked = await json('POST', `${second.url}/2015-03-31/functions/kept/invocations`, {
    dataset: [10, 20, 30, 40]
  })
  t.equal(invoked.body.result, 100)
  second.child.kill('SIGINT')
  t.same(await once(second.child, 'exit'), [0, null])
})

t.test('a second edge on the same state dir refuses to start', async (t) => {
  const stateDir = t.testdir()
  const first = await startEdge(t, stateDir)
  const second = spawn(process.execPath, [cli, 'edge', '--port', '0', '--state-dir', stateDir], {
    stdio: ['ignore', 'ignore', 'pipe']
  })
  let stderr = ''
  second.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const [code] = (await once(second, 'exit')) as [number]
  t.not(code, 0)
  t.match(stderr, /lock/i)
  first.child.kill('SIGTERM')
  await once(first.child, 'exit')
})

t.test('bad config exits 2 naming each problem', async (t) => {
  const child = spawn(process.execPath, [cli, 'edge', '--port', 'eighty', '--name', 'Edge_A'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, SWARMLAMBDA_CLUSTER_KEY: 'nothex', SWARMLAMBDA_BOOTSTRAP: 'somewhere' }
  })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const [code] = (await once(child, 'exit')) as [number]
  t.equal(code, 2)
  t.match(stderr, /^invalid configuration:/)
  t.match(stderr, /--name \/ SWARMLAMBDA_NODE_NAME: "Edge_A"/)
  t.match(stderr, /--port \/ SWARMLAMBDA_HTTP_PORT: "eighty"/)
  t.match(stderr, /--cluster-key \/ SWARMLAMBDA_CLUSTER_KEY/)
  t.match(stderr, /--bootstrap \/ SWARMLAMBDA_BOOTSTRAP: "somewhere"/)
})
