import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
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

const CLI = fileURLToPath(new URL('../../bin/swarm-lambda.js', import.meta.url))

// The first minutes as a newcomer has them: idle, the terminal shows no request lines (the
// proxy's health checks are at debug); Ctrl-C (SIGINT to the whole process group, as a terminal
// sends it) stops every process with code 0 and no warning.
t.test('dev at info: quiet when idle, Ctrl-C exits 0 everywhere', async (t) => {
  const child = spawn(process.execPath, [CLI, 'dev', '--state-dir', t.testdir()], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SWARMLAMBDA_LOG_LEVEL: 'info' }
  })
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null)
      process.kill(-(child.pid as number), 'SIGKILL')
  })
  const lines: Record<string, unknown>[] = []
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk))
  let readyAt = 0
  const ready = new Promise<void>((resolve) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      let entry: Record<string, unknown>
      try {
        entry = JSON.parse(line) as Record<string, unknown>
      } catch {
        return // the banner
      }
      lines.push({ ...entry, seenAt: Date.now() })
      if (entry.msg === 'mesh ready') {
        readyAt = Date.now()
        resolve()
      }
    })
  })
  await ready
  // Ten seconds idle, by the clock (the proxy checks each edge every second meanwhile).
  const until = readyAt + 10_000
  while (Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 250))
  const idle = lines.filter((l) => (l.seenAt as number) > readyAt)
  t.same(
    idle.filter((l) => l.msg === 'request'),
    [],
    `no request lines in 10 s idle (${idle.length} lines in all)`
  )
  process.kill(-(child.pid as number), 'SIGINT')
  const [code] = (await once(child, 'exit')) as [number | null]
  t.equal(code, 0, 'dev exits 0')
  const stopped = lines.filter((l) => l.msg === 'edge stopped')
  t.same(
    stopped.map((l) => [l.edge, l.code]).sort(),
    [
      ['edge-a', 0],
      ['edge-b', 0],
      ['edge-c', 0]
    ],
    'each edge exits 0'
  )
  t.same(
    lines.filter((l) => typeof l.level === 'number' && l.level >= 40),
    [],
    'no warning or error'
  )
  t.match(stderr, /edge-a\s+http:\/\/127\.0\.0\.1:8787/, 'the banner (on stderr)')
  t.notMatch(stderr, /Warning|exited|Error/, 'no warning on stderr')
})
