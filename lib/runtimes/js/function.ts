import { INVALID_PARAMETER } from '../../errors.js'
import { sourceFunction, type Source, type SourceFunction, type SourceSpec } from '../source.js'

/** Where AWS puts a function's code: file names in traces read /var/task/index.js. */
export const TASK_ROOT = '/var/task/'
/** The Node.js runtime names accepted (the seed's `nodejs` is the default version's alias). */
export const NODE_RUNTIMES = ['nodejs', 'nodejs18.x', 'nodejs20.x', 'nodejs22.x'] as const
export const DEFAULT_NODE_RUNTIME = 'nodejs20.x'
/** Where a handler's file may be, in the order AWS's Node runtime tries them. */
const HANDLER_EXTENSIONS = ['.js', '.mjs', '.cjs']

/** What a worker needs to build a container for a JS function (posted once per worker). */
export type JsSpec = SourceSpec<'nodejs'>
/** A JS function ready to run: its spec and how the pool sees it. */
export type JsFunction = SourceFunction<'nodejs'>
/** What a JS function is made of, as the registry and the deploy know it. */
export type JsSource = Source

/** A JS function from its code and configuration (`nodejs` runs as the default version). */
export function jsFunction(source: JsSource): JsFunction {
  const runtime = source.runtime === 'nodejs' ? DEFAULT_NODE_RUNTIME : source.runtime
  return sourceFunction('nodejs', { ...source, runtime })
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
