import { WASM_INVALID, WASM_UNSUPPORTED } from '../errors.js'
import { Reader } from './reader.js'

/** Section ids of the WebAssembly binary format. */
export const SECTION = {
  custom: 0,
  type: 1,
  import: 2,
  function: 3,
  table: 4,
  memory: 5,
  global: 6,
  export: 7,
  start: 8,
  element: 9,
  code: 10,
  data: 11,
  dataCount: 12,
  tag: 13
} as const

const VALTYPE_NAMES: Record<number, string> = {
  0x7f: 'i32',
  0x7e: 'i64',
  0x7d: 'f32',
  0x7c: 'f64',
  0x7b: 'v128',
  0x70: 'funcref',
  0x6f: 'externref'
}

/** A value type by name ('i32', 'f64', ...). */
export type ValType = string

/** A function signature. */
export interface FuncType {
  params: ValType[]
  results: ValType[]
}

/** Size limits of a memory or a table. */
export interface Limits {
  min: number
  max: number | null
  shared: boolean
  is64: boolean
}

/** A table: its element type (0x70 funcref, 0x6f externref) and its limits. */
export interface TableType extends Limits {
  ref: number
}

/** One import of the module. */
export type Import =
  | { module: string; name: string; kind: 'function'; type: FuncType }
  | { module: string; name: string; kind: 'table' | 'global' | 'tag' }
  | { module: string; name: string; kind: 'memory'; limits: Limits }

/** One export of the module. */
export interface Export {
  name: string
  kind: 'function' | 'table' | 'memory' | 'global' | 'tag'
  index: number
}

/** A section's place in the binary: `start` is its id byte, `payload` where its contents begin. */
export interface SectionSpan {
  id: number
  start: number
  payload: number
  end: number
  /** The name of a custom section. */
  customName?: string
}

/** The parts of a module the policy reads; the code section is left as bytes. */
export interface ParsedModule {
  bytes: Uint8Array
  sections: SectionSpan[]
  types: FuncType[]
  /** Index into `types` of every function, imported ones first (the function index space). */
  functionTypes: number[]
  importedFunctionCount: number
  imports: Import[]
  memories: Limits[]
  tables: TableType[]
  exports: Export[]
  hasStart: boolean
}

const FULLY_READ = new Set<number>([
  SECTION.type,
  SECTION.import,
  SECTION.function,
  SECTION.table,
  SECTION.memory,
  SECTION.export
])

const EXPORT_KINDS = ['function', 'table', 'memory', 'global', 'tag'] as const
const IMPORT_KINDS = ['function', 'table', 'memory', 'global', 'tag'] as const

/**
 * Parses the section layout and the declarations of a module (types, imports, functions,
 * tables, memories, exports, start). Function bodies are not decoded here.
 */
export function parseModule(bytes: Uint8Array): ParsedModule {
  const r = new Reader(bytes)
  if (bytes.length < 8) throw WASM_INVALID('shorter than the 8-byte header')
  const magic = r.take(4)
  if (magic[0] !== 0x00 || magic[1] !== 0x61 || magic[2] !== 0x73 || magic[3] !== 0x6d) {
    throw WASM_INVALID('missing the \\0asm magic number')
  }
  const version = r.take(4)
  if (version[0] !== 1 || version[1] !== 0 || version[2] !== 0 || version[3] !== 0) {
    throw WASM_INVALID('only binary format version 1 is supported (is this a component?)')
  }

  const parsed: ParsedModule = {
    bytes,
    sections: [],
    types: [],
    functionTypes: [],
    importedFunctionCount: 0,
    imports: [],
    memories: [],
    tables: [],
    exports: [],
    hasStart: false
  }

  while (r.more()) {
    const start = r.pos
    const id = r.u8()
    const size = r.u32()
    const payload = r.pos
    if (size > r.end - payload) throw WASM_INVALID(`section ${id} runs past the end of the module`)
    const end = payload + size
    const span: SectionSpan = { id, start, payload, end }
    const s = new Reader(bytes, payload, end)
    switch (id) {
      case SECTION.custom:
        span.customName = s.name()
        break
      case SECTION.type:
        readTypes(s, parsed)
        break
      case SECTION.import:
        readImports(s, parsed)
        break
      case SECTION.function:
        for (let n = s.u32(); n > 0; n--) parsed.functionTypes.push(typeIndex(s.u32(), parsed))
        break
      case SECTION.table:
        for (let n = s.u32(); n > 0; n--) parsed.tables.push(readTable(s))
        break
      case SECTION.memory:
        for (let n = s.u32(); n > 0; n--) parsed.memories.push(readLimits(s))
        break
      case SECTION.export:
        readExports(s, parsed)
        break
      case SECTION.start:
        parsed.hasStart = true
        break
      default:
        if (id > SECTION.tag) throw WASM_INVALID(`unknown section id ${id}`)
    }
    // Sections whose whole payload we read must end exactly where their size says.
    if (FULLY_READ.has(id) && s.pos !== end) {
      throw WASM_INVALID(`section ${id} size mismatch`)
    }
    parsed.sections.push(span)
    r.pos = end
  }
  return parsed
}

