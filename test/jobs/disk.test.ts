import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Corestore from 'corestore'
import { pino } from 'pino'
import t from 'tap'
import { JobService } from '../../lib/jobs/service.js'
import { Registry } from '../../lib/registry/registry.js'
import { KEYS } from '../../lib/registry/writer.js'
import { eventually } from '../support/cluster.js'
import { diskBytes } from '../support/disk.js'

// 100,000 tiny jobs through one edge's job service (a real Corestore, log and runner; the
// function is a stub that answers at once) with a 1 s retention: once every job is forgotten,
// its log segments are retired and erased, and the store's disk use is back near its start.

const JOBS = 100_000
const AT_ONCE = 1_000

t.test('100,000 tiny jobs: disk use returns near its start once they are forgotten', async (t) => {
  t.setTimeout(300_000)
  const dir = await mkdtemp(join(tmpdir(), 'swarm-lambda-disk-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const log = pino({ level: 'silent' })
  const store = new Corestore(join(dir, 'corestore'))
  t.teardown(() => store.close())
  let service: JobService | null = null
  const registry = new Registry(store, {
    log,
    onEntry: (key) => {
      if (key.startsWith(KEYS.segment)) service?.segmentsChanged()
    }
  })
  t.teardown(() => registry.close())
  await registry.ready()
  let ran = 0
  service = new JobService({
    store,
    registry,
    ack: 'replicated',
    retentionMs: 1_000,
    leaseMs: 6_000,
    retryDelayMs: 1_000,
    maxInFlight: 64,
    clustered: false,
    log,
    parts: {
      edge: { id: 'e'.repeat(64), name: 'edge-a' },
      log,
      members: () => [],
      arn: () => 'arn:aws:lambda:us-west-sfo:000000000000:function:tiny:$LATEST',
      settings: () => ({
        maxRetryAttempts: 2,
        maxEventAgeSeconds: 21_600,
        onSuccess: '',
        onFailure: ''
      }),
      async execute(_job, _attempt, begin) {
        await begin()
        ran++
        return {
          kind: 'done',
          status: 200,
          answer: Buffer.from('{"result":6}'),
          response: Buffer.from('6'),
          version: '$LATEST'
        }
      },
      async deliver() {
        throw new Error('no destination is configured')
      }
    }
  })
  t.teardown(() => service?.close())
  await service.ready()
  const jobs = service
  const before = await diskBytes(join(dir, 'corestore'))

  let peakSegments = 0
  for (let sent = 0; sent < JOBS; sent += AT_ONCE) {
    await Promise.all(
      Array.from({ length: AT_ONCE }, (_, i) =>
        jobs.accept({
          source: 'event',
          functionName: 'tiny',
          qualifier: '',
          payload: Buffer.from(`[${sent + i},1,2]`),
          module: null,
          requestId: `req-${sent + i}`
        })
      )
    )
    peakSegments = Math.max(peakSegments, jobs.segments)
  }
  const grown = await diskBytes(join(dir, 'corestore'))
  // Every job runs once and is forgotten; the segments that held them are retired.
  await eventually(
    'every job ran and was forgotten',
    async () => (ran >= JOBS && jobs.pending() === 0 && jobs.segments <= 1 ? true : undefined),
    120_000
  )
  t.equal(ran, JOBS, 'each job ran once')
  t.ok(peakSegments >= 20, `${peakSegments} segments of 4,096 entries at the peak`)
  t.equal(jobs.segments, 1, 'only the current segment is left')
  // Erased segments go back to the disk once RocksDB compacts (1 s after the last erasure).
  const after = await eventually(
    'disk use back near its start',
    async () => {
      const bytes = await diskBytes(join(dir, 'corestore'))
      return bytes < before + 2 * 1024 * 1024 ? bytes : undefined
    },
    60_000
  )
  t.ok(grown > before + 20 * 1024 * 1024, `${grown} bytes on disk with the jobs accepted`)
  t.ok(after < before + 2 * 1024 * 1024, `${before} bytes before, ${after} after`)
})
