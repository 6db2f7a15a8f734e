import { createHash } from 'node:crypto'
import { INVALID_PARAMETER } from '../../errors.js'
import { lambdaEnvironment } from '../environment.js'

/** Where AWS puts a function's code: file names in traces read /var/task/index.js. */
export const TASK_ROOT = '/var/task/'
/** The Node.js runtime names accepted (the seed's `nodejs` is the default version's alias). */
export const NODE_RUNTIMES = ['nodejs', 'nodejs18.x', 'nodejs20.x', 'nodejs22.x'] as const
export const DEFAULT_NODE_RUNTIME = 'nodejs20.x'
/** Where a handler's file may be, in the order AWS's Node runtime tries them. */
const HANDLER_EXTENSIONS = ['.js', '.mjs', '.cjs']

/** What a worker needs to build a container for a JS function (posted once per worker). */
export interface JsSpec {
  runtime: 'nodejs'
  /** The executor's cache key: code, handler, environment and memory together. */
  key: string
  functionName: string
  /** `$LATEST` or a published number: each version of a function has a container of its own. */
  version: string
  /** `path/to/file.exportName` (the export may be a dotted path). */
  handler: string
  /** Package-relative path → source text. */
  files: Map<string, string>
  /** process.env: the function's own variables, then AWS_LAMBDA_* and friends. */
  environment: Record<string, string>
  memoryMb: number
}

/** A JS function ready to run: its spec and how the pool sees it. */
export interface JsFunction {
  runtime: 'nodejs'
  /** A JSON event in, a JSON value out. */
  abi: 'json'
  key: string
  /** sha256 (hex) of the stored code bundle. */
  sha256: string
  memoryMb: number
  spec: JsSpec
}

/** What a JS function is made of, as the registry and the deploy know it. */
export interface JsSource {
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

/** A JS function from its code and configuration. */
export function jsFunction(source: JsSource): JsFunction {
  const environment = lambdaEnvironment(source.environment, {
    ...source,
    runtime: source.runtime === 'nodejs' ? DEFAULT_NODE_RUNTIME : source.runtime,
    version: source.version ?? '$LATEST'
  })
  const key = createHash('sha256')
    .update(
      JSON.stringify([
        source.sha256,
        source.functionName,
        source.handler,
        environment,
        source.memoryMb
      ])
    )
    .digest('hex')
  return {
    runtime: 'nodejs',
    abi: 'json',
    key,
    sha256: source.sha256,
    memoryMb: source.memoryMb,
    spec: {
      runtime: 'nodejs',
      key,
      functionName: source.functionName,
      version: source.version ?? '$LATEST',
      handler: source.handler,
      files: source.files,
      environment,
      memoryMb: source.memoryMb
    }
  }
}

/** A handler string split as AWS's Node runtime splits it: module path, then export path. */
export function parseHandler(handler: string): { module: string; exportPath: string } {
  const slash = handler.lastIndexOf('/')
  const dot = handler.indexOf('.', slash + 1)
  const module = dot === -1 ? '' : handler.slice(0, dot)
  const exportPath = dot === -1 ? '' : handler.slice(dot + 1)
  if (
    module === '' ||
    exportPath === '' ||
    /\s/.test(handler) ||
    exportPath.split('.').some((part) => part === '') ||
    handler.length > 128
  ) {
    throw INVALID_PARAMETER(
      'Handler',
      `"${handler.slice(0, 128)}" must be path/to/file.exportName (e.g. index.handler)`
    )
  }
  return { module: module.replace(/^\.\//, ''), exportPath }
}

/** The file a handler names, whether it is an ES module, and its export path. */
export function entryOf(spec: Pick<JsSpec, 'handler' | 'files'>): {
  module: string
  exportPath: string
  file: string | null
  esm: boolean
} {
  const { module, exportPath } = parseHandler(spec.handler)
  const file = HANDLER_EXTENSIONS.map((ext) => module + ext).find((f) => spec.files.has(f)) ?? null
  const esm = file !== null && isEsm(file, spec.files)
  return { module, exportPath, file, esm }
}

/** Every file of the package that Node would load as an ES module. */
export function esmFiles(files: ReadonlyMap<string, string>): string[] {
  return [...files.keys()].filter((path) => isEsm(path, files))
}

/** .mjs always; .js when the nearest package.json says "type": "module". */
function isEsm(path: string, files: ReadonlyMap<string, string>): boolean {
  if (path.endsWith('.mjs')) return true
  if (!path.endsWith('.js')) return false
  for (let dir = path.slice(0, Math.max(0, path.lastIndexOf('/'))); ;) {
    const manifest = files.get(dir === '' ? 'package.json' : `${dir}/package.json`)
    if (manifest !== undefined) {
      try {
        return (JSON.parse(manifest) as { type?: unknown }).type === 'module'
      } catch {
        return false // an unreadable package.json declares nothing: CommonJS, as Node assumes
      }
    }
    if (dir === '') return false
    dir = dir.slice(0, Math.max(0, dir.lastIndexOf('/')))
  }
}
