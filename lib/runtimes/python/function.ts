import { INVALID_PARAMETER } from '../../errors.js'
import { sourceFunction, type Source, type SourceFunction, type SourceSpec } from '../source.js'

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
export type PySpec = SourceSpec<'python'>
/** A Python function ready to run: its spec and how the pool sees it. */
export type PyFunction = SourceFunction<'python'>
/** What a Python function is made of, as the registry and the deploy know it. */
export type PySource = Source

/** A Python function from its code and configuration (`python` runs as the default version). */
export function pythonFunction(source: PySource): PyFunction {
  const runtime = source.runtime === 'python' ? DEFAULT_PYTHON_RUNTIME : source.runtime
  return sourceFunction('python', { ...source, runtime })
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
