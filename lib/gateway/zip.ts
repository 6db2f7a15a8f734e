import { fromBufferPromise, type Entry, type ZipFile } from 'yauzl'
import { INVALID_PARAMETER, SwarmError } from '../errors.js'
import { MAX_MODULE_BYTES } from '../wasm/policy.js'

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04]
const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d]
/** A function's zip holds one module; a directory this long is refused before it is read. */
const MAX_ENTRIES = 10_000

/**
 * The module in an AWS `Code.ZipFile`: a zip holding exactly one `.wasm` (any folder), or the raw
 * module bytes themselves. The zip is read by yauzl: sizes come from its central directory and
 * are checked before anything inflates, inflating runs in zlib's thread pool (never on the event
 * loop), and yauzl fails the stream as soon as an entry inflates past the size the directory
 * claims, so a bomb that lies about its size costs no more than one that does not.
 */
export async function wasmFromCode(code: Uint8Array): Promise<Uint8Array> {
  if (startsWith(code, WASM_MAGIC)) return code
  if (!startsWith(code, ZIP_MAGIC)) {
    throw INVALID_PARAMETER('Code.ZipFile', 'is neither a zip archive nor a WebAssembly module')
  }
  let zip: ZipFile
  try {
    zip = await fromBufferPromise(Buffer.from(code.buffer, code.byteOffset, code.byteLength), {
      lazyEntries: true,
      validateEntrySizes: true,
      strictFileNames: false
    })
  } catch (err) {
    unreadable((err as Error).message)
  }
  try {
    if (zip.entryCount > MAX_ENTRIES) {
      unreadable(`it lists ${zip.entryCount} entries; a function's zip holds one module`)
    }
    const wasm = (await entries(zip)).filter((e) => e.fileName.toLowerCase().endsWith('.wasm'))
    if (wasm.length !== 1) {
      throw INVALID_PARAMETER(
        'Code.ZipFile',
        wasm.length === 0
          ? 'holds no .wasm file'
          : `holds ${wasm.length} .wasm files (${wasm.map((e) => e.fileName).join(', ')}); one is expected`
      )
    }
    return await extract(zip, wasm[0] as Entry)
  } finally {
    zip.close()
  }
}

function unreadable(why: string): never {
  throw INVALID_PARAMETER('Code.ZipFile', `is not a readable zip archive (${why})`)
}

/** Every entry of the central directory, in order. */
function entries(zip: ZipFile): Promise<Entry[]> {
  return new Promise((resolve, reject) => {
    const found: Entry[] = []
    zip.on('entry', (entry: Entry) => {
      found.push(entry)
      zip.readEntry()
    })
    zip.on('end', () => resolve(found))
    zip.on('error', (err: Error) => reject(err))
    zip.readEntry()
  }).catch((err: unknown) => unreadable((err as Error).message)) as Promise<Entry[]>
}

/** One entry's bytes, which must be exactly the size the directory gives. */
async function extract(zip: ZipFile, entry: Entry): Promise<Uint8Array> {
  const name = entry.fileName
  if (entry.uncompressedSize > MAX_MODULE_BYTES) {
    throw INVALID_PARAMETER('Code.ZipFile', `${name} unzips to over ${MAX_MODULE_BYTES} bytes`)
  }
  if (entry.isEncrypted()) unreadable(`${name} is encrypted`)
  // Filled chunk by chunk as zlib inflates: one 50 MB Buffer.concat at the end would hold the
  // event loop ~50 ms on this machine kind. yauzl ends the stream with an error at the first byte
  // past the claimed size, and when it ends short.
  const bytes = new Uint8Array(entry.uncompressedSize)
  let at = 0
  try {
    for await (const chunk of await zip.openReadStreamPromise(entry)) {
      const data = chunk as Buffer
      if (at + data.length > bytes.length) unreadable(`${name} inflates past its claimed size`)
      bytes.set(data, at)
      at += data.length
    }
  } catch (err) {
    if (err instanceof SwarmError) throw err
    unreadable(`${name}: ${(err as Error).message}`)
  }
  if (at !== bytes.length) unreadable(`${name} inflates to ${at} bytes, not ${bytes.length}`)
  return bytes
}

function startsWith(bytes: Uint8Array, magic: number[]): boolean {
  return magic.every((b, i) => bytes[i] === b)
}
