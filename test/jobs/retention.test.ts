import { join } from 'node:path'
import t from 'tap'
import { eventually } from '../support/cluster.js'
import { diskBytes } from '../support/disk.js'
import { localEdge } from '../support/local-edge.js'
import { SUM_EXECUTE, wat } from '../wasm/wat.js'

// Finished jobs are forgotten after the retention, and the job log's segments that held only
// forgotten jobs are retired and purged: the log does not grow without bound.

const SUM = wat(`(module (memory (export "memory") 1) ${SUM_EXECUTE})`)
const JOBS = 400

const { edge, http } = await localEdge(
  t,
  { poolSize: 1, jobSegmentBlocks: 64 },
  { 'job-retention': '2s' }
)

const segments = async () => {
  const metrics = (await http('GET', '/metrics')).text
  return Number(/^swarmlambda_async_log_segments (\d+)/m.exec(metrics)?.[1])
}

t.test('segments of forgotten jobs are retired and purged', async (t) => {
  t.equal(
    (
      await http('POST', '/functions', {
        name: 'sum',
        wasm_base64: Buffer.from(SUM).toString('base64')
      })
    ).status,
    201
  )
  const store = join(edge.config.stateDir, 'corestore')
  const before = await diskBytes(store)
  const ids: string[] = []
  for (let i = 0; i < JOBS; i += 20) {
    const batch = await Promise.all(
      Array.from({ length: 20 }, async (_, j) => {
        const answer = await http('POST', '/api/v1/jobs', { function: 'sum', dataset: [i, j, 1] })
        t.equal(answer.status, 202)
        return (answer.json() as { job_id: string }).job_id
      })
    )
    ids.push(...batch)
  }
  // Each job ends, then is forgotten 2 s later (404): none may stay pending.
  let peak = 0
  await eventually('every job ended', async () => {
    peak = Math.max(peak, await segments())
    const states = await Promise.all(ids.map((id) => http('GET', `/api/v1/jobs/${id}`)))
    return states.every((s) => s.status === 200 || s.status === 404) ? true : undefined
  })
  t.ok(peak >= 10, `${peak} segments of 64 blocks at the peak`)
  const grown = await diskBytes(store)

  const last = await eventually('forgotten and retired', async () => {
    const held = await segments()
    return held <= 2 ? held : undefined
  })
  t.ok(last <= 2, `${last} segment(s) left: the current one (and one not yet full)`)
  t.equal((await http('GET', `/api/v1/jobs/${ids[0]}`)).status, 404, 'a forgotten job')
  // Erased segments go back to the disk once RocksDB compacts, a second later: reported here,
  // asserted with 100,000 jobs in test/jobs/disk.test.ts.
  const after = await diskBytes(store)
  t.comment(`corestore: ${before} bytes before, ${grown} at the peak, ${after} after`)
})
