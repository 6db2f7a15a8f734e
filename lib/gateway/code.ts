import { INVALID_PARAMETER } from '../errors.js'
import type { Code } from '../registry/settings.js'
import type { Language } from '../registry/settings.js'
import {
  checkFiles,
  filesFromZip,
  JS_PACKAGE,
  PYTHON_PACKAGE,
  type PackageKind
} from '../runtimes/package.js'
import type { Fields } from './fields.js'
import { wasmFromCode } from './zip.js'

/** What a function's code is: a Wasm module, or the package of a language. */
export type CodeKind = 'wasm' | Language

const PACKAGES: Record<Language, PackageKind> = { nodejs: JS_PACKAGE, python: PYTHON_PACKAGE }

/**
 * A function's code as a deploy or an update sends it, parsed once: AWS's Code.ZipFile (a zip
 * of a JS package for a nodejs* runtime, of Python modules for a python* one, else a zip
 * holding one .wasm, or the module itself), or the seed API's `wasm_base64` / `files`.
 */
export async function codeFromZip(zip: Uint8Array, kind: CodeKind): Promise<Code> {
  if (kind === 'wasm') return { wasm: await wasmFromCode(zip) }
  return { files: await filesFromZip(zip, PACKAGES[kind]), language: kind }
}

/** Which runtime an AWS Runtime name asks for (anything but nodejs* and python* is our Wasm). */
export function kindOf(runtime: string | undefined): CodeKind {
  if (runtime !== undefined && runtime.startsWith('nodejs')) return 'nodejs'
  if (runtime !== undefined && runtime.startsWith('python')) return 'python'
  return 'wasm'
}

/**
 * The seed API's code: `files` ({ path: source }) for JS or Python (a python* `runtime`, or
 * .py files and no JS), `wasm_base64`, or `zip_base64` (a zip as CreateFunction's ZipFile,
 * read by `runtime`: a JS or Python package, else a zip holding one .wasm).
 */
export async function codeFromSeed(fields: Fields): Promise<Code> {
  const given = ['files', 'wasm_base64', 'zip_base64'].filter(
    (f) => fields.raw(f) !== undefined && fields.raw(f) !== null
  )
  if (given.length > 1) {
    throw INVALID_PARAMETER(
      given[1] as string,
      `${given[0]} was sent too; send one of files, wasm_base64 and zip_base64`
    )
  }
  if (given[0] === 'zip_base64') {
    return codeFromZip(fields.base64('zip_base64'), kindOf(fields.optionalString('runtime')))
  }
  const files = fields.raw('files')
  if (files === undefined || files === null) return { wasm: fields.base64('wasm_base64') }
  if (typeof files !== 'object' || Array.isArray(files) || ArrayBuffer.isView(files)) {
    throw INVALID_PARAMETER('files', 'must be an object of { "path": "source" }')
  }
  const runtime = fields.optionalString('runtime')
  const names = Object.keys(files)
  const python =
    runtime === undefined
      ? names.some((n) => n.endsWith('.py')) && !names.some((n) => /\.[mc]?js$/.test(n))
      : runtime.startsWith('python')
  const language: Language = python ? 'python' : 'nodejs'
  const checked = checkFiles(files as Record<string, unknown>, 'files', PACKAGES[language])
  return { files: checked, language }
}
