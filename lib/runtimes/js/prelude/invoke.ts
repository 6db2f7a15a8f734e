import type { HostBridge } from '../bridge.js'
import type { Describe, PreludeHooks, PreludeResult } from './types.js'

/** The call hooks: a handler picked from a module's exports, and the call itself. */
export type CallHooks = Pick<PreludeHooks, 'pick' | 'invoke'>

/**
 * The glue that calls a handler the way AWS's Node runtime does: the event parsed, a context with
 * its deadline, promise or callback answers, errors in AWS's shape (describe, from errors.ts).
 * Runs inside QuickJS: refers to nothing outside its own body (see index.ts).
 */
export function createInvoke(host: HostBridge, describe: Describe): CallHooks {
  const stringify = (value: unknown): PreludeResult => {
    try {
      return { ok: true, body: JSON.stringify(value === undefined ? null : value) ?? 'null' }
    } catch (err) {
      return describe(err)
    }
  }
  return {
    pick(exports, path) {
      let value: unknown = exports
      for (const part of path.split('.')) {
        if (value === null || value === undefined) return undefined
        value = (value as Record<string, unknown>)[part]
      }
      return value
    },
    invoke(handler, event, contextJson) {
      return new Promise<string>((settle) => {
        let done = false
        const finish = (result: PreludeResult) => {
          if (!done) settle(result.ok ? result.body : `!${JSON.stringify(result)}`)
          done = true
        }
        const fields = JSON.parse(contextJson) as Record<string, unknown>
        const fail = (err: unknown) => finish(describe(err))
        const deadline = Number(fields.deadline)
        const context: Record<string, unknown> = {
          ...fields,
          callbackWaitsForEmptyEventLoop: true,
          getRemainingTimeInMillis: () => Math.max(0, Math.round(deadline - host.now())),
          done: (err: unknown, value: unknown) => (err ? fail(err) : finish(stringify(value))),
          succeed: (value: unknown) => finish(stringify(value)),
          fail
        }
        delete context.deadline
        let parsed: unknown
        try {
          parsed = JSON.parse(event === '' ? '{}' : event)
        } catch (err) {
          // Not the function's fault: the container reports it as the request's (a 400).
          const why = err instanceof Error ? err.message : String(err)
          finish({ ok: false, errorType: 'InvalidRequestContent', errorMessage: why, trace: [] })
          return
        }
        try {
          const fn = handler as (e: unknown, c: unknown, cb: unknown) => unknown
          const callback = (err: unknown, value: unknown) =>
            err ? fail(err) : finish(stringify(value))
          const returned = fn(parsed, context, callback)
          const thenable =
            returned !== null &&
            typeof returned === 'object' &&
            typeof (returned as { then?: unknown }).then === 'function'
          // A callback-style handler (three parameters, no promise back) answers through the callback.
          if (thenable || fn.length < 3) {
            Promise.resolve(returned).then((value) => finish(stringify(value)), fail)
          }
        } catch (err) {
          fail(err)
        }
      })
    }
  }
}
