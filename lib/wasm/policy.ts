import { createHash } from 'node:crypto'
import {
  INVALID_LIMIT,
  WASM_BAD_SIGNATURE,
  WASM_FORBIDDEN_IMPORT,
  WASM_IMPORTED_MEMORY,
  WASM_INVALID,
  WASM_MEMORY_TOO_LARGE,
  WASM_MISSING_EXPORT,
  WASM_SHARED_MEMORY,
  WASM_START_SECTION,
  WASM_UNSUPPORTED
} from '../errors.js'
import { WASI_IMPORTS, WASI_MODULE } from '../runtimes/wasi/preview1.js'
import { HOST_IMPORTS, type HostImportName } from './host-imports.js'
import { formatType, parseModule, sameType, type FuncType, type ParsedModule } from './module.js'
import { MAX_TABLE_ENTRIES, rewrite } from './rewrite.js'

/** 64 KiB: the WebAssembly page. */
export const PAGE_BYTES = 65_536
/** Pages in a megabyte: function memory limits are set in MB, enforced in pages. */
export const PAGES_PER_MB = 16
/** The largest memory a function may be given: 4 GiB less one page is wasm32's ceiling. */
export const MAX_MEMORY_PAGES = 65_535
/** Modules beyond this size are refused before parsing (AWS's own limit for a zipped upload). */
export const MAX_MODULE_BYTES = 50 * 1024 * 1024

/**
 * How a function takes its input and gives its result (see README, "Function ABI"): our v1
 * (i32 dataset) and v2 (bytes), or a WASI command (stdin and stdout; lib/runtimes/wasi).
 */
export type Abi = 'v1' | 'v2' | 'wasi'

/** What a function is allowed. */
export interface PolicyOptions {
  /** Memory cap in 64 KiB pages; the module's memory maximum is rewritten to at most this. */
  memoryPages: number
  /** Host imports the function may use (default: none). */
  allowImports?: readonly HostImportName[]
  /** Force an ABI instead of detecting it from the exports. */
  abi?: Abi
}

/** A module that passed the policy: rewritten, compiled, and described for the executor. */
export interface ValidatedFunction {
  runtime: 'wasm'
  /** sha256 (hex) of the bytes as uploaded. */
  sourceSha256: string
  /** sha256 (hex) of the bytes that run (after the memory rewrite); the executor's cache key. */
  sha256: string
  /** The bytes that run. */
  bytes: Uint8Array
  module: WebAssembly.Module
  abi: Abi
  memoryPages: number
  /** The memory each instance gets, in pages: initial size, and maximum after the cap. */
  memory: { min: number; max: number }
  /** Index of the function that traps when memory growth hits the cap (see rewrite.ts). */
  growTrapFunction: number | null
  allowImports: readonly HostImportName[]
}

/** What a worker needs to run a module; sent once per worker, then referred to by sha256. */
export type ModuleSpec = Pick<
  ValidatedFunction,
  | 'runtime'
  | 'sha256'
  | 'module'
  | 'abi'
  | 'memoryPages'
  | 'memory'
  | 'growTrapFunction'
  | 'allowImports'
>

const SIG = {
  execute: { params: ['i32', 'i32'], results: ['i32'] },
  handle: { params: ['i32', 'i32'], results: ['i64'] },
  alloc: { params: ['i32'], results: ['i32'] },
  _initialize: { params: [], results: [] },
  output_ptr: { params: [], results: ['i32'] },
  output_len: { params: [], results: ['i32'] }
} satisfies Record<string, FuncType>

/**
 * Validates a module once, at deploy: it must parse and compile; it may import only allow-listed
 * host functions; it must define its own, unshared memory and have no start section; it must
 * export its ABI's functions with the right signatures. The result is rewritten so its memory
 * maximum is the function's cap, then compiled. Each refusal is a SwarmError naming the problem.
 */
