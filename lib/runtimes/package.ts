import { setImmediate as nextTurn } from 'node:timers/promises'
import { promisify } from 'node:util'
import { crc32, deflateRaw } from 'node:zlib'
import { Zip, type ZipInputFile } from 'fflate'
import { INVALID_PARAMETER } from '../errors.js'
import { isZip, readZip } from '../gateway/zip.js'

/** What a package of one language keeps, and what counts as its code. */
export interface PackageKind {
  /** The files kept (others in a zip are skipped; in a seed `files` body, refused). */
  extensions: readonly string[]
  /** The extensions of code files: a package must hold one. */
  code: readonly string[]
}

/** A JS function's package: sources and the JSON they may require or import. */
export const JS_PACKAGE: PackageKind = {
  extensions: ['.js', '.mjs', '.cjs', '.json'],
  code: ['.js', '.mjs', '.cjs']
}

/** A Python function's package: modules (packages are folders of them) and text data. */
export const PYTHON_PACKAGE: PackageKind = {
  extensions: ['.py', '.json', '.txt', '.csv', '.toml', '.cfg', '.ini', '.yaml', '.yml'],
  code: ['.py']
}
/** A package of this many files is refused; each is a module the sandbox may resolve by path. */
export const MAX_PACKAGE_FILES = 10_000
/**
 * A package over this (its kept files, unzipped) is refused. AWS allows 250 MB, but every edge
 * keeps the package in each executor worker, so what is allowed here is multiplied many times.
 */
export const MAX_PACKAGE_BYTES = 50 * 1024 * 1024
/** One file over this is refused: no one hand-writes 10 MiB of source; a bundle fits in it. */
export const MAX_FILE_BYTES = 10 * 1024 * 1024
/**
 * A zip whose directory lists more entries than this is refused unread. Above MAX_PACKAGE_FILES
 * because folders and the files a package skips (READMEs, .d.ts, source maps) count here too.
 */
const MAX_ZIP_ENTRIES = 4 * MAX_PACKAGE_FILES // listed in ~170 ms, at most ~8 ms at a time
/** Every zip a client sends arrives as this field (CreateFunction, UpdateFunctionCode). */
const FIELD = 'Code.ZipFile'
/** The mtime of each file zipFromFiles writes (DOS time starts in 1980): equal files, equal zip. */
const ZIP_MTIME = new Date(1980, 0, 1)
/** Longest path an error message quotes whole; a 60,000-character name is not echoed back. */
const QUOTED_PATH_CHARS = 200
/**
 * Text decoded between two turns of the event loop. Decoding takes ~4 ms per MB of non-ASCII text
 * (~1 of ASCII) on this machine kind, so 50 MiB decoded in one go would hold the loop 200 ms.
 */
const DECODE_SLICE_BYTES = 1024 * 1024

const deflateRawAsync = promisify(deflateRaw)

/**
 * A path inside a package, '/'-separated and relative to its root: '\' is read as '/' (zips made
 * on Windows use it), '.' segments are dropped and '..' resolved; absolute paths, paths that
 * leave the root, empty segments and NUL bytes are refused as `field`.
 */
export function normalizePath(path: string, field = FIELD): string {
  const refuse = (why: string) => INVALID_PARAMETER(field, `names the file ${quote(path)} ${why}`)
  if (path === '') throw refuse('(an empty path)')
  if (path.includes('\0')) throw refuse('with a NUL byte in its path')
  const slashed = path.replaceAll('\\', '/')
  if (slashed.startsWith('/') || /^[a-zA-Z]:/.test(slashed)) {
    throw refuse('by an absolute path; paths are relative to the package root')
  }
  const segments: string[] = []
  for (const segment of slashed.split('/')) {
    if (segment === '') throw refuse('with an empty path segment')
    if (segment === '.') continue
    if (segment === '..') {
      if (segments.pop() === undefined) throw refuse('outside the package root')
      continue
    }
    segments.push(segment)
  }
  if (segments.length === 0) throw refuse('which is the package root, not a file')
  return segments.join('/')
}

/**
 * The files of an AWS `Code.ZipFile` by package path: every file of the language's extensions in
 * any folder (for JS, .js, .mjs, .cjs and .json, node_modules too) as UTF-8 text without a BOM;
 * other files (README.md, .map, .d.ts, LICENSE) and macOS `__MACOSX/` metadata are skipped.
 * Paths, duplicates, the file count, sizes and that there is code at all are checked from the
 * directory before anything inflates.
 */
export async function filesFromZip(
  code: Uint8Array,
  kind: PackageKind = JS_PACKAGE
): Promise<Map<string, string>> {
  if (!isZip(code)) throw INVALID_PARAMETER(FIELD, 'is not a zip archive')
  const paths = new Map<string, string>() // entry name → package path
  const names = new Map<string, string>() // package path → entry name
  const entries = await readZip(code, {
    accept(name) {
      if (name.startsWith('__MACOSX/') || !kept(kind, name)) return false
      const path = normalizePath(name, FIELD)
      const first = names.get(path)
      if (first !== undefined) throw duplicate(FIELD, path, first, name)
      names.set(path, name)
      paths.set(name, path)
      if (names.size > MAX_PACKAGE_FILES) throw tooManyFiles(FIELD)
      return true
    },
    listed: () => requireCode(kind, paths.values(), FIELD),
    maxEntries: MAX_ZIP_ENTRIES,
    maxEntryBytes: MAX_FILE_BYTES,
    maxTotalBytes: MAX_PACKAGE_BYTES,
    what: `at most ${MAX_ZIP_ENTRIES} entries`
  })
  // fatal: bytes that are not UTF-8 refuse the file rather than turn into U+FFFD. ignoreBOM is
  // false, so a leading BOM is dropped, as Node drops it when it loads a file.
  const utf8 = new TextDecoder('utf-8', { fatal: true })
  const files = new Map<string, string>()
  let decoded = 0
  for (const { name, bytes } of entries) {
    const path = paths.get(name) as string
    try {
      files.set(path, utf8.decode(bytes))
    } catch {
      // TextDecoder's own message names no file and no offset: the path says more.
      throw notText(FIELD, path, 'is not UTF-8 text')
    }
    decoded += bytes.length
    if (decoded > DECODE_SLICE_BYTES) {
      decoded = 0
      await nextTurn()
    }
  }
  return files
}

