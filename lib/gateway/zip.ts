import { fromBufferPromise, type Entry, type ZipFile } from 'yauzl'
import { INVALID_PARAMETER, SwarmError } from '../errors.js'
import { MAX_MODULE_BYTES } from '../wasm/policy.js'

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04]
const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d]
/** A function's zip holds one module; a directory this long is refused before it is read. */
const MAX_WASM_ZIP_ENTRIES = 10_000
/** Every zip a client sends arrives as this field (CreateFunction, UpdateFunctionCode). */
const FIELD = 'Code.ZipFile'

/** What `readZip` keeps of an archive, and the limits it holds the archive to. */
export interface ReadZipOptions {
  /**
   * Whether to keep an entry, by its name ('/'-separated: yauzl turns '\' into '/' and refuses
   * absolute names and '..' segments). Called for each file entry in directory order while the
   * directory is read, before any size is checked; it may throw to refuse the zip.
   */
  accept(name: string): boolean
  /**
   * Called with the kept names once the directory is read, before any size is checked or anything
   * inflates; it may throw to refuse the zip (e.g. for holding no file it needs).
   */
  listed?(names: readonly string[]): void
  /** Entries the central directory may list, kept or not; a longer one is refused unread. */
  maxEntries: number
  /** The most one kept entry may unzip to. */
  maxEntryBytes: number
  /** The most the kept entries may unzip to together. */
  maxTotalBytes: number
  /** What a function's zip holds, for the message refusing a long directory ('one module'). */
  what: string
}

/** One kept entry of a zip. */
export interface ZipEntry {
  name: string
  bytes: Uint8Array
}

/** True when `bytes` starts as a zip does (a local file header). */
export function isZip(bytes: Uint8Array): boolean {
  return startsWith(bytes, ZIP_MAGIC)
}

/**
 * The entries of a zip that `accept` keeps, in directory order; folders are skipped, encrypted
 * entries refused. The zip is read by yauzl: the whole central directory is read first and every
 * kept entry's claimed size and the running total are checked before anything inflates, inflating
 * runs in zlib's thread pool (never on the event loop), and yauzl fails the stream as soon as an
 * entry inflates past the size the directory claims, so a bomb that lies about its size costs no
 * more than one that does not.
 */
export async function readZip(code: Uint8Array, options: ReadZipOptions): Promise<ZipEntry[]> {
  let zip: ZipFile
  try {
    zip = await fromBufferPromise(Buffer.from(code.buffer, code.byteOffset, code.byteLength), {
      lazyEntries: true,
      validateEntrySizes: true,
      strictFileNames: false
    })
  } catch (err) {
    throw unreadable((err as Error).message)
  }
  try {
    if (zip.entryCount > options.maxEntries) {
      throw unreadable(`it lists ${zip.entryCount} entries; a function's zip holds ${options.what}`)
    }
    const kept: Entry[] = []
    await eachEntry(zip, (entry) => {
      if (!entry.fileName.endsWith('/') && options.accept(entry.fileName)) kept.push(entry)
    })
    options.listed?.(kept.map((entry) => entry.fileName))
    let total = 0
    for (const entry of kept) {
      const name = entry.fileName
      if (entry.uncompressedSize > options.maxEntryBytes) {
        throw INVALID_PARAMETER(FIELD, `${name} unzips to over ${options.maxEntryBytes} bytes`)
      }
      if (entry.isEncrypted()) throw unreadable(`${name} is encrypted`)
      total += entry.uncompressedSize
      if (total > options.maxTotalBytes) {
        throw INVALID_PARAMETER(FIELD, `unzips to over ${options.maxTotalBytes} bytes in total`)
      }
    }
    const files: ZipEntry[] = []
    for (const entry of kept) files.push({ name: entry.fileName, bytes: await extract(zip, entry) })
    return files
  } finally {
    zip.close()
  }
}

/**
 * The module in an AWS `Code.ZipFile`: a zip holding exactly one `.wasm` (any folder; counted from
 * the directory, so a zip of two is refused before either inflates), or the raw module bytes.
 */
export async function wasmFromCode(code: Uint8Array): Promise<Uint8Array> {
  if (startsWith(code, WASM_MAGIC)) return code
  if (!isZip(code)) {
    throw INVALID_PARAMETER(FIELD, 'is neither a zip archive nor a WebAssembly module')
  }
  const [module] = await readZip(code, {
    accept: (name) => name.toLowerCase().endsWith('.wasm'),
    listed(wasm) {
      if (wasm.length === 1) return
      throw INVALID_PARAMETER(
        FIELD,
        wasm.length === 0
          ? 'holds no .wasm file'
          : `holds ${wasm.length} .wasm files (${wasm.join(', ')}); one is expected`
      )
    },
    maxEntries: MAX_WASM_ZIP_ENTRIES,
    maxEntryBytes: MAX_MODULE_BYTES,
    maxTotalBytes: MAX_MODULE_BYTES,
    what: 'one module'
  })
  return (module as ZipEntry).bytes
}

function unreadable(why: string): SwarmError {
  return INVALID_PARAMETER(FIELD, `is not a readable zip archive (${why})`)
}

/**
 * Shows `visit` each entry of the central directory, in order, and stops at its first throw. Only
 * the entries it keeps stay in memory: 40,000 Entry objects held to the end cost a 50 ms pause.
 */
function eachEntry(zip: ZipFile, visit: (entry: Entry) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    zip.on('entry', (entry: Entry) => {
      try {
        visit(entry)
      } catch (err) {
        reject(err)
        return
      }
      zip.readEntry()
    })
    zip.on('end', () => resolve())
    zip.on('error', (err: Error) => reject(unreadable(err.message)))
    zip.readEntry()
  })
}

/** One entry's bytes, which must be exactly the size the directory gives. */
async function extract(zip: ZipFile, entry: Entry): Promise<Uint8Array> {
  const name = entry.fileName
  // Filled chunk by chunk as zlib inflates: one 50 MB Buffer.concat at the end would hold the
  // event loop ~50 ms on this machine kind. yauzl ends the stream with an error at the first byte
  // past the claimed size, and when it ends short.
  const bytes = new Uint8Array(entry.uncompressedSize)
  let at = 0
  try {
    for await (const chunk of await zip.openReadStreamPromise(entry)) {
      const data = chunk as Buffer
      if (at + data.length > bytes.length) {
        throw unreadable(`${name} inflates past its claimed size`)
      }
      bytes.set(data, at)
      at += data.length
    }
  } catch (err) {
    if (err instanceof SwarmError) throw err
    throw unreadable(`${name}: ${(err as Error).message}`)
  }
  if (at !== bytes.length) throw unreadable(`${name} inflates to ${at} bytes, not ${bytes.length}`)
  return bytes
}

function startsWith(bytes: Uint8Array, magic: number[]): boolean {
  return magic.every((b, i) => bytes[i] === b)
}
