import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import { isFunctionError, SwarmError } from '../errors.js'
import type { AttemptOutcome, RunnerParts } from '../jobs/runner.js'
import { invocationOf, type Invocation, type InvocationResult } from '../scheduler/run.js'
import { jsonEvent, shardEvent } from '../scheduler/shards.js'
import { shapeOf } from '../runtimes/contract.js'
import type { JobAccepted } from '../wire/jobs.js'
import { functionArn, functionRef } from './aws.js'
import type { RouteContext } from './context.js'
import { parseEvent, parsePayload } from './payload.js'

/** The seed's inline jobs ran with a 5-second bound; so do they here. */
const INLINE_JOB_TIMEOUT_MS = 5_000
/** Errors no retry can help: the function or its input is refused. */
const PERMANENT = new Set([
  'FUNCTION_NOT_FOUND',
  'RESOURCE_NOT_FOUND',
  'INVALID_PARAMETER',
  'INVALID_REQUEST',
  'INVALID_DATASET',
  'DATASET_TOO_LARGE',
  'WASM_INVALID'
])

/** The ARN an accepted job invoked, qualified as it was invoked. */
export function jobArn(ctx: RouteContext, job: JobAccepted): string {
  const name = job.functionName === '' ? 'inline' : job.functionName
  return functionArn(ctx.config.region, name, job.qualifier === '' ? undefined : job.qualifier)
}

/**
 * Runs one attempt of accepted async work on this edge: the function at the qualifier it was
 * invoked with (resolved now: an alias may have moved), within the edge's and the function's
 * concurrency, and says how it ended in the runner's terms.
 */
export async function runJob(
  ctx: RouteContext,
  job: JobAccepted,
  attempt: number,
  begin: () => Promise<void>,
  progress: (done: number, total: number) => void
): Promise<AttemptOutcome> {
  let version = '$LATEST'
  let began = false
  try {
    const built = await invocationFor(ctx, job, attempt)
    version = built.version
    let release: () => void
    try {
      release = ctx.concurrency.acquire(built.invocation.functionName, built.reserved)
    } catch (err) {
      if (err instanceof SwarmError && err.code === 'TOO_MANY_REQUESTS')
        return { kind: 'throttled' }
      throw err
    }
    began = true
    try {
      await begin()
    } catch (err) {
      release()
      throw err
    }
    let result: InvocationResult
    try {
      result = await ctx.scheduler.run(built.invocation, progress)
    } finally {
      release()
    }
    const answer = answerOf(result)
    return {
      kind: 'done',
      status: result.partial ? 206 : 200,
      answer: await ctx.json.encode({
        result: answer,
        partial: result.partial,
        missing: result.missing,
        shards: result.shards
      }),
      response: Buffer.from(JSON.stringify(answer)),
      version
    }
  } catch (err) {
    if (!began) await begin() // a failure before the call (e.g. the function is gone) is an attempt too
    const error = err instanceof SwarmError ? err : null
    const code = error?.code ?? 'INTERNAL'
    const errorType = error?.fields.errorType ?? error?.awsType ?? 'ServiceException'
    const message = error?.message ?? String(err)
    const functionError = isFunctionError(err)
    return {
      kind: 'error',
      counted: functionError,
      retry: !PERMANENT.has(code),
      answer: Buffer.from(
        JSON.stringify({ error: { errorType, errorMessage: message, errorCode: code } })
      ),
      response: Buffer.from(JSON.stringify({ errorType, errorMessage: message })),
      functionError: functionError ? 'Unhandled' : null,
      version
    }
  }
}

/** The value a job's answer holds: a JS (or v2) function's own JSON, or a v1 reduced result. */
function answerOf(result: InvocationResult): unknown {
  if (result.payload === null || result.result !== null) return result.result ?? null
  const text = Buffer.from(result.payload).toString('utf8')
  try {
    return JSON.parse(text) as unknown
  } catch {
    return text // a v2 function's bytes that are not JSON
  }
}

