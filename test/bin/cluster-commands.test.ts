import { execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { pino } from 'pino'
import t from 'tap'
import { deriveSecrets } from '../../lib/cluster/key.js'
import { ClusterSwarm, type Member } from '../../lib/p2p/swarm.js'

const cli = fileURLToPath(new URL('../../bin/swarm-lambda.js', import.meta.url))

function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : Number(err.code), stdout, stderr })
    })
  })
}

t.test(
  'keygen prints a key, saves it 0600 with --state-dir, and keeps an existing one',
  async (t) => {
    const printed = await run('keygen')
    t.equal(printed.code, 0)
    t.match(printed.stdout, /^[0-9a-f]{64}\n$/)
    const dir = t.testdir()
    const saved = await run('keygen', '--state-dir', dir)
    const file = join(dir, 'cluster.key')
    t.equal(await readFile(file, 'utf8'), saved.stdout)
    t.equal((await stat(file)).mode & 0o777, 0o600)
    const again = await run('keygen', '--state-dir', dir)
    t.equal(again.code, 2)
    t.match(again.stderr, /already holds a cluster key/)
    t.equal(await readFile(file, 'utf8'), saved.stdout, 'not replaced')
    const forced = await run('keygen', '--state-dir', dir, '--force')
    t.equal(await readFile(file, 'utf8'), forced.stdout)
  }
)

t.test('members bootstrap from a `swarm-lambda dht` process and find each other', async (t) => {
  const port = 49_800 + Math.floor(Math.random() * 150)
  const dht = spawn(process.execPath, [cli, 'dht', '--port', String(port)], {
    stdio: ['ignore', 'pipe', 'inherit']
  })
  t.teardown(() => {
    if (dht.exitCode === null) dht.kill('SIGKILL')
  })
  const [line] = (await once(createInterface({ input: dht.stdout }), 'line')) as [string]
  t.same(JSON.parse(line), {
    msg: 'dht ready',
    host: '127.0.0.1',
    port,
    bootstrap: `127.0.0.1:${port}`
  })

  const key = (await run('keygen')).stdout.trim()
  const secrets = deriveSecrets(Buffer.from(key, 'hex'))
  const log = pino({ level: 'silent' })
  const [a, b] = [0, 1].map(
    () => new ClusterSwarm({ secrets, bootstrap: [{ host: '127.0.0.1', port }], log })
  )
  t.teardown(() => Promise.all([a!.close(), b!.close()]))
  const met = once(a!, 'member') as Promise<[Member]>
  await Promise.all([a!.ready(), b!.ready()])
  const [member] = await met
  t.equal(member.id, b!.id)

  dht.kill('SIGTERM')
  t.same(await once(dht, 'exit'), [0, null])
})
