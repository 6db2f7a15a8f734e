import { request } from 'undici'
import {
  inputOptions,
  print,
  readFileOrExplain,
  readInput,
  UsageError,
  type Command
} from '../command.js'

const DEFAULT_ENDPOINT = 'http://127.0.0.1:8787'

const endpointOption = {
  endpoint: { type: 'string', default: process.env.SWARMLAMBDA_ENDPOINT ?? DEFAULT_ENDPOINT }
} as const satisfies Command['options']

const endpointHelp = `  --endpoint URL        the edge to talk to (default $SWARMLAMBDA_ENDPOINT or ${DEFAULT_ENDPOINT})
  (an edge with access keys wants $SWARMLAMBDA_TOKEN=ID:SECRET, sent as Authorization: Bearer)`

/** A non-2xx answer from an edge, printed as its AWS error type and exit 1. */
class RemoteError extends Error {}

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Buffer
}

async function call(
  endpoint: string,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: Buffer | string,
  headers?: Record<string, string>
): Promise<Answer> {
  let response
  try {
    const token = process.env.SWARMLAMBDA_TOKEN
    response = await request(new URL(path, endpoint), {
      method,
      body: body ?? null,
      headers: {
        ...headers,
        ...(token === undefined || token === '' ? {} : { authorization: `Bearer ${token}` })
      }
    })
  } catch (err) {
    throw new UsageError(`cannot reach ${endpoint}: ${(err as Error).message}`)
  }
  const answer = {
    status: response.statusCode,
    headers: response.headers,
    body: Buffer.from(await response.body.arrayBuffer())
  }
  if (answer.status >= 400) {
    const type = String(answer.headers['x-amzn-errortype'] ?? `HTTP ${answer.status}`)
    let message = answer.body.toString('utf8')
    try {
      message = (JSON.parse(message) as { message?: string }).message ?? message
    } catch {
      // not JSON: print the body as it came
    }
    throw new RemoteError(`${type}: ${message}`)
  }
  return answer
}

function name(positionals: string[], count = 1): string[] {
  if (positionals.length !== count)
    throw new UsageError(`expected ${count === 1 ? 'NAME' : 'NAME FILE.wasm'}`)
  return positionals
}

async function guard(work: () => Promise<number | void>): Promise<number | void> {
  try {
    return await work()
  } catch (err) {
    if (!(err instanceof RemoteError)) throw err
    console.error(`error ${err.message}`)
    return 1
  }
}

/** `deploy NAME FILE.wasm`: POST /functions. */
export const deployCommand: Command = {
  summary: 'deploy a .wasm file as a function',
  usage: `swarm-lambda deploy NAME FILE.wasm [--reduce sum|min|max|concat|none] [--timeout-ms N] [--memory-mb N] [--header-items N]

Deploys (or replaces) function NAME on the edge and prints its configuration.

  --reduce R            how shard results combine (default sum)
  --timeout-ms N        per-call deadline (default 3000)
  --memory-mb N         memory limit (default 128)
  --header-items N      leading dataset items every shard gets (default 0)
${endpointHelp}`,
  options: {
    ...endpointOption,
    reduce: { type: 'string' },
    'timeout-ms': { type: 'string' },
    'memory-mb': { type: 'string' },
    'header-items': { type: 'string' }
  },
  run: (values, positionals) =>
    guard(async () => {
      const [fnName, file] = name(positionals, 2) as [string, string]
      const wasm = await readFileOrExplain(file)
      const body: Record<string, unknown> = { name: fnName, wasm_base64: wasm.toString('base64') }
      if (values.reduce !== undefined) body.reduce = values.reduce
      if (values['timeout-ms'] !== undefined) body.timeoutMs = Number(values['timeout-ms'])
      if (values['memory-mb'] !== undefined) body.memoryMb = Number(values['memory-mb'])
      if (values['header-items'] !== undefined) body.headerItems = Number(values['header-items'])
      const answer = await call(
        values.endpoint as string,
        'POST',
        '/functions',
        JSON.stringify(body),
        { 'content-type': 'application/json' }
      )
      print(JSON.parse(answer.body.toString('utf8')))
    })
}

/** `invoke NAME`: the AWS Invoke path. */
export const invokeCommand: Command = {
  summary: 'invoke a function with a dataset',
  usage: `swarm-lambda invoke NAME (--dataset JSON | --dataset-file FILE) [--type RequestResponse|Event|DryRun] [--tail]

Invokes NAME through the AWS Invoke path (NAME may name a version or an alias: NAME:3,
NAME:prod). For ABI v1 the dataset is a JSON array of
integers (sent as {"dataset": [...]}); for ABI v2 it is sent as the raw payload. Prints the
answer; a function error prints its type and exits 1.

  --dataset JSON        the input
  --dataset-file FILE   read the input from FILE
  --type T              invocation type (default RequestResponse)
  --tail                also print the log tail (X-Amz-Log-Result) to stderr
${endpointHelp}`,
  options: {
    ...endpointOption,
    ...inputOptions,
    type: { type: 'string', default: 'RequestResponse' },
    tail: { type: 'boolean', default: false }
  },
  run: (values, positionals) =>
    guard(async () => {
      const [fnName] = name(positionals) as [string]
      const raw = (await readInput(values)).toString('utf8')
      let payload = raw
      if (raw.trimStart().startsWith('[')) payload = `{"dataset":${raw}}`
      const headers: Record<string, string> = { 'x-amz-invocation-type': values.type as string }
      if (values.tail === true) headers['x-amz-log-type'] = 'Tail'
      const answer = await call(
        values.endpoint as string,
        'POST',
        `/2015-03-31/functions/${encodeURIComponent(fnName)}/invocations`,
        payload,
        headers
      )
      const log = answer.headers['x-amz-log-result']
      if (typeof log === 'string') process.stderr.write(Buffer.from(log, 'base64').toString('utf8'))
      const jobId = answer.headers['x-swarmlambda-job-id']
      if (answer.status === 202) return print({ status: 202, jobId })
      if (answer.status === 204) return print({ status: 204, dryRun: 'ok' })
      process.stdout.write(answer.body.toString('utf8') + '\n')
      if (answer.headers['x-amz-function-error'] !== undefined) return 1
    })
}

/** `ls`: the functions on the edge. */
export const lsCommand: Command = {
  summary: 'list the functions on an edge',
  usage: `swarm-lambda ls

Lists the functions: name, version, ABI, reduce, code size, sha256.
${endpointHelp}`,
  options: endpointOption,
  run: (values) =>
    guard(async () => {
      const answer = await call(values.endpoint as string, 'GET', '/functions')
      const { functions } = JSON.parse(answer.body.toString('utf8')) as {
        functions: {
          FunctionName: string
          CodeSize: number
          SwarmLambda: { abi: string; reduce: string; version: number; sha256: string }
        }[]
      }
      for (const f of functions) {
        const s = f.SwarmLambda
        console.log(
          [
            f.FunctionName,
            `v${s.version}`,
            s.abi,
            s.reduce,
            `${f.CodeSize}B`,
            s.sha256.slice(0, 12)
          ].join('\t')
        )
      }
    })
}

/** `rm NAME`: DELETE /functions/NAME. */
export const rmCommand: Command = {
  summary: 'delete a function',
  usage: `swarm-lambda rm NAME

Deletes function NAME.
${endpointHelp}`,
  options: endpointOption,
  run: (values, positionals) =>
    guard(async () => {
      const [fnName] = name(positionals) as [string]
      await call(values.endpoint as string, 'DELETE', `/functions/${encodeURIComponent(fnName)}`)
      console.log(`deleted ${fnName}`)
    })
}
