import { spawnSync } from 'node:child_process'
import type { LookupFunction } from 'node:net'
import DNS from 'dns2'
import t from 'tap'
import { Agent, request } from 'undici'
import { startCli, stop } from '../support/processes.js'
import { SEED_WASM_BASE64 } from '../wasm/wat.js'

// What `npm start` runs (after building): the whole local mesh on its default ports.
t.test('dev: a local mesh answers at http://lambda.mesh:8790 through its own DNS', async (t) => {
  const { child, ready } = await startCli(t, ['dev', '--state-dir', t.testdir()], 'mesh ready', {
    SWARMLAMBDA_LOG_LEVEL: 'warn'
  })
  t.match(ready, {
    endpoint: 'http://lambda.mesh:8790',
    proxy: 'http://127.0.0.1:8790',
    dns: '127.0.0.1:5353',
    edges: [
      { name: 'edge-a', url: 'http://127.0.0.1:8787' },
      { name: 'edge-b', url: 'http://127.0.0.1:8788' },
      { name: 'edge-c', url: 'http://127.0.0.1:8789' }
    ]
  })

  // Resolve lambda.mesh with the project's DNS server, as a resolver pointed at it would.
  const resolver = DNS.UDPClient({ dns: '127.0.0.1', port: 5353 })
  const answer = await resolver('lambda.mesh', 'A')
  t.same(
    answer.answers.map((a) => a.address),
    ['127.0.0.1']
  )
  const edgeB = await resolver('edge-b.edges.lambda.mesh', 'A')
  t.same(
    edgeB.answers.map((a) => a.address),
    ['127.0.0.1']
  )
  const lookup: LookupFunction = (hostname, options, callback) => {
    resolver(hostname, 'A').then(
      (packet) => {
        const address = packet.answers[0]?.address
        if (address === undefined) return callback(new Error(`${hostname}: no address`), '', 4)
        if ((options as { all?: boolean }).all === true) {
          return (
            callback as unknown as (e: null, a: { address: string; family: number }[]) => void
          )(null, [{ address, family: 4 }])
        }
        callback(null, address, 4)
      },
      (err: Error) => callback(err, '', 4)
    )
  }
  const dispatcher = new Agent({ connect: { lookup } })
  t.teardown(() => dispatcher.close())
  const mesh = 'http://lambda.mesh:8790'

  // The seed's curl flow, through the name: deploying needs the printed dev credentials.
  const credentials = ready.credentials as { accessKeyId: string; token: string }
  t.match(credentials, { accessKeyId: /^SLDEV[0-9A-F]{15}$/ })
  t.equal(credentials.token.startsWith(`${credentials.accessKeyId}:`), true)
  const body = JSON.stringify({ name: 'seed', wasm_base64: SEED_WASM_BASE64 })
  const refused = await request(`${mesh}/functions`, { dispatcher, method: 'POST', body })
  t.equal(refused.statusCode, 403, 'no credentials, no deploy')
  await refused.body.dump()
  const deployed = await request(`${mesh}/functions`, {
    dispatcher,
    method: 'POST',
    body,
    headers: { authorization: `Bearer ${credentials.token}` }
  })
  t.equal(deployed.statusCode, 201)
  await deployed.body.dump()
  const invoked = await request(`${mesh}/2015-03-31/functions/seed/invocations`, {
    dispatcher,
    method: 'POST',
    body: '{"dataset":[10,20,30,40]}'
  })
  t.equal(invoked.statusCode, 200)
  t.match(invoked.headers['x-swarmlambda-edge'], /^edge-[abc]$/)
  t.equal(((await invoked.body.json()) as { result: number }).result, 100)

  const dig = spawnSync('dig', ['@127.0.0.1', '-p', '5353', 'lambda.mesh', '+short'], {
    encoding: 'utf8'
  })
  if (dig.error === undefined) t.equal(dig.stdout.trim(), '127.0.0.1', 'dig agrees')

  // Ctrl-C stops everything.
  t.same(await stop(child, 'SIGINT'), [0, null])
  for (const port of [8787, 8788, 8789, 8790]) {
    await t.rejects(
      request(`http://127.0.0.1:${port}/healthz`),
      { code: 'ECONNREFUSED' },
      `:${port} closed`
    )
  }
})
