import type { QuickJSRuntime } from 'quickjs-emscripten-core'
import { TASK_ROOT } from './function.js'
import type { PreludeResult } from './prelude/index.js'
import { HookError, REQUIRE_SYMBOL, type Sandbox } from './sandbox.js'

/** How the resolver names a module that is not there (see resolve). */
const MISSING_MODULE = 'swarm-lambda:missing:'

/**
 * ES modules for QuickJS's loader: names resolved by the prelude's own resolver (Node's rules,
 * the package's files only), JSON files as default exports, CommonJS files through require.
 */
export function useModules(
  runtime: QuickJSRuntime,
  sandbox: Sandbox,
  files: ReadonlyMap<string, string>,
  esm: ReadonlySet<string>
): void {
  runtime.setModuleLoader(
    (name) => load(name, files, esm),
    (base, requested) => resolve(sandbox, base, requested)
  )
}

function resolve(sandbox: Sandbox, base: string, requested: string): string {
  const from = base.startsWith(TASK_ROOT) ? base.slice(TASK_ROOT.length) : null
  const args = [sandbox.handle(requested), sandbox.handle(from)]
  try {
    return TASK_ROOT + (sandbox.hookValue('resolve', args) as string)
  } catch (err) {
    if (!(err instanceof HookError)) throw err
    // QuickJS drops a resolver's error message: the name carries it to the loader instead.
    return MISSING_MODULE + JSON.stringify([requested, base])
  }
}

function load(
  name: string,
  files: ReadonlyMap<string, string>,
  esm: ReadonlySet<string>
): string | { error: Error } {
  if (name.startsWith(MISSING_MODULE)) {
    // A module that throws as it evaluates: the one way its message reaches a dynamic import.
    const message = missingMessage(name.slice(MISSING_MODULE.length))
    return `throw Object.assign(new Error(${JSON.stringify(message)}), { code: 'ERR_MODULE_NOT_FOUND' })`
  }
  const path = name.startsWith(TASK_ROOT) ? name.slice(TASK_ROOT.length) : name
  const source = files.get(path)
  if (source === undefined) return { error: new Error(`Cannot find module '${name}'`) }
  if (path.endsWith('.json')) return `export default ${source}`
  if (esm.has(path)) return source
  // CommonJS imported from an ES module: its module.exports is the default export.
  return `export default globalThis[Symbol.for(${JSON.stringify(REQUIRE_SYMBOL)})](${JSON.stringify(path)})`
}

function missingMessage(marker: string): string {
  const [requested, base] = JSON.parse(marker) as [string, string]
  return `Cannot find module '${requested}' imported from ${base}`
}

/**
 * An error thrown while loading a handler, under the names AWS's Node runtime gives init
 * errors: Runtime.UserCodeSyntaxError, Runtime.ImportModuleError, else the error's own type.
 */
export function initErrorOf(result: PreludeResult & { ok: false }): PreludeResult & { ok: false } {
  const missing = result.errorMessage.indexOf(MISSING_MODULE)
  if (missing !== -1) {
    // A static import of a file that is not there fails to link, naming our marker.
    const marker = result.errorMessage.slice(missing + MISSING_MODULE.length).replace(/'$/, '')
    const message = `Error: ${missingMessage(marker)}`
    return {
      ok: false,
      errorType: 'Runtime.ImportModuleError',
      errorMessage: message,
      trace: [message]
    }
  }
  const type =
    result.errorType === 'SyntaxError'
      ? 'Runtime.UserCodeSyntaxError'
      : /^Cannot find module|^Could not find module|^could not load module/.test(
            result.errorMessage
          )
        ? 'Runtime.ImportModuleError'
        : result.errorType
  return {
    ok: false,
    errorType: type,
    errorMessage: type === result.errorType ? result.errorMessage : (result.trace[0] ?? ''),
    trace: result.trace
  }
}