export async function validate(
  input: Uint8Array,
  options: PolicyOptions
): Promise<ValidatedFunction> {
  const memoryPages = options.memoryPages
  if (!Number.isInteger(memoryPages) || memoryPages < 1 || memoryPages > MAX_MEMORY_PAGES) {
    throw INVALID_LIMIT('memoryPages', `must be an integer from 1 to ${MAX_MEMORY_PAGES}`)
  }
  if (input.length > MAX_MODULE_BYTES) {
    throw WASM_INVALID(
      `the module is ${input.length} bytes, over the ${MAX_MODULE_BYTES}-byte limit`
    )
  }
  const allowImports = options.allowImports ?? []
  const parsed = parseModule(input)

  // A module that imports WASI is a WASI command: those imports are its one seam with the host.
  const wasi = options.abi === 'wasi' || parsed.imports.some((i) => i.module === WASI_MODULE)
  checkImports(parsed, allowImports, wasi)
  checkMemoryAndTables(parsed, memoryPages)
  if (parsed.hasStart) throw WASM_START_SECTION()
  const abi = checkExports(parsed, wasi ? 'wasi' : options.abi)

  const { bytes, growTrapFunction, memory } = rewrite(parsed, memoryPages)
  let module: WebAssembly.Module
  try {
    module = await WebAssembly.compile(bytes)
  } catch (err) {
    throw WASM_INVALID(err instanceof Error ? err.message : String(err), err)
  }
  return {
    runtime: 'wasm',
    sourceSha256: sha256(input),
    sha256: sha256(bytes),
    bytes,
    module,
    abi,
    memoryPages,
    memory,
    growTrapFunction,
    allowImports
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

function checkImports(parsed: ParsedModule, allow: readonly HostImportName[], wasi: boolean): void {
  for (const imp of parsed.imports) {
    if (imp.kind === 'memory') throw WASM_IMPORTED_MEMORY(imp.module, imp.name)
    const key = `${imp.module}.${imp.name}`
    const host =
      wasi && imp.module === WASI_MODULE
        ? wasiImport(imp.name)
        : (allow as readonly string[]).includes(key)
          ? HOST_IMPORTS[key as HostImportName]
          : undefined
    if (imp.kind !== 'function' || host === undefined) {
      throw WASM_FORBIDDEN_IMPORT(imp.module, imp.name, imp.kind)
    }
    if (!sameType(imp.type, host.type)) {
      throw WASM_BAD_SIGNATURE(key, formatType(host.type), formatType(imp.type))
    }
  }
}

function checkMemoryAndTables(parsed: ParsedModule, capPages: number): void {
  if (parsed.memories.length > 1) throw WASM_UNSUPPORTED('more than one memory')
  const memory = parsed.memories[0]
  if (memory === undefined) throw WASM_MISSING_EXPORT('memory', 'v1/v2')
  if (memory.shared) throw WASM_SHARED_MEMORY()
  if (memory.is64) throw WASM_UNSUPPORTED('64-bit memory')
  if (memory.min > capPages) throw WASM_MEMORY_TOO_LARGE(memory.min, capPages)
  for (const table of parsed.tables) {
    if (table.is64) throw WASM_UNSUPPORTED('64-bit tables')
    if (table.min > MAX_TABLE_ENTRIES) {
      throw WASM_UNSUPPORTED(`a table of ${table.min} entries (the limit is ${MAX_TABLE_ENTRIES})`)
    }
  }
}

/** A preview1 function's signature, when it is one the WASI host provides. */
function wasiImport(name: string): { type: FuncType } | undefined {
  const type = Object.hasOwn(WASI_IMPORTS, name) ? WASI_IMPORTS[name] : undefined
  return type === undefined ? undefined : { type }
}

function checkExports(parsed: ParsedModule, forced: Abi | undefined): Abi {
  const byName = new Map(parsed.exports.map((e) => [e.name, e]))
  const abi: Abi = forced ?? (byName.has('handle') ? 'v2' : 'v1')

  const memory = byName.get('memory')
  if (memory === undefined || memory.kind !== 'memory') throw WASM_MISSING_EXPORT('memory', abi)
  if (abi === 'wasi') return checkCommand(parsed, byName)

  const required: (keyof typeof SIG)[] = abi === 'v1' ? ['execute'] : ['alloc', 'handle']
  for (const name of required) {
    if (!byName.has(name)) throw WASM_MISSING_EXPORT(name, abi)
  }
  if (byName.has('output_ptr') !== byName.has('output_len')) {
    throw WASM_MISSING_EXPORT(byName.has('output_ptr') ? 'output_len' : 'output_ptr', abi)
  }
  for (const name of Object.keys(SIG) as (keyof typeof SIG)[]) {
    const exp = byName.get(name)
    if (exp === undefined) continue
    const expected: FuncType = SIG[name]
    if (exp.kind !== 'function') throw WASM_BAD_SIGNATURE(name, formatType(expected), exp.kind)
    const typeIndex = parsed.functionTypes[exp.index]
    const actual = typeIndex === undefined ? undefined : parsed.types[typeIndex]
    if (actual === undefined) throw WASM_INVALID(`export "${name}" names a missing function`)
    if (!sameType(actual, expected)) {
      throw WASM_BAD_SIGNATURE(name, formatType(expected), formatType(actual))
    }
  }
  return abi
}

/** A WASI command exports `_start`, taking and giving nothing. */
function checkCommand(
  parsed: ParsedModule,
  byName: Map<string, ParsedModule['exports'][number]>
): Abi {
  const start = byName.get('_start')
  const expected: FuncType = { params: [], results: [] }
  if (start === undefined) throw WASM_MISSING_EXPORT('_start', 'wasi')
  const typeIndex = start.kind === 'function' ? parsed.functionTypes[start.index] : undefined
  const actual = typeIndex === undefined ? undefined : parsed.types[typeIndex]
  if (actual === undefined || !sameType(actual, expected)) {
    throw WASM_BAD_SIGNATURE(
      '_start',
      formatType(expected),
      actual === undefined ? start.kind : formatType(actual)
    )
  }
  return 'wasi'
}
