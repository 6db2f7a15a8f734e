import { parseDataset, requireItems } from '../../dataset.js'
import { INVALID_PARAMETER, JOB_NOT_FOUND } from '../../errors.js'
import type { Job } from '../../jobs.js'
import { invocationOf, type Invocation } from '../../scheduler/run.js'
import { jsonEvent, shardEvent } from '../../scheduler/shards.js'
import { functionArn } from '../aws.js'
import { asObject } from '../json.js'
import type { RouteContext } from '../context.js'
import { checkDatasetSize } from '../../limits.js'
import { Fields } from '../fields.js'
import type { Reply, Route } from '../server.js'

/** The seed's jobs ran with a 5-second bound; so do inline jobs here. */
const INLINE_JOB_TIMEOUT_MS = 5_000

async function status(ctx: RouteContext, job: Job): Promise<Reply> {
  const head = { job_id: job.id, function: job.functionName, status: job.status }
  switch (job.status) {
    case 'pending':
      return {
        status: 202,
        body: { ...head, progress: { done: job.shardsDone, total: job.shardsTotal } }
      }
    case 'failed':
      return {
        status: 200,
        body: {
          ...head,
          error: {
            errorType: job.error?.awsType,
            errorMessage: job.error?.message,
            errorCode: job.error?.code
          }
        }
      }
    case 'completed':
    case 'partial': {
      const result = job.result
      // A JS function's answer is JSON already: the job's result is that value.
      const answer =
        result?.payload != null && result.result === null
          ? (JSON.parse(Buffer.from(result.payload).toString()) as unknown)
          : (result?.result ?? null)
      return {
        status: job.status === 'partial' ? 206 : 200,
        headers: { 'content-type': 'application/json' },
        // An array output may be 6 MiB: encoded off the event loop.
        body: await ctx.json.encode({
          ...head,
          result: answer,
          partial: result?.partial ?? false,
          missing: result?.missing ?? [],
          shards: result?.shards ?? []
        })
      }
    }
  }
}

/**
 * The seed's async jobs: `POST /api/v1/jobs` with `{ wasm_base64, dataset }` (or a deployed
 * `function` by name) answers 202 and a job id; `GET /api/v1/jobs/:id` answers 202 while pending,
 * 200 when completed, 206 when partial, 404 for an unknown or expired job.
 */
export function jobRoutes(ctx: RouteContext): Route[] {
  return [
    {
      method: 'POST',
      path: /^\/api\/v1\/jobs\/?$/,
      access: 'control',
      async handle({ body, requestId }) {
        const fields = new Fields(asObject(await ctx.json.parse(body), 'the body'))
        const dataset = requireItems(parseDataset(fields.raw('dataset')))
        const name = fields.optionalString('function')
        let invocation: Invocation
        let reserved = 0
        if (name !== undefined) {
          const resolved = await ctx.functions.resolve(name)
          if (resolved.fn.abi === 'v2')
            throw INVALID_PARAMETER('function', `${name} takes bytes (ABI v2), not a dataset`)
          checkDatasetSize(dataset, resolved.record.maxDatasetItems, ctx.config.maxDatasetItems)
          const invokedArn = functionArn(ctx.config.region, name)
          // A JS function gets the dataset as its event, `{"dataset": [...]}`.
          const event = resolved.fn.abi === 'json' ? jsonEvent({ dataset }) : null
          const input = event === null ? dataset : shardEvent(event, 0, dataset.length)
          invocation = invocationOf(resolved, input, { requestId, invokedArn, event })
          reserved = resolved.record.concurrency
        } else {
          checkDatasetSize(dataset, 0, ctx.config.maxDatasetItems)
          const fn = await ctx.functions.compile(fields.base64('wasm_base64'))
          if (fn.abi !== 'v1')
            throw INVALID_PARAMETER('wasm_base64', 'a job module must use ABI v1 (execute)')
          invocation = {
            functionName: `inline-${fn.sourceSha256.slice(0, 12)}`,
            reduce: 'sum',
            timeoutMs: INLINE_JOB_TIMEOUT_MS,
            fn,
            input: dataset,
            headerItems: 0,
            event: null,
            module: null, // not in the registry: members could not fetch it, so it runs here
            requestId,
            context: { requestId, functionVersion: '$LATEST', invokedFunctionArn: '' }
          }
        }
        const release = ctx.concurrency.acquire(invocation.functionName, reserved)
        const job = ctx.jobs.start(invocation, ctx.scheduler, release)
        return { status: 202, body: { job_id: job.id, status: job.status } }
      }
    },
    {
      method: 'GET',
      path: /^\/api\/v1\/jobs\/([^/]+)$/,
      access: 'invoke',
      async handle({ params }) {
        const job = ctx.jobs.get(params[0] as string)
        if (job === undefined) throw JOB_NOT_FOUND(params[0] as string)
        return status(ctx, job)
      }
    }
  ]
}
