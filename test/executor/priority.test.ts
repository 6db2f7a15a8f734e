import { existsSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import t from 'tap'
import { WasmPool } from '../../lib/executor/pool.js'
import { validate } from '../../lib/wasm/policy.js'
import { eventually } from '../support/cluster.js'
import { SEED_WASM_BASE64 } from '../wasm/wat.js'

// Worker threads run function code below the event loop: a flood of CPU-bound calls must not
// starve the edge's HTTP, heartbeats and replication. Linux keeps a nice value per thread.

/** The nice value of each thread of this process, by thread id (/proc/self/task/TID/stat). */
async function niceness(): Promise<Map<number, number>> {
  const threads = new Map<number, number>()
  for (const tid of await readdir('/proc/self/task')) {
    let stat: string
    try {
      stat = await readFile(`/proc/self/task/${tid}/stat`, 'utf8')
    } catch {
      continue // a thread that ended while we listed them
    }
    // After the command name, in parentheses: state is field 3, nice field 19.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    threads.set(Number(tid), Number(fields[16]))
  }
  return threads
}

const counted = (threads: Map<number, number>, nice: number) =>
  [...threads.values()].filter((n) => n === nice).length

t.test(
  'worker threads run 10 below the process; the event loop keeps its priority',
  { skip: existsSync('/proc/thread-self') ? false : 'no per-thread /proc (not Linux)' },
  async (t) => {
    const base = (await niceness()).get(process.pid) as number
    const lowered = Math.min(19, base + 10)
    t.equal(counted(await niceness(), lowered), 0, 'no thread is lowered before the pool starts')
    const pool = new WasmPool({ size: 2, spares: 1 })
    t.teardown(() => pool.close())
    await pool.ready()
    const seed = await validate(Buffer.from(SEED_WASM_BASE64, 'base64'), { memoryPages: 16 })
    const done = await pool.run(seed, { input: Int32Array.from([1, 2, 3]), timeoutMs: 1_000 })
    t.equal(done.result, 6, 'a call runs on a lowered worker')
    // A worker lowers itself before it takes a call, but after 'online' (ready() waits for that).
    const threads = await eventually('three threads lowered', async () => {
      const now = await niceness()
      return counted(now, lowered) >= 3 ? now : undefined
    })
    t.equal(counted(threads, lowered), 3, 'two workers and the spare are lowered')
    t.equal(threads.get(process.pid), base, 'the event loop is not')

    const level = new WasmPool({ size: 1, spares: 0, workerNice: 0 })
    t.teardown(() => level.close())
    await level.ready()
    // Its only worker has lowered itself, or not, by the time it answers.
    const again = await level.run(seed, { input: Int32Array.from([4]), timeoutMs: 1_000 })
    t.equal(again.result, 4)
    t.equal(counted(await niceness(), lowered), 3, 'workerNice 0: the new worker is not lowered')
  }
)

t.test('workerNice outside 0-19 is refused', async (t) => {
  for (const workerNice of [-1, 20, 1.5]) {
    t.throws(() => new WasmPool({ workerNice }), { code: 'INVALID_LIMIT' }, String(workerNice))
  }
})
