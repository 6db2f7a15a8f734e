import type { HostBridge } from '../bridge.js'
import type { Describe, PreludeHooks, PreludeResult } from './types.js'

/** The timer hooks the container drives its loop with. */
export type TimerHooks = Pick<PreludeHooks, 'nextTimerAt' | 'runTimers' | 'takeUncaught'>

/**
 * Installs setTimeout and friends: the timers are kept here and fired by the host's loop (through
 * the hooks returned) within the call's deadline; an error a callback throws is kept in AWS's
 * shape (describe, from errors.ts). Runs inside QuickJS: refers to nothing outside its own body
 * (see index.ts).
 */
export function installTimers(host: HostBridge, describe: Describe): TimerHooks {
  const g = globalThis as unknown as Record<string, unknown>
  const define = (target: object, name: string, value: unknown) =>
    Object.defineProperty(target, name, { value, writable: true, configurable: true })

  interface Timer {
    id: number
    at: number
    every: number | null
    fn: (...a: unknown[]) => void
    args: unknown[]
  }
  const timers = new Map<number, Timer>()
  let nextTimerId = 1
  let uncaught: PreludeResult | null = null
  class Timeout {
    constructor(readonly id: number) {}
    ref() {
      return this
    }
    unref() {
      return this
    }
    hasRef() {
      return true
    }
    refresh() {
      const t = timers.get(this.id)
      if (t) t.at = host.now() + (t.every ?? 0)
      return this
    }
    [Symbol.toPrimitive]() {
      return this.id
    }
  }
  const schedule = (fn: unknown, ms: unknown, args: unknown[], repeat: boolean) => {
    if (typeof fn !== 'function')
      throw new TypeError('The "callback" argument must be of type function')
    const delay = Math.max(repeat ? 1 : 0, Number(ms) || 0)
    const id = nextTimerId++
    timers.set(id, {
      id,
      at: host.now() + delay,
      every: repeat ? delay : null,
      fn: fn as Timer['fn'],
      args
    })
    return new Timeout(id)
  }
  const cancel = (t: unknown) => {
    timers.delete(t instanceof Timeout ? t.id : Number(t))
  }
  define(g, 'setTimeout', (fn: unknown, ms?: unknown, ...args: unknown[]) =>
    schedule(fn, ms, args, false)
  )
  define(g, 'setInterval', (fn: unknown, ms?: unknown, ...args: unknown[]) =>
    schedule(fn, ms, args, true)
  )
  define(g, 'setImmediate', (fn: unknown, ...args: unknown[]) => schedule(fn, 0, args, false))
  define(g, 'clearTimeout', cancel)
  define(g, 'clearInterval', cancel)
  define(g, 'clearImmediate', cancel)
  if (typeof g.queueMicrotask !== 'function') {
    define(g, 'queueMicrotask', (fn: () => void) => void Promise.resolve().then(fn))
  }

  return {
    nextTimerAt() {
      let at = -1
      for (const t of timers.values()) if (at === -1 || t.at < at) at = t.at
      return at
    },
    runTimers() {
      const now = host.now()
      const due = [...timers.values()]
        .filter((t) => t.at <= now)
        .sort((a, b) => a.at - b.at || a.id - b.id)
      for (const t of due) {
        if (!timers.has(t.id)) continue // cleared by an earlier callback
        if (t.every === null) timers.delete(t.id)
        else t.at = now + t.every
        try {
          t.fn(...t.args)
        } catch (err) {
          uncaught ??= describe(err)
        }
      }
    },
    takeUncaught() {
      const error = uncaught
      uncaught = null
      return error
    }
  }
}
