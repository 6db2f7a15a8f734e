import { createHash } from 'node:crypto'
import { lambdaEnvironment } from './environment.js'

/**
 * A function whose code is a package of source files run by a language runtime in a warm
 * container (JavaScript, Python): what the registry and the deploy know of it, what a worker
 * needs to build its container, and how the pool sees it. The runtimes differ in how they run
 * the files, not in what they are given.
 */

/** The runtimes whose functions are source packages. */
export type SourceRuntime = 'nodejs' | 'python'

/** What a worker needs to build a container (posted once per worker). */
export interface SourceSpec<R extends SourceRuntime> {
  runtime: R
  /** The executor's cache key: runtime, code, handler, environment and memory together. */
  key: string
  functionName: string
  /** `$LATEST` or a published number: each version of a function has a container of its own. */
  version: string
  /** The handler, in the runtime's own syntax. */
  handler: string
  /** Package-relative path → source text (under /var/task). */
  files: Map<string, string>
  /** The function's own variables, then AWS_LAMBDA_* and friends. */
  environment: Record<string, string>
  memoryMb: number
}

/** A source function ready to run: its spec and how the pool sees it. */
export interface SourceFunction<R extends SourceRuntime> {
  runtime: R
  /** A JSON event in, a JSON value out. */
  abi: 'json'
  key: string
  /** sha256 (hex) of the stored code bundle. */
  sha256: string
  memoryMb: number
  spec: SourceSpec<R>
}

/** What a source function is made of, as the registry and the deploy know it. */
export interface Source {
  functionName: string
  sha256: string
  handler: string
  files: Map<string, string>
  environment: Record<string, string>
  memoryMb: number
  region: string
  /** The AWS runtime name it reports (nodejs20.x, python3.12). */
  runtime: string
  /** `$LATEST` (the default) or a published version's number. */
  version?: string
}

/** A source function of `runtime` from its code and configuration. */
export function sourceFunction<R extends SourceRuntime>(
  runtime: R,
  source: Source
): SourceFunction<R> {
  const version = source.version ?? '$LATEST'
  const environment = lambdaEnvironment(source.environment, { ...source, version })
  const key = createHash('sha256')
    .update(
      JSON.stringify([
        runtime,
        source.sha256,
        source.functionName,
        source.handler,
        environment,
        source.memoryMb
      ])
    )
    .digest('hex')
  return {
    runtime,
    abi: 'json',
    key,
    sha256: source.sha256,
    memoryMb: source.memoryMb,
    spec: {
      runtime,
      key,
      functionName: source.functionName,
      version,
      handler: source.handler,
      files: source.files,
      environment,
      memoryMb: source.memoryMb
    }
  }
}