function readValType(r: Reader): ValType {
  const byte = r.u8()
  const name = VALTYPE_NAMES[byte]
  if (name === undefined) throw WASM_UNSUPPORTED(`value type 0x${byte.toString(16)}`)
  return name
}

function readTypes(r: Reader, parsed: ParsedModule): void {
  for (let n = r.u32(); n > 0; n--) {
    const form = r.u8()
    if (form !== 0x60) throw WASM_UNSUPPORTED(`type form 0x${form.toString(16)} (GC types)`)
    const params: ValType[] = []
    for (let p = r.u32(); p > 0; p--) params.push(readValType(r))
    const results: ValType[] = []
    for (let q = r.u32(); q > 0; q--) results.push(readValType(r))
    parsed.types.push({ params, results })
  }
}

function typeIndex(index: number, parsed: ParsedModule): number {
  if (index >= parsed.types.length) throw WASM_INVALID(`type index ${index} out of range`)
  return index
}

function readLimits(r: Reader): Limits {
  const flags = r.u8()
  if (flags > 0x07) throw WASM_INVALID(`bad limits flags 0x${flags.toString(16)}`)
  const is64 = (flags & 0x04) !== 0
  const min = is64 ? r.sleb(64) : r.u32()
  const max = flags & 0x01 ? (is64 ? r.sleb(64) : r.u32()) : null
  return { min, max, shared: (flags & 0x02) !== 0, is64 }
}

function readTable(r: Reader): TableType {
  const ref = r.u8()
  if (ref !== 0x70 && ref !== 0x6f) {
    throw WASM_UNSUPPORTED(`table element type 0x${ref.toString(16)}`)
  }
  return { ref, ...readLimits(r) }
}

function readImports(r: Reader, parsed: ParsedModule): void {
  for (let n = r.u32(); n > 0; n--) {
    const module = r.name()
    const name = r.name()
    const kindByte = r.u8()
    const kind = IMPORT_KINDS[kindByte]
    switch (kind) {
      case 'function': {
        const index = typeIndex(r.u32(), parsed)
        parsed.functionTypes.push(index)
        parsed.importedFunctionCount++
        parsed.imports.push({ module, name, kind, type: parsed.types[index] as FuncType })
        break
      }
      case 'table':
        readTable(r)
        parsed.imports.push({ module, name, kind })
        break
      case 'memory':
        parsed.imports.push({ module, name, kind, limits: readLimits(r) })
        break
      case 'global':
        readValType(r)
        r.u8()
        parsed.imports.push({ module, name, kind })
        break
      case 'tag':
        r.u8()
        typeIndex(r.u32(), parsed)
        parsed.imports.push({ module, name, kind })
        break
      default:
        throw WASM_INVALID(`bad import kind 0x${kindByte.toString(16)}`)
    }
  }
}

function readExports(r: Reader, parsed: ParsedModule): void {
  for (let n = r.u32(); n > 0; n--) {
    const name = r.name()
    const kindByte = r.u8()
    const kind = EXPORT_KINDS[kindByte]
    if (kind === undefined) throw WASM_INVALID(`bad export kind 0x${kindByte.toString(16)}`)
    parsed.exports.push({ name, kind, index: r.u32() })
  }
}

/** Formats a signature the way the WebAssembly text format writes it. */
export function formatType(type: FuncType): string {
  const params = type.params.length ? ` (param ${type.params.join(' ')})` : ''
  const results = type.results.length ? ` (result ${type.results.join(' ')})` : ''
  return `(func${params}${results})`
}

/** True when two signatures are the same. */
export function sameType(a: FuncType, b: FuncType): boolean {
  return (
    a.params.length === b.params.length &&
    a.results.length === b.results.length &&
    a.params.every((p, i) => p === b.params[i]) &&
    a.results.every((q, i) => q === b.results[i])
  )
}
