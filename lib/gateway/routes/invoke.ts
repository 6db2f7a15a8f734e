import { performance } from 'node:perf_hooks'
import { INVALID_PARAMETER, isFunctionError, REQUEST_TOO_LARGE, SwarmError } from '../../errors.js'
import { checkDatasetSize } from '../../limits.js'
import { shapeOf } from '../../runtimes/contract.js'
import type { FunctionRecord } from '../../wire/function-record.js'
import { invocationOf, type Invocation, type InvocationResult } from '../../scheduler/run.js'
import { functionArn, functionRef } from '../aws.js'
import type { RouteContext } from '../context.js'
import { DATASET_ENCODING_HEADER, parseEvent, parsePayload } from '../payload.js'
import { errorReply, type Reply, type Request, type Route } from '../server.js'

const INVOCATION_TYPES = ['RequestResponse', 'Event', 'DryRun'] as const
const LOG_TYPES = ['None', 'Tail'] as const
/** AWS returns at most the last 4 KB of the log with `X-Amz-Log-Type: Tail`. */
const TAIL_BYTES = 4096
/** Header of a partial JS answer (206): the shards it lacks, comma-separated. */
export const MISSING_SHARDS_HEADER = 'x-swarmlambda-missing-shards'
/** AWS's limit for an asynchronous invocation's payload. */
export const MAX_EVENT_BYTES = 1024 * 1024
/** Header naming the job an `Event` invocation became (poll it at /api/v1/jobs/:id). */
export const JOB_ID_HEADER = 'x-swarmlambda-job-id'

function oneOf<T extends string>(
  request: Request,
  header: string,
  values: readonly T[],
  fallback: T
): T {
  const value = request.headers[header]
  if (value === undefined) return fallback
  if (!(values as readonly unknown[]).includes(value)) {
    throw INVALID_PARAMETER(header, `must be one of ${values.join(', ')}`)
  }
  return value as T
}

/** A Lambda-style log, as `X-Amz-Log-Result` carries it: base64 of at most its last 4 KB. */
function tailLog(
  request: Request,
  version: string,
  memoryMb: number,
  ms: number,
  outcome: InvocationResult | SwarmError
): string {
  const lines = [`START RequestId: ${request.requestId} Version: ${version}`]
  // What the function wrote (console lines of a JS function, its error line included).
  const written = outcome.logs ?? ''
  if (written !== '') lines.push(written.replace(/\n$/, ''))
  if (outcome instanceof SwarmError) {
    if (written === '') lines.push(`ERROR ${outcome.awsType} (${outcome.code}): ${outcome.message}`)
  } else if (outcome.shards.length > 1 || written === '') {
    for (const s of outcome.shards) {
      lines.push(
        `shard ${s.index}: ${s.edge}, ${s.attempts} attempt(s), ${s.ms} ms, ${s.items} items`
      )
    }
  }
  lines.push(`END RequestId: ${request.requestId}`)
  lines.push(
    `REPORT RequestId: ${request.requestId}\tDuration: ${ms.toFixed(2)} ms\tBilled Duration: ${Math.ceil(ms)} ms\tMemory Size: ${memoryMb} MB`
  )
  const log = Buffer.from(lines.join('\n') + '\n')
  return log.subarray(Math.max(0, log.length - TAIL_BYTES)).toString('base64')
}

/**
 * Runs an invocation now, within the edge's and the function's concurrency: its result, or the
 * function error that ended it (any other error is thrown).
 */
export async function runNow(
  ctx: RouteContext,
  record: FunctionRecord,
  invocation: Invocation
): Promise<InvocationResult | SwarmError> {
  const release = ctx.concurrency.acquire(record.name, record.concurrency)
  try {
    return await ctx.scheduler.run(invocation)
  } catch (err) {
    if (!isFunctionError(err)) throw err
    return err
  } finally {
    release()
  }
}

