import { inflateRawSync } from 'node:zlib'
import { INVALID_PARAMETER } from '../errors.js'
import { MAX_MODULE_BYTES } from '../wasm/policy.js'

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04]
const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d]

// The zip format (APPNOTE.TXT §4.3): signatures and fixed sizes of the records read here.
const END_SIGNATURE = 0x06054b50
const END_BYTES = 22
const MAX_COMMENT_BYTES = 0xffff
const ENTRY_SIGNATURE = 0x02014b50
const ENTRY_BYTES = 46
const LOCAL_SIGNATURE = 0x04034b50
const LOCAL_BYTES = 30
const STORED = 0
const DEFLATED = 8
const ENCRYPTED = 0x0001
/** A size or offset of all ones means "see the zip64 record": no module needs zip64. */
const ZIP64 = 0xffffffff

/** One entry of the central directory. */
interface Entry {
  name: string
  flags: number
  method: number
  compressedSize: number
  size: number
  localOffset: number
}

/**
 * The module in an AWS `Code.ZipFile`: a zip holding exactly one `.wasm` (any folder), or the raw
 * module bytes themselves. Sizes come from the zip's directory and are checked before anything
 * inflates; the inflater (zlib, native) stops at the size the directory claims, so a bomb that
 * lies about its size costs no more than one that does not.
 */
export function wasmFromCode(code: Uint8Array): Uint8Array {
  if (startsWith(code, WASM_MAGIC)) return code
  if (!startsWith(code, ZIP_MAGIC)) {
    throw INVALID_PARAMETER('Code.ZipFile', 'is neither a zip archive nor a WebAssembly module')
  }
  const zip = Buffer.from(code.buffer, code.byteOffset, code.byteLength)
  const wasm = directory(zip).filter((entry) => entry.name.toLowerCase().endsWith('.wasm'))
  if (wasm.length !== 1) {
    throw INVALID_PARAMETER(
      'Code.ZipFile',
      wasm.length === 0
        ? 'holds no .wasm file'
        : `holds ${wasm.length} .wasm files (${wasm.map((e) => e.name).join(', ')}); one is expected`
    )
  }
  return extract(zip, wasm[0] as Entry)
}

function unreadable(why: string): never {
  throw INVALID_PARAMETER('Code.ZipFile', `is not a readable zip archive (${why})`)
}

/** The central directory's entries, read from the end-of-directory record. */
function directory(zip: Buffer): Entry[] {
  let end = -1
  const lowest = Math.max(0, zip.length - END_BYTES - MAX_COMMENT_BYTES)
  for (let at = zip.length - END_BYTES; at >= lowest; at--) {
    if (zip.readUInt32LE(at) === END_SIGNATURE) {
      end = at
      break
    }
  }
  if (end === -1) unreadable('no end of central directory')
  const count = zip.readUInt16LE(end + 10)
  let at = zip.readUInt32LE(end + 16)
  if (at === ZIP64) unreadable('zip64 archives are not supported')
  const entries: Entry[] = []
  for (let i = 0; i < count; i++) {
    if (at + ENTRY_BYTES > end || zip.readUInt32LE(at) !== ENTRY_SIGNATURE) {
      unreadable(`directory entry ${i} is missing`)
    }
    const nameLength = zip.readUInt16LE(at + 28)
    const next =
      at + ENTRY_BYTES + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32)
    if (next > end) unreadable(`directory entry ${i} runs past the directory`)
    entries.push({
      name: zip.toString('utf8', at + ENTRY_BYTES, at + ENTRY_BYTES + nameLength),
      flags: zip.readUInt16LE(at + 8),
      method: zip.readUInt16LE(at + 10),
      compressedSize: zip.readUInt32LE(at + 20),
      size: zip.readUInt32LE(at + 24),
      localOffset: zip.readUInt32LE(at + 42)
    })
    at = next
  }
  return entries
}

/** One entry's bytes: stored, or inflated to exactly the size the directory gives. */
function extract(zip: Buffer, entry: Entry): Uint8Array {
  const { name, size, compressedSize, localOffset } = entry
  if (size === ZIP64 || compressedSize === ZIP64 || localOffset === ZIP64) {
    unreadable('zip64 archives are not supported')
  }
  if (size > MAX_MODULE_BYTES) {
    throw INVALID_PARAMETER('Code.ZipFile', `${name} unzips to over ${MAX_MODULE_BYTES} bytes`)
  }
  if ((entry.flags & ENCRYPTED) !== 0) unreadable(`${name} is encrypted`)
  if (localOffset + LOCAL_BYTES > zip.length || zip.readUInt32LE(localOffset) !== LOCAL_SIGNATURE) {
    unreadable(`${name} has no local header`)
  }
  const start =
    localOffset +
    LOCAL_BYTES +
    zip.readUInt16LE(localOffset + 26) +
    zip.readUInt16LE(localOffset + 28)
  if (start + compressedSize > zip.length) unreadable(`${name} is truncated`)
  const data = zip.subarray(start, start + compressedSize)
  if (entry.method === STORED) {
    if (compressedSize !== size) unreadable(`${name} is stored with two different sizes`)
    return new Uint8Array(data)
  }
  if (entry.method !== DEFLATED) unreadable(`${name} uses compression method ${entry.method}`)
  let inflated: Buffer
  try {
    // One byte over the claimed size tells a lying directory from an honest one.
    inflated = inflateRawSync(data, { maxOutputLength: size + 1 })
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      unreadable(`${name} inflates to more than the ${size} bytes its directory claims`)
    }
    unreadable(`${name} does not inflate: ${(err as Error).message}`)
  }
  if (inflated.length !== size) {
    unreadable(`${name} inflates to ${inflated.length} bytes, its directory claims ${size}`)
  }
  return new Uint8Array(inflated.buffer, inflated.byteOffset, inflated.byteLength)
}

function startsWith(bytes: Uint8Array, magic: number[]): boolean {
  return magic.every((b, i) => bytes[i] === b)
}