/**
 * The files of a deploy body's `files: { "path": "source" }`, held to the rules and limits of a
 * zipped package: paths normalized, the language's extensions only, UTF-8-encodable strings, a
 * BOM dropped.
 */
export function checkFiles(
  files: Record<string, unknown>,
  field: string,
  kind: PackageKind = JS_PACKAGE
): Map<string, string> {
  const names = Object.keys(files)
  if (names.length > MAX_PACKAGE_FILES) throw tooManyFiles(field)
  const checked = new Map<string, string>()
  const firstNames = new Map<string, string>()
  let total = 0
  for (const name of names) {
    const source = files[name]
    if (typeof source !== 'string') {
      throw INVALID_PARAMETER(field, `the file ${quote(name)} is not a string of source text`)
    }
    if (!kept(kind, name)) {
      throw INVALID_PARAMETER(
        field,
        `names the file ${quote(name)}, which is not one of ${kind.extensions.join(', ')}`
      )
    }
    const path = normalizePath(name, field)
    const first = firstNames.get(path)
    if (first !== undefined) throw duplicate(field, path, first, name)
    firstNames.set(path, name)
    // A lone surrogate has no UTF-8 form: it would not survive the zip GetFunction gives back.
    if (/\p{Surrogate}/u.test(source)) {
      throw notText(field, path, 'is not valid Unicode text (it holds a lone surrogate)')
    }
    const bytes = Buffer.byteLength(source, 'utf8')
    if (bytes > MAX_FILE_BYTES) {
      throw INVALID_PARAMETER(field, `the file ${quote(path)} is over ${MAX_FILE_BYTES} bytes`)
    }
    total += bytes
    if (total > MAX_PACKAGE_BYTES) {
      throw INVALID_PARAMETER(field, `its files are over ${MAX_PACKAGE_BYTES} bytes in total`)
    }
    checked.set(path, source.startsWith('\uFEFF') ? source.slice(1) : source)
  }
  requireCode(kind, checked.keys(), field)
  return checked
}

/**
 * A zip of a package (GetFunction's code download): paths sorted and a fixed mtime, so the same
 * files always give the same bytes. Not fflate's zipSync nor its async zip(): zipSync deflates on
 * the event loop (~550 ms for 13 MB of JS here, so seconds for a full package), and zip() deflates
 * every file under 160 kB on the event loop too and starts one Worker per larger file, all at
 * once. fflate's streaming Zip only writes the headers; zlib deflates each file in its thread
 * pool, one file at a time so a download does not fill the pool fs and dns share.
 */
export async function zipFromFiles(files: ReadonlyMap<string, string>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  let failure = null as Error | null
  // With every file's data handed over whole, Zip emits synchronously from add/ondata/end.
  const archive = new Zip((err, chunk) => {
    if (err !== null) failure ??= err
    else chunks.push(chunk)
  })
  for (const path of [...files.keys()].sort()) {
    const data = Buffer.from(files.get(path) as string, 'utf8')
    const file: ZipInputFile = {
      filename: path,
      size: data.length,
      crc: crc32(data),
      compression: 8, // deflate
      mtime: ZIP_MTIME
    }
    archive.add(file)
    file.ondata?.(null, await deflateRawAsync(data), true)
  }
  archive.end()
  if (failure !== null) throw failure
  return Buffer.concat(chunks)
}

function kept(kind: PackageKind, name: string): boolean {
  return kind.extensions.some((extension) => name.endsWith(extension))
}

/** A package must hold code: JSON alone has no handler to run. */
function requireCode(kind: PackageKind, paths: Iterable<string>, field: string): void {
  for (const path of paths) if (kind.code.some((extension) => path.endsWith(extension))) return
  const [last, ...others] = [...kind.code].reverse()
  const listed = others.length === 0 ? last : `${others.reverse().join(', ')} or ${last}`
  throw INVALID_PARAMETER(field, `holds no ${listed} file`)
}

function duplicate(field: string, path: string, first: string, second: string) {
  return INVALID_PARAMETER(
    field,
    `names the file ${quote(path)} twice (as ${quote(first)} and ${quote(second)})`
  )
}

function tooManyFiles(field: string) {
  return INVALID_PARAMETER(field, `holds over ${MAX_PACKAGE_FILES} files, the most a package holds`)
}

function notText(field: string, path: string, why: string) {
  return INVALID_PARAMETER(field, `the file ${quote(path)} ${why}`)
}

function quote(path: string): string {
  return JSON.stringify(
    path.length > QUOTED_PATH_CHARS ? `${path.slice(0, QUOTED_PATH_CHARS)}…` : path
  )
}
