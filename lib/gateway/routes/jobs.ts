import { parseDataset, requireItems } from '../../dataset.js'
import { INVALID_PARAMETER, JOB_NOT_FOUND } from '../../errors.js'
import type { JobState } from '../../jobs/view.js'
import { checkDatasetSize } from '../../limits.js'
import type { JobEvent } from '../../wire/jobs.js'
import { functionRef, paginate } from '../aws.js'
import type { RouteContext } from '../context.js'
import { Fields } from '../fields.js'
import { asObject } from '../json.js'
import type { Reply, Route } from '../server.js'

const STATUSES = ['pending', 'completed', 'partial', 'failed', 'cancelled']

/** What every answer about a job starts with: who accepted it, and what happened since. */
function head(job: JobState) {
  const accepted = job.accepted as NonNullable<JobState['accepted']>
  return {
    job_id: job.id,
    function: accepted.functionName === '' ? 'inline' : accepted.functionName,
    ...(accepted.qualifier === '' ? {} : { qualifier: accepted.qualifier }),
    status: job.status,
    accepted: { edge: accepted.edgeName, at: new Date(accepted.acceptedAt).toISOString() },
    ...(accepted.firing === undefined
      ? {}
      : {
          schedule: {
            name: accepted.firing.schedule,
            tick: new Date(accepted.firing.tick).toISOString()
          }
        }),
    attempts: job.attempts,
    history: job.events.map((e) => ({
      event: e.type,
      edge: e.edgeName,
      at: new Date(e.at).toISOString(),
      attempt: e.attempt,
      ...(e.type === 'takeover' ? { from: e.from.slice(0, 16) } : {})
    }))
  }
}

/** A job's answer: 202 pending (with progress), 200 completed or failed, 206 partial. */
function reply(ctx: RouteContext, job: JobState): Reply {
  const top = head(job)
  if (job.status === 'pending') {
    const progress = ctx.jobs.progress(job.id) ?? { done: 0, total: 0 }
    return { status: 202, body: { ...top, progress } }
  }
  const end = job.events.find(
    (e) => e.type !== 'started' && e.type !== 'retrying' && e.type !== 'takeover'
  ) as JobEvent
  if (job.status === 'cancelled') {
    return {
      status: 200,
      body: {
        ...top,
        error: {
          errorType: 'ServiceException',
          errorMessage: 'Not accepted: no member held it in time (the client was answered 503)',
          errorCode: 'ASYNC_NOT_REPLICATED'
        }
      }
    }
  }
  // The stored answer is a JSON object: spliced after the head, never parsed again here.
  const front = JSON.stringify(top).slice(0, -1)
  const stored = Buffer.from(end.body.buffer, end.body.byteOffset, end.body.byteLength)
  return {
    status: job.status === 'partial' ? 206 : 200,
    headers: { 'content-type': 'application/json' },
    body: Buffer.concat([Buffer.from(`${front},`), stored.subarray(1)])
  }
}

/**
 * The seed's async jobs, durable (lib/jobs/): `POST /api/v1/jobs` with `{ wasm_base64, dataset }`
 * or a deployed `function` (`name[:qualifier]`) answers 202 and a job id once the job is in the
 * log; `GET /api/v1/jobs/:id` answers on every edge: 202 pending, 200 completed or failed, 206
 * partial, 404 for an id no edge accepted; `GET /api/v1/jobs` lists them, newest first.
 */
export function jobRoutes(ctx: RouteContext): Route[] {
  return [
    {
      method: 'POST',
      path: /^\/api\/v1\/jobs\/?$/,
      access: 'control',
      async handle({ body, requestId, url }) {
        const fields = new Fields(asObject(await ctx.json.parse(body), 'the body'))
        const dataset = requireItems(parseDataset(fields.raw('dataset')))
        const reference = fields.optionalString('function')
        let functionName = ''
        let qualifier = ''
        let module: Uint8Array | null = null
        if (reference !== undefined) {
          const ref = functionRef(reference, url)
          const target = await ctx.versions.target(ref.name, ref.qualifier)
          if (target.record.abi === 'v2') {
            throw INVALID_PARAMETER('function', `${ref.name} takes bytes (ABI v2), not a dataset`)
          }
          checkDatasetSize(dataset, target.record.maxDatasetItems, ctx.config.maxDatasetItems)
          functionName = ref.name
          qualifier = ref.qualifier ?? ''
        } else {
          checkDatasetSize(dataset, 0, ctx.config.maxDatasetItems)
          const wasm = fields.base64('wasm_base64')
          const fn = await ctx.functions.compile(wasm)
          if (fn.abi !== 'v1')
            throw INVALID_PARAMETER('wasm_base64', 'a job module must use ABI v1 (execute)')
          module = wasm
        }
        const payload = new Uint8Array(dataset.buffer, dataset.byteOffset, dataset.byteLength)
        const job = await ctx.jobs.accept({
          source: 'job',
          functionName,
          qualifier,
          payload,
          module,
          requestId
        })
        return { status: 202, body: { job_id: job.id, status: 'pending' } }
      }
    },
    {
      method: 'GET',
      path: /^\/api\/v1\/jobs\/?$/,
      access: 'invoke',
      async handle({ url }) {
        const fn = url.searchParams.get('function')
        const status = url.searchParams.get('status')
        if (status !== null && !STATUSES.includes(status)) {
          throw INVALID_PARAMETER('status', `must be one of ${STATUSES.join(', ')}`)
        }
        const all = ctx.jobs.view
          .list()
          .filter((job) => fn === null || job.accepted?.functionName === fn)
          .filter((job) => status === null || job.status === status)
        const { page, next } = paginate(all, (job) => job.id, url)
        return {
          status: 200,
          body: {
            jobs: page.map((job) => {
              const { history, ...summary } = head(job)
              return { ...summary, events: history.length }
            }),
            NextMarker: next
          }
        }
      }
    },
    {
      method: 'GET',
      path: /^\/api\/v1\/jobs\/([^/]+)$/,
      access: 'invoke',
      async handle({ params }) {
        const job = await ctx.jobs.find(params[0] as string)
        if (job === undefined) throw JOB_NOT_FOUND(params[0] as string)
        return reply(ctx, job)
      }
    }
  ]
}
