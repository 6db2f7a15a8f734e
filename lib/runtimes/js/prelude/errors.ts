import type { Describe, PreludeOptions } from './types.js'

/**
 * The prelude's `describe`: any thrown value in AWS's Node error shape, with the function's own
 * stack frames numbered as Node numbers them. Runs inside QuickJS: refers to nothing outside its
 * own body (see index.ts).
 */
export function createDescribe(options: PreludeOptions): Describe {
  const esm = new Set(options.esm)
  return function describe(error, fallbackType) {
    if (error instanceof Error) {
      const name = error.name || 'Error'
      const message = String(error.message)
      // The function's own frames, as Node numbers them: the platform's are not its business.
      const stack = String(error.stack ?? '')
        .split('\n')
        .filter((line) => line.trim() !== '' && !line.includes('(swarm-lambda:'))
        .map((line) =>
          line.replace(
            /(\/var\/task\/([^:()]+)):1:(\d+)/,
            (all, file: string, path: string, col: string) =>
              esm.has(path) || path.endsWith('.json')
                ? all
                : `${file}:1:${Math.max(1, Number(col) - options.wrapperColumns)}`
          )
        )
        .slice(0, 50)
      return {
        ok: false,
        errorType: fallbackType ?? name,
        errorMessage: fallbackType === undefined ? message : `${name}: ${message}`,
        trace: [`${name}: ${message}`, ...stack]
      }
    }
    let text: string
    try {
      text = typeof error === 'string' ? error : (JSON.stringify(error) ?? String(error))
    } catch {
      text = String(error) // a value JSON cannot write (cyclic, bigint): its string form will do
    }
    return { ok: false, errorType: fallbackType ?? typeof error, errorMessage: text, trace: [] }
  }
}