async function invocationFor(
  ctx: RouteContext,
  job: JobAccepted,
  attempt: number
): Promise<{ invocation: Invocation; reserved: number; version: string }> {
  const requestId = `${job.requestId}${attempt > 1 ? `#${attempt}` : ''}`
  if (job.module !== null) {
    const fn = await ctx.functions.compile(job.module)
    const input = datasetOf(job.payload)
    const invocation: Invocation = {
      functionName: `inline-${fn.sourceSha256.slice(0, 12)}`,
      reduce: 'sum',
      timeoutMs: INLINE_JOB_TIMEOUT_MS,
      fn,
      input,
      headerItems: 0,
      event: null,
      module: null, // not in the registry: members could not fetch it, so it runs here
      requestId,
      context: { requestId, functionVersion: '$LATEST', invokedFunctionArn: '' }
    }
    return { invocation, reserved: 0, version: '$LATEST' }
  }
  const target = await ctx.versions.target(
    job.functionName,
    job.qualifier === '' ? undefined : job.qualifier
  )
  const resolved = await ctx.functions.prepare(target.record, target.version)
  const invokedArn = jobArn(ctx, job)
  const call = { requestId, invokedArn, version: target.version }
  const reserved = resolved.record.concurrency
  if (job.source === 'job') {
    // The seed's jobs: a dataset; a JS function gets it as its event, `{"dataset": [...]}`.
    const dataset = datasetOf(job.payload)
    const event = resolved.fn.abi === 'json' ? jsonEvent({ dataset }) : null
    const input = event === null ? dataset : shardEvent(event, 0, dataset.length)
    return {
      invocation: invocationOf(resolved, input, { ...call, event }),
      reserved,
      version: target.version
    }
  }
  const body = Buffer.from(job.payload)
  if (resolved.fn.abi === 'json') {
    const { input, event } = await parseEvent(ctx.json, resolved.record.reduce, body)
    return {
      invocation: invocationOf(resolved, input, { ...call, event }),
      reserved,
      version: target.version
    }
  }
  const input = await parsePayload(ctx.json, shapeOf(resolved.fn) as 'v1' | 'v2', body, {})
  return { invocation: invocationOf(resolved, input, call), reserved, version: target.version }
}

/** A dataset stored as little-endian i32, as an aligned Int32Array of its own. */
export function datasetOf(bytes: Uint8Array): Int32Array {
  const dataset = new Int32Array(bytes.byteLength >> 2)
  new Uint8Array(dataset.buffer).set(bytes.subarray(0, dataset.byteLength))
  return dataset
}

/** What the job runner gets from the gateway: how to run, configure and forward async work. */
export function asyncParts(
  ctx: () => RouteContext,
  edge: { id: string; name: string },
  members: () => string[],
  observe: (what: 'retry' | 'takeover' | 'duplicate') => void,
  log: Logger
): Omit<RunnerParts, 'record'> {
  return {
    edge,
    members,
    observe,
    log,
    execute: (job, attempt, begin, progress) => runJob(ctx(), job, attempt, begin, progress),
    arn: (job) =>
      functionArn(ctx().config.region, job.functionName || 'inline', job.qualifier || '$LATEST'),
    settings: (job) => {
      if (job.functionName === '') {
        return { maxRetryAttempts: 0, maxEventAgeSeconds: 21_600, onSuccess: '', onFailure: '' }
      }
      const settings = ctx().eventInvoke.settings(job.functionName, job.qualifier)
      const policy = job.firing === undefined ? null : retryPolicyOf(ctx(), job.firing.schedule)
      // A schedule's RetryPolicy, when it has one, instead of the function's own (AWS's order).
      return policy === null ? settings : { ...settings, ...policy }
    },
    // A destination is invoked as AWS does: asynchronously, the invocation record as its event.
    async deliver(arn, record) {
      const { name, qualifier } = functionRef(arn, null)
      await ctx().jobs.accept(
        {
          source: 'event',
          functionName: name,
          qualifier: qualifier ?? '',
          payload: Buffer.from(JSON.stringify(record)),
          module: null,
          requestId: randomUUID()
        },
        'local'
      )
    }
  }
}

/** A schedule's RetryPolicy as async settings, or null (none set, or the schedule is gone). */
function retryPolicyOf(
  ctx: RouteContext,
  schedule: string
): { maxRetryAttempts: number; maxEventAgeSeconds: number } | null {
  const [group, name] = schedule.split('/') as [string, string]
  try {
    const { target } = ctx.schedules.get(group, name)
    if (target.maximumRetryAttempts === -1) return null
    return {
      maxRetryAttempts: target.maximumRetryAttempts,
      maxEventAgeSeconds: target.maximumEventAgeInSeconds
    }
  } catch {
    return null
  }
}
