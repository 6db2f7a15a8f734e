import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { QuickJSWASMModule } from 'quickjs-emscripten-core'
import RELEASE_SYNC from '@jitl/quickjs-wasmfile-release-sync'

/** The build's loaders (its types come through a CommonJS default export). */
interface Variant {
  importModuleLoader(): Promise<unknown>
  importFFI(): Promise<unknown>
}

/**
 * The QuickJS engine (quickjs-emscripten's release-sync build, pinned in package.json): compiled
 * once per process on the main thread (~5 ms, off the event loop inside V8), posted to every
 * worker, and instantiated there once per container with a memory of that container's own.
 */

/** QuickJS's build needs this many 64 KiB pages to start (16 MiB): a JS function's floor. */
export const ENGINE_MIN_PAGES = 256

/** Compiles the engine's Wasm (once per process; workers get the module, never the bytes). */
export async function compileEngine(): Promise<WebAssembly.Module> {
  const path = createRequire(import.meta.url).resolve('@jitl/quickjs-wasmfile-release-sync/wasm')
  return WebAssembly.compile(await readFile(path))
}

type EmscriptenFactory = (options: Record<string, unknown>) => Promise<Record<string, unknown>>
type FfiClass = new (module: unknown) => unknown

/** Builds engine instances in a worker: one QuickJSWASMModule per container memory. */
export class Engine {
  private constructor(
    private readonly compiled: WebAssembly.Module,
    private readonly factory: EmscriptenFactory,
    private readonly Ffi: FfiClass
  ) {}

  /** Loads the build's JS glue (once per worker) around an already compiled engine. */
  static async load(compiled: WebAssembly.Module): Promise<Engine> {
    const variant = unwrap(RELEASE_SYNC) as Variant
    const loader = unwrap(await variant.importModuleLoader()) as EmscriptenFactory
    const ffi = (await variant.importFFI()) as FfiClass
    return new Engine(compiled, loader, ffi)
  }

  /**
   * A fresh engine instance whose whole heap is `memory`: its maximum is the function's memory
   * cap, so an allocation past it fails inside QuickJS ("out of memory"), never in the host.
   * Instantiation is synchronous (no fetch, no compile); emscripten's start-up settles in
   * microtasks only.
   */
  async instance(memory: WebAssembly.Memory): Promise<QuickJSWASMModule> {
    const compiled = this.compiled
    const module = await this.factory({
      wasmMemory: memory,
      instantiateWasm(
        imports: WebAssembly.Imports,
        done: (instance: WebAssembly.Instance) => void
      ): WebAssembly.Exports {
        const instance = new WebAssembly.Instance(compiled, imports)
        done(instance)
        return instance.exports
      }
    })
    module.type = 'sync'
    const ctor = QuickJSWASMModule as unknown as new (m: unknown, f: unknown) => QuickJSWASMModule
    return new ctor(module, new this.Ffi(module))
  }
}

function unwrap(value: unknown): unknown {
  const inner = (value as { default?: unknown } | null)?.default
  return inner === undefined ? value : unwrap(inner)
}
