import { pino } from 'pino'
import t from 'tap'
import type { AsyncSettings } from '../../lib/registry/event-invoke.js'
import { JobRunner, type AttemptOutcome, type RunnerParts } from '../../lib/jobs/runner.js'
import { JobView } from '../../lib/jobs/view.js'
import type { JobAccepted, JobEvent } from '../../lib/wire/jobs.js'

// The runner's decisions, with fake parts and an explicit clock: retries within the settings,
// destinations with AWS's invocation record, over-age events, takeovers by rendezvous, and
// jobs whose owner is alive left alone. (Real edges: test/gateway/async.test.ts, test/p2p/.)

const SELF = 'a'.repeat(64)
const OTHER = 'b'.repeat(64)
const ARN = 'arn:aws:lambda:us-west-sfo:000000000000:function:flaky:$LATEST'
const DEFAULTS: AsyncSettings = {
  maxRetryAttempts: 2,
  maxEventAgeSeconds: 21_600,
  onSuccess: 'arn:aws:lambda:us-west-sfo:000000000000:function:ok',
  onFailure: 'arn:aws:lambda:us-west-sfo:000000000000:function:failed'
}

let serial = 0
function accepted(edge = SELF, at = Date.now()): JobAccepted {
  serial++
  return {
    id: serial.toString(16).padStart(32, '0'),
    source: 'event',
    functionName: 'flaky',
    qualifier: '',
    payload: Buffer.from('{"n":7}'),
    module: null,
    acceptedAt: at,
    edge,
    edgeName: edge === SELF ? 'edge-a' : 'edge-b',
    requestId: `req-${serial}`
  }
}

const done: AttemptOutcome = {
  kind: 'done',
  status: 200,
  answer: Buffer.from('{"result":{"ok":true}}'),
  response: Buffer.from('{"ok":true}'),
  version: '$LATEST'
}
const failed: AttemptOutcome = {
  kind: 'error',
  counted: true,
  retry: true,
  answer: Buffer.from('{"error":{"errorType":"Error","errorMessage":"no"}}'),
  response: Buffer.from('{"errorType":"Error","errorMessage":"no"}'),
  functionError: 'Unhandled',
  version: '$LATEST'
}

/** A runner over a view, its parts recording what it did; events go straight into the view. */
function setup(outcomes: AttemptOutcome[], settings = DEFAULTS, members: string[] = []) {
  const view = new JobView(60_000)
  const events: JobEvent[] = []
  const delivered: { arn: string; record: Record<string, unknown> }[] = []
  let block = 0
  const parts: RunnerParts = {
    edge: { id: SELF, name: 'edge-a' },
    log: pino({ level: 'silent' }),
    members: () => members,
    arn: () => ARN,
    settings: () => settings,
    async record(event) {
      events.push(event)
      view.apply({ kind: 'event', event }, { segment: 'self', index: block++ })
    },
    async execute(_job, _attempt, begin) {
      // As the real one: a throttle is known before the attempt begins.
      const outcome = outcomes.shift() ?? done
      if (outcome.kind !== 'throttled') await begin()
      return outcome
    },
    async deliver(arn, record) {
      delivered.push({ arn, record })
    }
  }
  const runner = new JobRunner(parts, {
    leaseMs: 1_000,
    retryDelayMs: 10,
    maxInFlight: 4,
    resumeAfter: 0
  })
  const add = (job: JobAccepted) =>
    view.apply({ kind: 'accepted', accepted: job }, { segment: 'src', index: block++ })
  /** Ticks until the runner has nothing running and no retry is due before `until`. */
  const settle = async (until = Date.now() + 5_000) => {
    for (let now = Date.now(); now < until; now = Date.now()) {
      runner.tick(view.unfinished(), now)
      await new Promise((resolve) => setTimeout(resolve, 5))
      if (runner.inFlight === 0 && [...view.unfinished()].every((j) => j.retryAt > until)) return
      if (view.pending === 0 && runner.inFlight === 0) return
    }
  }
  return { view, events, delivered, runner, add, settle }
}

