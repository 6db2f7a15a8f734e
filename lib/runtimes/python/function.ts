import { createHash } from 'node:crypto'
import { INVALID_PARAMETER } from '../../errors.js'
import { lambdaEnvironment } from '../environment.js'

/**
 * The Python runtime names accepted. Pyodide 0.29 is CPython 3.13: a python3.12 function runs on
 * it too (its code is the user's, its runtime name is what it reports).
 */
export const PYTHON_RUNTIMES = ['python', 'python3.12', 'python3.13'] as const
export const DEFAULT_PYTHON_RUNTIME = 'python3.13'
/** AWS's default handler for Python. */
export const DEFAULT_PYTHON_HANDLER = 'lambda_function.lambda_handler'

/** Whether an AWS Runtime name is one of ours for Python. */
export function isPythonRuntime(runtime: string | undefined): boolean {
  return runtime !== undefined && (PYTHON_RUNTIMES as readonly string[]).includes(runtime)
}

/** What a worker needs to build a container for a Python function (posted once per worker). */
export interface PySpec {
  runtime: 'python'
  /** The executor's cache key: code, handler, environment and memory together. */
  key: string
  functionName: string
  /** `$LATEST` or a published number: each version of a function has a container of its own. */
  version: string
  /** `module.function`, the module dotted or slashed (`pkg/mod.handler`, `pkg.mod.handler`). */
  handler: string
  /** Package-relative path → source text (written under /var/task). */
  files: Map<string, string>
  /** os.environ: the function's own variables, then AWS_LAMBDA_* and friends. */
  environment: Record<string, string>
  memoryMb: number
}

/** A Python function ready to run: its spec and how the pool sees it. */
export interface PyFunction {
  runtime: 'python'
  /** A JSON event in, a JSON value out. */
  abi: 'json'
  key: string
  /** sha256 (hex) of the stored code bundle. */
  sha256: string
  memoryMb: number
  spec: PySpec
}

/** What a Python function is made of, as the registry and the deploy know it. */
export interface PySource {
  functionName: string
  sha256: string
  handler: string
  files: Map<string, string>
  environment: Record<string, string>
  memoryMb: number
  region: string
  runtime: string
  /** `$LATEST` (the default) or a published version's number. */
  version?: string
}

/** A Python function from its code and configuration. */
export function pythonFunction(source: PySource): PyFunction {
  const runtime = source.runtime === 'python' ? DEFAULT_PYTHON_RUNTIME : source.runtime
  const version = source.version ?? '$LATEST'
  const environment = lambdaEnvironment(source.environment, { ...source, runtime, version })
  const key = createHash('sha256')
    .update(
      JSON.stringify([
        'python',
        source.sha256,
        source.functionName,
        source.handler,
        environment,
        source.memoryMb
      ])
    )
    .digest('hex')
  return {
    runtime: 'python',
    abi: 'json',
    key,
    sha256: source.sha256,
    memoryMb: source.memoryMb,
    spec: {
      runtime: 'python',
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

/**
 * A handler split as AWS's Python runtime splits it: the module before the last dot (slashes
 * read as dots), the function after it.
 */
export function parsePythonHandler(handler: string): { module: string; name: string } {
  const dot = handler.lastIndexOf('.')
  const module = dot <= 0 ? '' : handler.slice(0, dot).replaceAll('/', '.')
  const name = dot === -1 ? '' : handler.slice(dot + 1)
  const identifier = /^[A-Za-z_][A-Za-z0-9_]*$/
  if (
    module === '' ||
    !module.split('.').every((part) => identifier.test(part)) ||
    !identifier.test(name) ||
    handler.length > 128
  ) {
    throw INVALID_PARAMETER(
      'Handler',
      `"${handler.slice(0, 128)}" must be module.function (e.g. lambda_function.lambda_handler)`
    )
  }
  return { module, name }
}
