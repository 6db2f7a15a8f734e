import { JS_INVALID } from '../../errors.js'
import { ContainerBroken } from '../warm.js'
import { Container, INIT_TIMEOUT_MS } from './container.js'
import type { Engine } from './engine.js'
import { jsFunction, type JsSource } from './function.js'

/**
 * Checks a JS function at deploy, off the event loop (in the validator worker): its handler's
 * module graph must load in a container of its own (syntax, imports, requires of files in the
 * package) within the init time, and the export must be a function. A failure is a JS_INVALID
 * error naming the file and line, so a broken function is refused, not stored.
 */
export async function checkJs(engine: Engine, source: JsSource, timeoutMs: number): Promise<void> {
  const container = await Container.create(engine, jsFunction(source).spec)
  let loaded
  try {
    loaded = container.init(Math.min(timeoutMs, INIT_TIMEOUT_MS))
  } catch (err) {
    if (!(err instanceof ContainerBroken) || err.outcome.ok) throw err
    throw JS_INVALID(`the handler's module did not load: ${err.outcome.message}`)
  }
  if (loaded.ok) return
  throw JS_INVALID(
    `${locate(loaded.trace, source.files)}${loaded.errorType}: ${loaded.errorMessage}`
  )
}

/**
 * `file:line:column: ` of the first trace line in the package. CommonJS is compiled inside
 * Node's wrapper, whose closing line is one past the file's: an error found there (input that
 * ends too soon) is at the file's last line.
 */
function locate(trace: readonly string[], files: ReadonlyMap<string, string>): string {
  for (const line of trace) {
    const match = /\/var\/task\/([^\s:()]+):(\d+)(?::(\d+))?/.exec(line)
    if (match === null) continue
    const [, file, row, column] = match as unknown as [string, string, string, string | undefined]
    const lines = (files.get(file) ?? '').split('\n').length
    if (Number(row) > lines) return `${file}:${lines}: (where the file ends) `
    return `${file}:${row}${column === undefined ? '' : `:${column}`}: `
  }
  return ''
}
