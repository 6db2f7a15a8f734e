import type { HostBridge } from '../bridge.js'
import type { PreludeOptions } from './types.js'

/**
 * Installs the sandbox's process: the environment and a few harmless facts; no exit, no host
 * objects. Runs inside QuickJS: refers to nothing outside its own body (see index.ts).
 */
export function installProcess(host: HostBridge, options: PreludeOptions): void {
  const started = host.now()
  const env: Record<string, string> = {}
  for (const k of Object.keys(options.env)) env[k] = String(options.env[k])
  Object.defineProperty(globalThis, 'process', {
    value: {
      env,
      argv: ['/var/lang/bin/node', '/var/runtime/index.mjs'],
      version: 'v20.0.0',
      versions: { node: '20.0.0' },
      platform: 'linux',
      arch: 'wasm32',
      cwd: () => '/var/task',
      uptime: () => (host.now() - started) / 1000,
      hrtime: Object.assign(
        (prev?: [number, number]) => {
          const ms = host.now()
          const t: [number, number] = [Math.floor(ms / 1000), Math.round((ms % 1000) * 1e6)]
          return prev ? [t[0] - prev[0], t[1] - prev[1]] : t
        },
        { bigint: () => BigInt(Math.round(host.now() * 1e6)) }
      ),
      nextTick: (fn: (...a: unknown[]) => void, ...args: unknown[]) =>
        void Promise.resolve().then(() => fn(...args))
    },
    writable: true,
    configurable: true
  })
}
