import { findMemoryGrows } from './code.js'
import { SECTION, sameType, type ParsedModule, type SectionSpan, type TableType } from './module.js'
import { Reader, writeU32 } from './reader.js'

const I32_TO_I32 = { params: ['i32'], results: ['i32'] }

/**
 * Tables beyond this many entries are refused, and no table grows past it (the rewrite sets it as
 * every table's maximum): nothing an example needs, and a cheap way to eat RAM outside the memory
 * cap (the engine alone would let a table grow to 10M entries, 80 MB).
 */
export const MAX_TABLE_ENTRIES = 100_000

/**
 * The body of the function that replaces every `memory.grow`: it grows like the instruction does,
 * but traps instead of returning -1. The trap's top stack frame is then this function, which is
 * how the executor tells a memory-cap hit from any other trap.
 */
const GROW_OR_TRAP_BODY = [
  0x01,
  0x01,
  0x7f, // one local: i32
  0x20,
  0x00, // local.get 0
  0x40,
  0x00, // memory.grow 0
  0x22,
  0x01, // local.tee 1
  0x41,
  0x7f, // i32.const -1
  0x46, // i32.eq
  0x04,
  0x40, // if
  0x00, // unreachable
  0x0b, // end
  0x20,
  0x01, // local.get 1
  0x0b // end
]

/** The import the module's memory becomes: the host supplies (and recycles) the memory. */
export const MEMORY_IMPORT = { module: 'swarm', name: 'memory' } as const

/** What the rewrite produced. */
export interface Rewritten {
  bytes: Uint8Array
  /** Function index of the grow-or-trap function, or null when the module never grows memory. */
  growTrapFunction: number | null
  /** The memory's initial size and its maximum after the cap, in pages. */
  memory: { min: number; max: number }
}

/**
 * Rewrites a validated module with one defined memory so that:
 * - the memory becomes the import `swarm.memory` with its maximum at most `capPages`, so a worker
 *   can hand each fresh instance a zeroed, recycled memory instead of allocating one per call;
 * - a `memory.grow` refused by that cap traps in a known function instead of returning -1;
 * - every table has a maximum of at most MAX_TABLE_ENTRIES (`table.grow` past it returns -1).
 * Sections other than type, import, function, memory and code are copied byte for byte.
 */
export function rewrite(parsed: ParsedModule, capPages: number): Rewritten {
  const declared = parsed.memories[0]
  if (declared === undefined)
    throw new TypeError('rewrite() needs a module that defines its memory')
  const memory = { min: declared.min, max: Math.min(declared.max ?? capPages, capPages) }
  const { bytes } = parsed
  const code = parsed.sections.find((s) => s.id === SECTION.code)
  const grows = code ? growsByBody(bytes, code) : []
  const instrument = grows.some((g) => g.length > 0)

  let typeIndex = parsed.types.findIndex((t) => sameType(t, I32_TO_I32))
  const appendType = instrument && typeIndex === -1
  if (appendType) typeIndex = parsed.types.length
  const growTrapFunction = instrument ? parsed.functionTypes.length : null

  const importEntry = memoryImport(memory)
  const hasImports = parsed.sections.some((s) => s.id === SECTION.import)
  const out: Uint8Array[] = [bytes.subarray(0, 8)]
  // With no import section, ours goes first among the sections that must follow it.
  const newImportBefore = hasImports
    ? -1
    : parsed.sections.findIndex((s) => s.id !== SECTION.custom && s.id !== SECTION.type)
  for (const [i, span] of parsed.sections.entries()) {
    if (i === newImportBefore) out.push(section(SECTION.import, vector([importEntry])))
    if (span.id === SECTION.memory) {
      continue // its only memory is now the import
    } else if (span.id === SECTION.table) {
      out.push(section(SECTION.table, vector(parsed.tables.map(cappedTable))))
    } else if (span.id === SECTION.import) {
      out.push(section(SECTION.import, appendEntry(bytes, span, [...importEntry])))
    } else if (instrument && span.id === SECTION.type && appendType) {
      out.push(section(SECTION.type, appendEntry(bytes, span, [0x60, 0x01, 0x7f, 0x01, 0x7f])))
    } else if (instrument && span.id === SECTION.function) {
      const entry: number[] = []
      writeU32(entry, typeIndex)
      out.push(section(SECTION.function, appendEntry(bytes, span, entry)))
    } else if (instrument && span.id === SECTION.code) {
      out.push(section(SECTION.code, codePayload(bytes, span, grows, growTrapFunction as number)))
    } else if (instrument && span.customName?.startsWith('metadata.code.')) {
      // Code metadata points at code offsets that the rewrite moved: drop it rather than lie.
      continue
    } else {
      out.push(bytes.subarray(span.start, span.end))
    }
  }
  if (newImportBefore === -1 && !hasImports) {
    out.push(section(SECTION.import, vector([importEntry])))
  }
  return { bytes: Buffer.concat(out), growTrapFunction, memory }
}

