import { JS_INVALID } from '../../errors.js'
import { Container, ContainerBroken, INIT_TIMEOUT_MS } from './container.js'
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
  const at = loaded.trace.map((line) => /\/var\/task\/([^\s:()]+):(\d+)(?::(\d+))?/.exec(line))
  const where = at.find((m) => m !== null)
  const location = where == null ? '' : `${where[1]}:${where[2]}${where[3] ? `:${where[3]}` : ''}: `
  throw JS_INVALID(`${location}${loaded.errorType}: ${loaded.errorMessage}`)
}
