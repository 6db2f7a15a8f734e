import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { request } from 'undici'

// The package as npm would publish it: `npm pack`, installed in an empty folder with
// `npm install`, runs `npx swarm-lambda dev` without the repository (dist, the console and the
// example functions come with it; no dev dependency is installed) and answers the seed flow.

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const PORTS = { base: 19787, proxy: 19790, dns: 19353 }

t.test('npm pack, npm install in an empty folder, npx swarm-lambda dev', async (t) => {
  const dir = t.testdir({ app: { 'package.json': JSON.stringify({ name: 'app', private: true }) } })
  // dist/ is built already (`npm test` builds first): pack it as it is.
  const packed = spawnSync(
    'npm',
    ['pack', '--ignore-scripts', '--json', '--pack-destination', dir],
    { cwd: ROOT, encoding: 'utf8' }
  )
  t.equal(packed.status, 0, packed.stderr)
  const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[]
  const paths = info!.files.map((f) => f.path)
  t.ok(paths.includes('dist/bin/swarm-lambda.js'), 'the command')
  t.ok(
    paths.some((p) => /^dist\/console\/app-\w+\.js$/.test(p)),
    'the console'
  )
  t.ok(paths.includes('functions/build/mandelbrot.wasm'), 'the example functions')
  t.notOk(
    paths.some((p) => p.startsWith('dist/test/') || p.startsWith('test/')),
    'no tests'
  )

  const app = join(dir, 'app')
  const installed = spawnSync(
    'npm',
    ['install', join(dir, info!.filename), '--no-audit', '--no-fund', '--prefer-offline'],
    { cwd: app, encoding: 'utf8' }
  )
  t.equal(installed.status, 0, installed.stderr.slice(-2000))
  const modules = join(app, 'node_modules')
  t.ok(existsSync(join(modules, 'swarm-lambda', 'dist', 'console', 'index.html')))
  for (const dev of ['typescript', 'tap', 'esbuild', 'playwright-core', 'preact']) {
    t.notOk(existsSync(join(modules, dev)), `no ${dev} (a dev dependency)`)
  }

  // `npx swarm-lambda dev` in its own process group: Ctrl-C reaches every process, as in a terminal.
  const state = join(app, 'state')
  const child = spawn(
    'npx',
    [
      'swarm-lambda',
      'dev',
      '--state-dir',
      state,
      '--base-port',
      String(PORTS.base),
      '--proxy-port',
      String(PORTS.proxy),
      '--dns-port',
      String(PORTS.dns)
    ],
    { cwd: app, stdio: ['ignore', 'pipe', 'pipe'], detached: true }
  )
  t.teardown(() => {
    try {
      process.kill(-(child.pid as number), 'SIGKILL')
    } catch {
      // stopped already
    }
  })
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! })
    lines.on('line', (line) => {
      try {
        const entry = JSON.parse(line) as Record<string, unknown>
        if (entry.msg === 'mesh ready') resolve(entry)
      } catch {
        // not a JSON line
      }
    })
    child.once('exit', (code) => reject(new Error(`dev exited (${code}): ${stderr.slice(-2000)}`)))
  })
  const token = (ready.credentials as { token: string }).token
  const proxy = `http://127.0.0.1:${PORTS.proxy}`

  // The seed's flow, with the example module the package carries.
  const wasm = await readFile(join(modules, 'swarm-lambda', 'functions', 'build', 'sum.wasm'))
  const deployed = await request(`${proxy}/functions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'sum', wasm_base64: wasm.toString('base64'), reduce: 'sum' })
  })
  t.equal(deployed.statusCode, 201)
  await deployed.body.dump()
  const invoked = await request(`${proxy}/2015-03-31/functions/sum/invocations`, {
    method: 'POST',
    body: JSON.stringify({ dataset: [10, 20, 30, 40] })
  })
  t.equal(invoked.statusCode, 200)
  t.match(await invoked.body.json(), { result: 100, partial: false })
  const page = await request(`http://127.0.0.1:${PORTS.base}/`)
  t.equal(page.statusCode, 200, 'the console is served')
  await page.body.dump()

  process.kill(-(child.pid as number), 'SIGINT')
  // npm re-raises the signal on itself once its child has exited (so a shell sees an interrupt);
  // the mesh under it stops cleanly: every process of the group ends, with no warning.
  const exit = (await once(child, 'exit')) as [number | null, string | null]
  t.ok(exit[0] === 0 || exit[1] === 'SIGINT', `npx ended by the Ctrl-C (${exit.join(', ')})`)
  const gone = await new Promise<boolean>((resolve) => {
    const deadline = Date.now() + 20_000
    const look = () => {
      try {
        process.kill(-(child.pid as number), 0)
      } catch {
        return resolve(true) // ESRCH: no process left in the group
      }
      if (Date.now() > deadline) resolve(false)
      else setTimeout(look, 100)
    }
    look()
  })
  t.ok(gone, 'every process of the mesh has stopped')
  t.notMatch(stderr, /an edge exited/, 'no warning while stopping')
})