function growsByBody(bytes: Uint8Array, code: SectionSpan): number[][] {
  const r = new Reader(bytes, code.payload, code.end)
  const result: number[][] = []
  for (let n = r.u32(); n > 0; n--) {
    const size = r.u32()
    const start = r.pos
    r.take(size)
    result.push(findMemoryGrows(bytes, start, start + size))
  }
  return result
}

function memoryImport(limits: { min: number; max: number }): Uint8Array {
  const out: number[] = []
  for (const name of [MEMORY_IMPORT.module, MEMORY_IMPORT.name]) {
    writeU32(out, name.length)
    out.push(...Buffer.from(name, 'utf8'))
  }
  out.push(0x02, 0x01) // memory, with a maximum
  writeU32(out, limits.min)
  writeU32(out, limits.max)
  return Uint8Array.from(out)
}

/** A table entry whose maximum is at most MAX_TABLE_ENTRIES (policy refuses larger minimums). */
function cappedTable(table: TableType): Uint8Array {
  const out: number[] = [table.ref, 0x01] // limits with a maximum
  writeU32(out, table.min)
  writeU32(out, Math.min(table.max ?? MAX_TABLE_ENTRIES, MAX_TABLE_ENTRIES))
  return Uint8Array.from(out)
}

function vector(entries: Uint8Array[]): Uint8Array {
  const head: number[] = []
  writeU32(head, entries.length)
  return Buffer.concat([Uint8Array.from(head), ...entries])
}

/** A vector section's payload with one more entry appended. */
function appendEntry(bytes: Uint8Array, span: SectionSpan, entry: number[]): Uint8Array {
  const r = new Reader(bytes, span.payload, span.end)
  const count = r.u32()
  const head: number[] = []
  writeU32(head, count + 1)
  return Buffer.concat([
    Uint8Array.from(head),
    bytes.subarray(r.pos, span.end),
    Uint8Array.from(entry)
  ])
}

function codePayload(
  bytes: Uint8Array,
  span: SectionSpan,
  grows: number[][],
  growTrapFunction: number
): Uint8Array {
  const call: number[] = [0x10]
  writeU32(call, growTrapFunction)
  const callBytes = Uint8Array.from(call)

  const r = new Reader(bytes, span.payload, span.end)
  const count = r.u32()
  const head: number[] = []
  writeU32(head, count + 1)
  const out: Uint8Array[] = [Uint8Array.from(head)]
  for (let i = 0; i < count; i++) {
    const size = r.u32()
    const start = r.pos
    r.take(size)
    const offsets = grows[i] ?? []
    if (offsets.length === 0) {
      out.push(sized(bytes.subarray(start, start + size)))
      continue
    }
    const parts: Uint8Array[] = []
    let from = start
    for (const at of offsets) {
      parts.push(bytes.subarray(from, at))
      parts.push(callBytes)
      const immediate = new Reader(bytes, at + 1, start + size)
      immediate.u32() // the memory index (always 0: one memory per module)
      from = immediate.pos
    }
    parts.push(bytes.subarray(from, start + size))
    out.push(sized(Buffer.concat(parts)))
  }
  out.push(sized(Uint8Array.from(GROW_OR_TRAP_BODY)))
  return Buffer.concat(out)
}

function sized(body: Uint8Array): Uint8Array {
  const head: number[] = []
  writeU32(head, body.length)
  return Buffer.concat([Uint8Array.from(head), body])
}

function section(id: number, payload: Uint8Array): Uint8Array {
  const head: number[] = [id]
  writeU32(head, payload.length)
  return Buffer.concat([Uint8Array.from(head), payload])
}
