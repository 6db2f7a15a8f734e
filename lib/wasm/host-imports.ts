import type { FuncType } from './module.js'

/**
 * Host functions a module may import when its function allow-lists them (none by default).
 * Each entry has the exact signature the policy checks and an implementation the worker links.
 */

/** Thrown by a host function to end the call as a function error (a trap), not a host failure. */
export class HostTrap extends Error {}

interface HostImport {
  type: FuncType
  /** Builds the implementation; `memory` is read lazily because it exists only after instantiation. */
  create(memory: () => WebAssembly.Memory | undefined): (...args: number[]) => void
}

const ABORT_MESSAGE_MAX = 1024

/** AssemblyScript's `abort(message, file, line, column)`: strings are UTF-16 with a byte length at ptr - 4. */
function readAssemblyScriptString(memory: WebAssembly.Memory | undefined, ptr: number): string {
  if (memory === undefined || ptr < 4 || ptr > memory.buffer.byteLength) return ''
  const view = new DataView(memory.buffer)
  const bytes = Math.min(view.getUint32(ptr - 4, true), ABORT_MESSAGE_MAX * 2)
  if (ptr + bytes > memory.buffer.byteLength) return ''
  return Buffer.from(memory.buffer, ptr, bytes & ~1).toString('utf16le')
}

export const HOST_IMPORTS = {
  'env.abort': {
    type: { params: ['i32', 'i32', 'i32', 'i32'], results: [] },
    create: (memory) => (message, file, line, column) => {
      const text = readAssemblyScriptString(memory(), message ?? 0)
      const where = readAssemblyScriptString(memory(), file ?? 0)
      throw new HostTrap(`abort(${text || 'no message'}) at ${where || '?'}:${line}:${column}`)
    }
  }
} satisfies Record<string, HostImport>

/** The name of an allow-listable host import, "module.name". */
export type HostImportName = keyof typeof HOST_IMPORTS

/** The import object for one instance, holding only the allow-listed functions. */
export function linkHostImports(
  names: readonly HostImportName[],
  memory: () => WebAssembly.Memory | undefined
): WebAssembly.Imports {
  const imports: Record<string, Record<string, (...args: number[]) => void>> = {}
  for (const name of names) {
    const [module, field] = name.split('.') as [string, string]
    imports[module] ??= {}
    ;(imports[module] as Record<string, (...args: number[]) => void>)[field] =
      HOST_IMPORTS[name].create(memory)
  }
  return imports
}
