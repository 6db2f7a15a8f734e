import { INVALID_PARAMETER } from '../errors.js'
import type { Code } from '../registry/settings.js'
import { checkFiles, jsFilesFromZip } from '../runtimes/js/package.js'
import type { Fields } from './fields.js'
import { wasmFromCode } from './zip.js'

/**
 * A function's code as a deploy or an update sends it, parsed once: AWS's Code.ZipFile (a zip
 * of a JS package for a nodejs* runtime, else a zip holding one .wasm, or the module itself),
 * or the seed API's `wasm_base64` / `files`.
 */
export async function codeFromZip(zip: Uint8Array, kind: 'wasm' | 'nodejs'): Promise<Code> {
  return kind === 'nodejs'
    ? { files: await jsFilesFromZip(zip) }
    : { wasm: await wasmFromCode(zip) }
}

/** Which runtime an AWS Runtime name asks for (anything but nodejs* is our Wasm). */
export function kindOf(runtime: string | undefined): 'wasm' | 'nodejs' {
  return runtime !== undefined && runtime.startsWith('nodejs') ? 'nodejs' : 'wasm'
}

/** The seed API's code: `files` ({ path: source }) for JS, or `wasm_base64`. */
export function codeFromSeed(fields: Fields): Code {
  const files = fields.raw('files')
  if (files === undefined || files === null) return { wasm: fields.base64('wasm_base64') }
  if (fields.raw('wasm_base64') !== undefined) {
    throw INVALID_PARAMETER('files', 'and wasm_base64 exclude each other: send one')
  }
  if (typeof files !== 'object' || Array.isArray(files) || ArrayBuffer.isView(files)) {
    throw INVALID_PARAMETER('files', 'must be an object of { "path": "source" }')
  }
  return { files: checkFiles(files as Record<string, unknown>, 'files') }
}