/**
 * AWS Invoke: `POST /2015-03-31/functions/:name/invocations` with a plain name, a qualified one
 * (`name:$LATEST`, `name:3`, `name:prod`) or an ARN. RequestResponse answers with the result;
 * Event answers 202 and runs it as a job; DryRun checks the function and the payload, then
 * answers 204. A function error is a 200 with `X-Amz-Function-Error: Unhandled`.
 * `X-Amz-Executed-Version` names the version that ran (an alias picks one by its weights).
 */
export function invokeRoutes(ctx: RouteContext): Route[] {
  return [
    {
      method: 'POST',
      path: /^\/2015-03-31\/functions\/([^/]+)\/invocations\/?$/,
      access: 'invoke',
      async handle(request): Promise<Reply> {
        const type = oneOf(request, 'x-amz-invocation-type', INVOCATION_TYPES, 'RequestResponse')
        const logType = oneOf(request, 'x-amz-log-type', LOG_TYPES, 'None')
        const { name, qualifier } = functionRef(
          request.params[0] as string,
          request.rawQuery === '' ? null : request.url
        )
        const target = await ctx.versions.target(name, qualifier)
        const resolved = await ctx.functions.prepare(target.record, target.version)
        const { record, fn } = resolved
        const { input, event } =
          fn.abi === 'json'
            ? await parseEvent(ctx.json, record.reduce, request.body)
            : {
                input: await parsePayload(
                  ctx.json,
                  shapeOf(fn) as 'v1' | 'v2',
                  request.body,
                  request.headers
                ),
                event: null
              }
        checkDatasetSize(
          event?.dataset ?? input,
          record.maxDatasetItems,
          ctx.config.maxDatasetItems
        )
        const invocation = invocationOf(resolved, input, {
          requestId: request.requestId,
          invokedArn: functionArn(ctx.config.region, record.name, qualifier),
          event,
          version: target.version
        })
        const headers: Record<string, string> = { 'x-amz-executed-version': target.version }
        if (type === 'DryRun') return { status: 204, headers }
        if (type === 'Event') {
          if (request.body.length > MAX_EVENT_BYTES) throw REQUEST_TOO_LARGE(MAX_EVENT_BYTES)
          // A binary dataset is kept as the JSON it stands for: the log keeps bodies, not headers.
          const payload =
            input instanceof Int32Array && request.headers[DATASET_ENCODING_HEADER] !== undefined
              ? Buffer.from(JSON.stringify({ dataset: Array.from(input) }))
              : request.body
          const job = await ctx.jobs.accept({
            source: 'event',
            functionName: name,
            qualifier: qualifier ?? '',
            payload,
            module: null,
            requestId: request.requestId
          })
          return { status: 202, headers: { ...headers, [JOB_ID_HEADER]: job.id } }
        }

        const started = performance.now()
        const outcome = await runNow(ctx, record, invocation)
        if (logType === 'Tail') {
          headers['x-amz-log-result'] = tailLog(
            request,
            target.version,
            record.memoryMb,
            performance.now() - started,
            outcome
          )
        }
        if (outcome instanceof SwarmError) {
          const reply = errorReply(outcome)
          return { ...reply, headers: { ...reply.headers, ...headers } }
        }
        // Some shards lost after retries: 206, and which ones are missing.
        const status = outcome.partial ? 206 : 200
        if (outcome.payload !== null) {
          if (fn.abi === 'json') {
            headers['content-type'] = 'application/json'
            if (outcome.partial) headers[MISSING_SHARDS_HEADER] = outcome.missing.join(',')
          }
          return { status, headers, body: outcome.payload }
        }
        const answer = outcome.partial
          ? {
              result: outcome.result,
              partial: true,
              missing: outcome.missing,
              shards: outcome.shards
            }
          : { result: outcome.result, partial: false, shards: outcome.shards }
        headers['content-type'] = 'application/json'
        // A number is the usual result: the gateway writes its JSON. Arrays may be large, and are
        // encoded off this thread when they are.
        if (typeof outcome.result === 'number') return { status, headers, body: answer }
        return { status, headers, body: await ctx.json.encode(answer) }
      }
    }
  ]
}
