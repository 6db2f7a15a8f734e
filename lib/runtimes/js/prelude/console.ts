import type { HostBridge } from '../bridge.js'
import type { Describe } from './types.js'

/**
 * Installs the sandbox's console: util.format-like lines, kept as the invocation's log through
 * host.log. An Error is shown as its trace in AWS's shape (describe, from errors.ts). Runs inside
 * QuickJS: refers to nothing outside its own body (see index.ts).
 */
export function installConsole(host: HostBridge, describe: Describe): void {
  const define = (target: object, name: string, value: unknown) =>
    Object.defineProperty(target, name, { value, writable: true, configurable: true })

  const inspect = (value: unknown, depth: number, seen: unknown[]): string => {
    if (typeof value === 'string') return depth === 0 ? value : `'${value.replace(/'/g, "\\'")}'`
    if (typeof value === 'bigint') return `${value}n`
    if (typeof value === 'function') return `[Function: ${value.name || '(anonymous)'}]`
    if (typeof value === 'symbol') return value.toString()
    if (value === null || typeof value !== 'object') return String(value)
    if (value instanceof Error)
      return value.stack ? `${describe(value).trace.join('\n')}` : String(value)
    if (seen.includes(value)) return '[Circular *1]'
    if (depth > 2) return Array.isArray(value) ? '[Array]' : '[Object]'
    const next = [...seen, value]
    if (Array.isArray(value)) {
      const items = value.slice(0, 100).map((v) => inspect(v, depth + 1, next))
      if (value.length > 100) items.push(`... ${value.length - 100} more items`)
      return items.length === 0 ? '[]' : `[ ${items.join(', ')} ]`
    }
    if (value instanceof Date) return value.toISOString()
    if (value instanceof RegExp) return String(value)
    if (value instanceof Map) {
      const items = [...value].map(
        ([k, v]) => `${inspect(k, depth + 1, next)} => ${inspect(v, depth + 1, next)}`
      )
      return `Map(${value.size}) {${items.length ? ` ${items.join(', ')} ` : ''}}`
    }
    if (value instanceof Set) {
      const items = [...value].map((v) => inspect(v, depth + 1, next))
      return `Set(${value.size}) {${items.length ? ` ${items.join(', ')} ` : ''}}`
    }
    const entries = Object.keys(value).map((k) => {
      const key = /^[A-Za-z_$][\w$]*$/.test(k) ? k : `'${k}'`
      return `${key}: ${inspect((value as Record<string, unknown>)[k], depth + 1, next)}`
    })
    return entries.length === 0 ? '{}' : `{ ${entries.join(', ')} }`
  }
  const format = (args: unknown[]): string => {
    let rest = args
    let head = ''
    if (typeof args[0] === 'string' && args[0].includes('%')) {
      let i = 1
      head = args[0].replace(/%([sdifjoOc%])/g, (match, k: string) => {
        if (k === '%') return '%'
        if (i >= args.length) return match
        const v = args[i++]
        if (k === 's') return typeof v === 'string' ? v : inspect(v, 1, [])
        if (k === 'd' || k === 'i') return String(k === 'i' ? Math.trunc(Number(v)) : Number(v))
        if (k === 'f') return String(Number(v))
        if (k === 'j') return JSON.stringify(v)
        if (k === 'c') return ''
        return inspect(v, 1, [])
      })
      rest = args.slice(i)
      return [head, ...rest.map((a) => inspect(a, 0, []))].join(' ')
    }
    return rest.map((a) => inspect(a, 0, [])).join(' ')
  }
  const levels: Record<string, string> = {
    log: 'INFO',
    info: 'INFO',
    warn: 'WARN',
    error: 'ERROR',
    debug: 'DEBUG',
    trace: 'TRACE'
  }
  const console: Record<string, unknown> = {}
  for (const name of Object.keys(levels)) {
    define(console, name, (...args: unknown[]) => host.log(levels[name] as string, format(args)))
  }
  define(console, 'dir', (value: unknown) => host.log('INFO', inspect(value, 1, [])))
  define(globalThis, 'console', console)
}
