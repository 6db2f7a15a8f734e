import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { mandelbrotRef } from '../functions/reference.js'

const cli = fileURLToPath(new URL('../../bin/swarm-lambda.js', import.meta.url))
const example = (name: string) =>
  fileURLToPath(new URL(`../../../functions/build/${name}.wasm`, import.meta.url))

function swarmLambda(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : Number(err.code), stdout, stderr })
    })
  })
}

t.test('--help lists the commands; each command has its own --help', async (t) => {
  const top = await swarmLambda('--help')
  t.equal(top.code, 0)
  t.match(top.stdout, /validate\s+check a \.wasm file/)
  t.match(top.stdout, /run\s+run a \.wasm file/)
  const run = await swarmLambda('run', '--help')
  t.equal(run.code, 0)
  t.match(run.stdout, /--dataset-file FILE/)
})

t.test('validate prints what would run', async (t) => {
  const out = await swarmLambda('validate', example('sum'), '--memory-mb', '1')
  t.equal(out.code, 0, out.stderr)
  const info = JSON.parse(out.stdout) as Record<string, unknown>
  t.equal(info.abi, 'v1')
  t.same(info.memoryPages, { min: 0, max: 16 })
  t.equal(info.growInstrumented, true)
})

t.test('run executes on a local pool', async (t) => {
  const sum = await swarmLambda('run', example('sum'), '--dataset', '[10,20,30,40]')
  t.equal(sum.code, 0, sum.stderr)
  t.equal((JSON.parse(sum.stdout) as { result: number }).result, 100)
  const dataset = [8, 4, 20, -2_000_000, -1_500_000, 1_000_000, 1_500_000, 3, 0]
  const rows = await swarmLambda('run', example('mandelbrot'), '--dataset', JSON.stringify(dataset))
  t.equal(rows.code, 0, rows.stderr)
  t.same(
    (JSON.parse(rows.stdout) as { output: number[] }).output,
    Array.from(mandelbrotRef(Int32Array.from(dataset)))
  )
})

t.test('refusals are coded errors with exit 1; misuse exits 2', async (t) => {
  const bad = await swarmLambda('run', example('sum'), '--dataset', '[1,2.5]')
  t.equal(bad.code, 1)
  t.match(bad.stderr, /^error INVALID_DATASET: .*item 1 \(2\.5\)/)
  const notWasm = await swarmLambda('validate', cli)
  t.equal(notWasm.code, 1)
  t.match(notWasm.stderr, /^error WASM_INVALID:/)
  for (const args of [
    ['nope'],
    ['run', example('sum')],
    ['validate', '/no/such/file.wasm'],
    ['run', example('sum'), '--dataset', '[1']
  ]) {
    const misuse = await swarmLambda(...args)
    t.equal(misuse.code, 2, args.join(' '))
  }
})