t.test('fails twice, then succeeds: attempt 3, and OnSuccess gets the record', async (t) => {
  const { view, delivered, add, settle } = setup([failed, failed, done])
  const job = accepted()
  add(job)
  await settle()
  const state = view.get(job.id)
  t.equal(state?.status, 'completed')
  t.equal(state?.attempts, 3)
  t.strictSame(
    state?.events.map((e) => e.type),
    ['started', 'retrying', 'started', 'retrying', 'started', 'completed']
  )
  t.equal(delivered.length, 1)
  const { arn, record } = delivered[0]!
  t.equal(arn, DEFAULTS.onSuccess)
  t.match(record.timestamp, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
  t.strictSame(
    { ...record, timestamp: '' },
    {
      version: '1.0',
      timestamp: '',
      requestContext: {
        requestId: job.requestId,
        functionArn: ARN,
        condition: 'Success',
        approximateInvokeCount: 3
      },
      requestPayload: { n: 7 },
      responseContext: { statusCode: 200, executedVersion: '$LATEST' },
      responsePayload: { ok: true }
    }
  )
})

t.test('MaximumRetryAttempts 0: the first error goes to OnFailure', async (t) => {
  const { view, delivered, add, settle } = setup([failed], { ...DEFAULTS, maxRetryAttempts: 0 })
  const job = accepted()
  add(job)
  await settle()
  t.equal(view.get(job.id)?.status, 'failed')
  t.equal(delivered.length, 1)
  t.equal(delivered[0]!.arn, DEFAULTS.onFailure)
  t.match(delivered[0]!.record, {
    requestContext: { condition: 'RetriesExhausted', approximateInvokeCount: 1 },
    responseContext: { statusCode: 200, functionError: 'Unhandled' },
    responsePayload: { errorType: 'Error', errorMessage: 'no' }
  })
})

t.test('two retries, then the third error is final', async (t) => {
  const { view, delivered, add, settle } = setup([failed, failed, failed, done])
  const job = accepted()
  add(job)
  await settle()
  t.equal(view.get(job.id)?.status, 'failed')
  t.equal(view.get(job.id)?.attempts, 3)
  t.match(delivered[0]!.record, { requestContext: { approximateInvokeCount: 3 } })
})

t.test('an over-age event is dropped to OnFailure without running', async (t) => {
  const { view, events, delivered, add, runner } = setup([done], {
    ...DEFAULTS,
    maxEventAgeSeconds: 60
  })
  const job = accepted(SELF, Date.now() - 61_000)
  add(job)
  runner.tick(view.unfinished())
  await new Promise((resolve) => setTimeout(resolve, 20))
  t.equal(view.get(job.id)?.status, 'failed')
  t.strictSame(
    events.map((e) => e.type),
    ['failed']
  )
  t.match(delivered[0]!.record, {
    requestContext: { condition: 'EventAgeExceeded', approximateInvokeCount: 0 },
    responsePayload: null
  })
})

t.test('throttled: tried again later, not an attempt', async (t) => {
  const { view, add, settle } = setup([{ kind: 'throttled' }, { kind: 'throttled' }, done])
  const job = accepted()
  add(job)
  await settle()
  t.equal(view.get(job.id)?.status, 'completed')
  t.equal(view.get(job.id)?.attempts, 1)
})

t.test("another edge's job: left alone while it lives, taken over past the lease", async (t) => {
  const alive = setup([done], DEFAULTS, [OTHER])
  const job = accepted(OTHER)
  alive.add(job)
  alive.runner.tick(alive.view.unfinished(), Date.now() + 10_000)
  await new Promise((resolve) => setTimeout(resolve, 20))
  t.equal(alive.events.length, 0, 'a member that answers keeps its job')

  // Gone (no member alive): the only live edge is this one, so rendezvous picks it.
  const gone = setup([done], DEFAULTS, [])
  const orphan = accepted(OTHER)
  gone.add(orphan)
  gone.runner.tick(gone.view.unfinished(), Date.now() + 500)
  await new Promise((resolve) => setTimeout(resolve, 20))
  t.equal(gone.events.length, 0, 'not before the lease')
  gone.runner.tick(gone.view.unfinished(), Date.now() + 2_000)
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.strictSame(
    gone.events.map((e) => e.type),
    ['takeover', 'started', 'completed']
  )
  t.equal(gone.view.get(orphan.id)?.owner, SELF)
  t.equal(gone.events[0]!.from, OTHER)
})
